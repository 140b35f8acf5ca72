from __future__ import annotations

import sys
from pathlib import Path

# The sample service module sits beside the tests (importlib mode does not add test dirs to sys.path).
sys.path.insert(0, str(Path(__file__).parent))
