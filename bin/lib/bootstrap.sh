# Sourced by bin/*: make sure uv and the locked workspace environment are there.
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null 2>&1; then
  echo "== installing uv from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check uv
  hash -r
fi
uv sync --locked --all-packages --quiet
