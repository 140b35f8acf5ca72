import sys
from pathlib import Path

# ops_support sits beside the tests (importlib mode does not add test dirs to sys.path).
sys.path.insert(0, str(Path(__file__).parent))
