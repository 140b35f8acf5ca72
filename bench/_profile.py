"""Where a profiled benchmark's time went: py-spy's collapsed stacks summed by package and by function.

py-spy (`--format raw`) writes one line per distinct stack, `frame;frame;… count`, a frame being
`function (path:line)`; the same file is the input of any flame-graph viewer (speedscope, inferno).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_WAITS = (
    "Condition.wait ",
    "EpollSelector.select ",
    "Thread._wait_for_tstate_lock ",
    "ThreadedChildWatcher._do_waitpid ",
    "_worker ",  # an executor thread blocked on its work queue (a C call: py-spy shows the caller)
)
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^:()]+)(?::\d+)?\)$")


def _area(path: str) -> str:
    """The package a frame's file belongs to: ours by module (autoletter.<member>), others by name."""
    parts = Path(path).parts
    if "autoletter" in parts:
        i = len(parts) - 1 - parts[::-1].index("autoletter")
        return ".".join(parts[i : i + 2]).removesuffix(".py")
    if "site-packages" in parts:
        i = parts.index("site-packages")
        return parts[i + 1].removesuffix(".py") if i + 1 < len(parts) else "site-packages"
    if "/lib/python" in path:
        return "stdlib:" + Path(path).stem
    return Path(path).name


def summarize(raw: Path, top: int = 20) -> str:
    """Self time by package and by function, and inclusive time by function, in % of all samples."""
    by_area, self_time, inclusive = Counter[str](), Counter[str](), Counter[str]()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if "importlib._bootstrap" in stack:
            continue  # importing modules: a start-up cost, not the path measured
        if stack.rsplit(";", 1)[-1].startswith(_WAITS):
            continue  # a thread or the event loop waiting, which py-spy does not always see as idle
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if _FRAME.match(f)]
        if not frames:
            continue
        leaf = _FRAME.match(frames[-1])
        assert leaf is not None
        by_area[_area(leaf["path"])] += n
        self_time[f"{leaf['function']} ({_area(leaf['path'])})"] += n
        for name in {f"{m['function']} ({_area(m['path'])})" for f in frames if (m := _FRAME.match(f))}:
            inclusive[name] += n
    if not total:
        return f"{raw.name}: no samples\n"

    def table(title: str, counts: Counter[str]) -> list[str]:
        return [title, *(f"  {100 * n / total:5.1f} %  {name}" for name, n in counts.most_common(top))]

    lines = [
        f"{raw.name}: {total} samples (every process of the benchmark; idle waits and imports left out)",
        *table("self time by package:", by_area),
        *table("self time by function:", self_time),
        *table("inclusive time by function:", inclusive),
    ]
    return "\n".join(lines) + "\n"
