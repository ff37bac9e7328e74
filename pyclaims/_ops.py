"""Helpers for idempotent operations over :meth:`pyclaims.tx.TxSender.run_ops` shared by minting and payouts.

The journal's "done" is final: once an operation's transaction was journaled mined, ``run_ops`` reports it
``already_done`` without asking the chain. A node that restarts from an older state (anvil ``--state`` after a
SIGKILL) or a reorganisation can lose that mined transaction. :func:`current_op` detects it (the journal says
done, the chain predicate says not done, and the winning transaction has no receipt any more) and gives the
operation its next *generation* id (``<id>#2``, ``#3``...), deterministically from the journal and the chain, so
the operation runs again exactly once; the on-chain predicate (and the contracts, which refuse a second mint of a
reference or a second payout of a (round, claim)) keep it exactly-once.
"""

from __future__ import annotations

from dataclasses import replace

from web3 import Web3

from pyclaims._rpc import call, to_int
from pyclaims.tx import Journal, Op, TxSender, WouldRevertError

__all__ = ["current_op", "fit_window", "generation_id"]


def generation_id(base: str, generation: int) -> str:
    """The id of an operation's ``generation`` (1 is the base id itself)."""
    return base if generation == 1 else f"{base}#{generation}"


def current_op(journal: Journal, w3: Web3, op: Op, *, done_on_chain: bool) -> Op:
    """``op`` under the id of its live generation (see the module docstring)."""
    generation = 1
    while True:
        op_id = generation_id(op.id, generation)
        history = journal.history(op_id)
        if history is None or not history.done or done_on_chain:
            return op if op_id == op.id else replace(op, id=op_id)
        if history.winner is not None and call(w3, "eth_getTransactionReceipt", [history.winner]) is not None:
            return op if op_id == op.id else replace(op, id=op_id)  # really done: the journal is right
        generation += 1


def fit_window(sender: TxSender, op: Op, window: int) -> int:
    """How many transactions like ``op``'s to keep in flight: at most ``window``, and no more than fit in 90 %
    of a block's gas (a burst that overflows a block makes a local dev node's automine stall, and on any chain
    only queues behind itself)."""
    try:
        tx = op.build()
        gas = sender.estimate_gas(tx.get("to"), bytes(tx.get("data", b"")), int(tx.get("value", 0)))
    except WouldRevertError:
        return window  # run_ops will report it; nothing to size
    block = call(sender.w3, "eth_getBlockByNumber", ["latest", False])
    limit = to_int(block["gasLimit"], field="gasLimit")
    return max(1, min(window, (limit * 9 // 10) // max(1, gas)))
