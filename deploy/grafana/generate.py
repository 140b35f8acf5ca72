"""Generate the Grafana dashboards into deploy/grafana/dashboards/ (checked in).

    uv run --no-project --with 'grafana-foundation-sdk==1769699379!11.6.0' \
        python deploy/grafana/generate.py [--out DIR]

tests/ops/test_dashboards.py regenerates them and fails on any difference.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling modules, whatever the working directory

from grafana_foundation_sdk.cog.encoder import JSONEncoder  # noqa: E402
from overview import overview  # noqa: E402
from panels import layout  # noqa: E402
from service_dashboards import invoicing, letters, payments, profile  # noqa: E402

#: Pinned here and in the tests: the SDK release for Grafana 11.6 (deploy/compose.yaml runs 11.6).
SDK_REQUIREMENT = "grafana-foundation-sdk==1769699379!11.6.0"
BUILDERS = (overview, profile, payments, letters, invoicing)


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    out = {}
    for builder in BUILDERS:
        built = layout(builder().build())
        text = json.dumps(json.loads(JSONEncoder().encode(built)), indent=2, sort_keys=True)
        out[f"{built.uid}.json"] = text + "\n"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "dashboards")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
