"""`autoletter clock show | advance 3d`: the local run's business time, moved forward together.

Every service reads its clock offset from one file (OffsetClock); the emulator has its own test clock.
Advancing writes the file and moves the emulator to the same instant, then waits until the emulator
has delivered the webhooks of whatever fell due (retries, finalisations). Never backwards; refused
when the local run talks to real Stripe, whose clock nobody moves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from autoletter.cli import local_run
from autoletter.cli.errors import CliError, service_unreachable
from autoletter.runtime.clock import OffsetClock

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
DRAIN_TIMEOUT_S = 120.0


def parse_duration(text: str) -> timedelta:
    """`3d`, `12h`, `1d12h`, `90s` → a positive timedelta; anything else is refused in words."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise CliError(f"cannot read {text!r} as a duration: write e.g. 3d, 12h, 1d12h or 90s")
    delta = timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
    if delta <= timedelta(0):
        raise CliError("the clock only moves forward: give a duration above zero")
    return delta


def _local_run() -> local_run.LocalRun:
    run = local_run.find()
    if run is None:
        raise CliError("no local run found: start one with `autoletter dev` (or set AUTOLETTER_DEV_DIR)")
    if not run.emulator_url:
        raise CliError("the local run uses real Stripe keys: its clock cannot be moved")
    return run


def _offset(path: Path) -> timedelta:
    try:
        return timedelta(seconds=float(path.read_text().strip() or 0))
    except FileNotFoundError:
        return timedelta(0)
    except ValueError as exc:
        raise CliError(f"the clock offset file {path} does not hold a number of seconds") from exc


async def _emulator(run: local_run.LocalRun, method: str, path: str, **kwargs: Any) -> Any:
    url = run.emulator_url or ""
    async with httpx.AsyncClient(base_url=url, timeout=DRAIN_TIMEOUT_S + 10) as client:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise service_unreachable("the Stripe emulator", url, exc) from exc
    if response.status_code >= 400:
        raise CliError(f"the Stripe emulator refused: {response.status_code} {response.text[:200]}")
    return response.json()


def align_emulator(emulator_url: str, offset_file: Path) -> float:
    """Bring a (fresh or restored) emulator's test clock up to the services' business time; never back.

    Returns the seconds it moved."""
    target = datetime.now(UTC) + _offset(offset_file)
    now = httpx.get(f"{emulator_url}/_emulator/clock", timeout=10).json()["now"]
    ahead = target.timestamp() - now
    if ahead <= 1:
        return 0.0
    response = httpx.post(f"{emulator_url}/_emulator/clock/advance", json={"seconds": ahead}, timeout=60)
    response.raise_for_status()
    return float(ahead)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def show() -> int:
    run = _local_run()
    offset = _offset(Path(run.clock_offset_file))
    emulator = await _emulator(run, "GET", "/_emulator/clock")
    print(f"services  {_when(datetime.now(UTC) + offset)}  (real time + {offset})")
    print(f"stripe    {_when(datetime.fromtimestamp(emulator['now'], UTC))}  (emulator test clock)")
    return 0


async def advance(duration: str) -> int:
    delta = parse_duration(duration)
    run = _local_run()
    offset_file = Path(run.clock_offset_file)
    new_offset = _offset(offset_file) + delta
    target = datetime.now(UTC) + new_offset
    emulator_now = (await _emulator(run, "GET", "/_emulator/clock"))["now"]
    # The emulator goes to the services' new instant (never back): the two clocks stay together.
    seconds = max(0.0, target.timestamp() - emulator_now)
    moved = await _emulator(run, "POST", "/_emulator/clock/advance", json={"seconds": seconds})
    OffsetClock.write(offset_file, new_offset)
    drained = await _emulator(run, "POST", "/_emulator/webhooks/drain", json={"timeout": DRAIN_TIMEOUT_S})
    ran = moved.get("ran", 0)
    print(f"business time is now {_when(target)} (moved {delta}); Stripe ran {ran} due step(s)")
    if not drained.get("drained"):
        raise CliError("the Stripe emulator still has webhooks to deliver: is payments running?")
    return 0
