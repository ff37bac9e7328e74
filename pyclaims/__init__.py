"""pyclaims: legal claims on-chain, sold atomically at zero fee.

The public surface is assembled here from private modules; see ``__all__``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
