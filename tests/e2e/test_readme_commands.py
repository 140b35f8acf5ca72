"""Every command the README shows is run by a test, or this file says why it is not.

The README's commands are its inline code that starts with `uv run ` or names `bin/`, and every line
of its shell blocks. The walkthrough test runs most of them exactly as written; the rest are listed
below with the test that runs them or the reason none does.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from test_readme_walkthrough import README, REPO, RUN_BY_THE_WALKTHROUGH

HELP = "uv run autoletter --help"

#: README commands that another test runs, by that test ("file::function"; its file shows the command).
RUN_ELSEWHERE = {
    HELP: "tests/e2e/test_readme_commands.py::test_the_help_lists_every_command_the_readme_names",
}

#: README commands no test runs, and why.
NOT_RUN = {
    "bin/test": "the command that runs the tests themselves (CI runs it)",
    "bin/test -k contracts -x": "bin/test with pytest's own arguments: the tests' command again",
    "bin/dev --tracing": "a third start of the local run (and Jaeger) would exceed the walkthrough's time "
    "budget; the services' tracing is tested against a receiver of the e2e tests' own",
    "bin/dev --brokers 3": "three Kafka nodes: too heavy for bin/test next to the walkthrough; "
    "tests/topology runs such a cluster through the devstack",
    "bin/dev --brokers 3 --replicas 2": "as `bin/dev --brokers 3`; tests/e2e/test_replicas.py runs replicas",
    "STRIPE_API_KEY=sk_test_… STRIPE_WEBHOOK_SECRET=whsec_… bin/dev": "needs real Stripe test keys",
    "uv run python -m autoletter.devstack up --dir .autoletter/devstack &": "starts the test servers to "
    "keep between runs; the pytest fixtures start the same servers from the same code",
    "source .autoletter/devstack/env.sh && uv run pytest -x": "runs the whole suite",
}


def readme_commands() -> set[str]:
    spans = re.findall(r"`([^`\n]+)`", README)
    commands = {s for s in spans if s.startswith(("uv run ", "bin/")) or " bin/" in s}
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        commands |= {line.split("  #")[0].strip() for line in block.splitlines() if line.strip()}
    return commands


def test_every_readme_command_is_run_by_a_test_or_says_why_not() -> None:
    shown = readme_commands()
    accounted = set(RUN_BY_THE_WALKTHROUGH) | set(RUN_ELSEWHERE) | set(NOT_RUN)
    assert shown - accounted == set(), "README commands no test runs (and none says why)"
    assert accounted - shown == set(), "listed here but no longer in the README"
    for command, test in RUN_ELSEWHERE.items():
        path, name = test.split("::")
        source = (REPO / path).read_text()
        assert f"def {name}(" in source and command in source, test


def test_the_help_lists_every_command_the_readme_names() -> None:
    """`uv run autoletter --help`, typed as the README shows it, names every command the README lists."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLETTER_")} | {"UV_LOCKED": "1"}
    assert HELP in README
    shown = subprocess.run(
        shlex.split(HELP), cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    paragraph = README.split("Other commands:", 1)[1].split("\n\n", 1)[0]
    for command in ("serve", "token", "billing", "account", "dlq", "stripe-events", "clock", "reconcile"):
        assert f"`{command} " in paragraph, command
        assert re.search(rf"^\s+{command}\s", shown, re.MULTILINE), (command, shown)
    assert "`config`" in paragraph and re.search(r"^\s+config\s", shown, re.MULTILINE), shown
