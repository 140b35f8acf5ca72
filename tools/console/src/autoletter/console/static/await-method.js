// After Checkout: ask the console every 2 s whether Stripe's confirmation has reached payments;
// show the method as soon as it has, and say so plainly if it has not within the page's deadline.
(function () {
  var box = document.querySelector("[data-testid='awaiting-confirmation']");
  if (!box) return;
  var deadline = Date.now() + 1000 * Number(box.getAttribute("data-wait") || 30);
  function stillWaiting() {
    box.querySelector("[data-waiting]").hidden = true;
    box.querySelector("[data-still-waiting]").hidden = false;
  }
  function ask() {
    if (Date.now() > deadline) return stillWaiting();
    fetch("/billing/payment-method/status", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { confirmed: false }; })
      .catch(function () { return { confirmed: false }; })
      .then(function (s) {
        if (s.confirmed) window.location.replace("/billing?notice=method_confirmed");
        else setTimeout(ask, 2000);
      });
  }
  setTimeout(ask, 1000);
})();
