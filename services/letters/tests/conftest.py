"""Fixtures of the letters tests; helpers live in letters_testkit beside this file."""

from __future__ import annotations

import sys
from pathlib import Path

# importlib mode does not put test directories on sys.path; the helper module sits beside us.
sys.path.insert(0, str(Path(__file__).parent))
