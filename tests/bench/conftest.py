"""The bench package lives at the repository root (``bench/``), outside the installed ``pyclaims``: put the root
on ``sys.path`` so its modules import as ``bench.*``."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
