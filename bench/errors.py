"""Exceptions of the benchmark harness.

::

    BenchError (RuntimeError)
    ├── CompileError        the compiler reported errors, or could not run
    ├── NodeError           anvil could not start or stopped answering
    └── TransactionError    a transaction reverted or a receipt did not come back
"""

from __future__ import annotations

__all__ = ["BenchError", "CompileError", "NodeError", "TransactionError"]


class BenchError(RuntimeError):
    """Root of every error the bench raises: the bench itself broke (not a missed target)."""


class CompileError(BenchError):
    """Solidity compilation failed; the message carries the compiler's formatted errors."""


class NodeError(BenchError):
    """The local node (anvil) could not be started or reached."""


class TransactionError(BenchError):
    """A bench transaction reverted, or its receipt never arrived."""
