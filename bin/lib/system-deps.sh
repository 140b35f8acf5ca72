# Sourced by bin/test: Debian packages the tests need (promtool and Prometheus for the ops checks,
# Chromium for the console journey). Installed only when missing, and only where we may (root).
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian packages: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "!! missing ${need[*]}: install them (Debian: apt-get install ${need[*]}) or those tests fail in CI" >&2
  fi
fi
