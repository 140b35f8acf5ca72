"""The pure parts: forms to bodies, 422 details to fields, /metrics to highlights."""

from __future__ import annotations

from autoletter.console import forms, metrics


def test_a_blank_settings_form_clears_every_field() -> None:
    body = forms.profile_body({"name": "  ", "email": "", "address.city": " "})

    assert body == {"name": None, "email": None, "address": None}


def test_a_profile_round_trips_through_the_settings_form() -> None:
    profile = {
        "name": "Atelier",
        "email": "a@b.fr",
        "address": {
            "line1": "1 rue",
            "line2": None,
            "postal_code": "75001",
            "city": "Paris",
            "country": "FR",
        },
    }

    assert forms.profile_body(forms.profile_values(profile)) == profile


def test_details_land_on_their_fields_and_the_rest_is_kept() -> None:
    details = {"address": "is missing", "email": "is not valid", "body": "is broken"}

    by_field, rest = forms.field_errors(details, forms.PROFILE_FIELDS)

    assert by_field == {"address.line1": "is missing", "email": "is not valid"}
    assert rest == ["body: is broken"]


def test_metrics_highlights_count_only_the_named_service() -> None:
    text = (
        '# TYPE autoletter_outbox_backlog gauge\nautoletter_outbox_backlog{service="payments"} 5.0\n'
        "# TYPE autoletter_dead_letters_total counter\n"
        'autoletter_dead_letters_total{group="payments.profile",reason="poison",service="payments"} 2.0\n'
        'autoletter_dead_letters_total{group="x.y",reason="poison",service="other"} 9.0\n'
    )

    found = metrics.highlights(text, "payments")

    assert found.outbox_backlog == 5
    assert found.dead_letters_total == 2
    assert found.dead_letters == [metrics.DeadLetters("payments.profile", "poison", 2)]


def test_a_service_without_these_metrics_has_no_backlog_figure() -> None:
    found = metrics.highlights("# TYPE up gauge\nup 1.0\n", "letters")

    assert found.outbox_backlog is None
    assert found.dead_letters_total == 0
