"""Confirmed transactions per second from one account: the SDK's sender beside plain web3.py defaults.

Every mode sends the same N simple transactions (1-wei transfers to fresh addresses) from one account on its
own fresh anvil (per-transaction time on anvil grows with the chain, so each mode starts at block 0), and
stops the clock when the last receipt is in hand and every receipt says status 1:

- ``web3_default_tx_per_s``: plain web3.py with its defaults, one by one: ``send_transaction`` through
  web3's local-signing middleware (it fills nonce, gas estimate and fees per transaction), then
  ``wait_for_transaction_receipt`` (0.1 s polls).
- ``transfer_tx_per_s``: :class:`pyclaims.tx.TxSender` pipelined: windows of ``WINDOW`` transactions signed
  with contiguous nonces, broadcast in one JSON-RPC batch, receipts polled in one batch per poll.
- ``transfer_tx_per_s_run_ops``: the same through :meth:`TxSender.run_ops` with an fsync'd journal (what
  an idempotent batch mint pays for exactly-once).
- ``transfer_tx_per_s_sync``: :meth:`TxSender.transact` one by one, the receipt coming back in the reply of
  ``eth_sendRawTransactionSync``.
- ``transfer_tx_per_s_poll``: :meth:`TxSender.transact` one by one with receipt polling.
- ``transfer_tx_per_s_sync_threads``: ``THREADS`` threads calling :meth:`TxSender.transact` (sync) on one
  shared sender (nonces from one manager).

Run alone: ``python -m bench.bench_tx [--quick] [-n N]`` prints the figures as JSON. In the harness,
``bench/run.py`` calls :func:`measure`. :func:`sender_rate` measures any list of transaction requests (the
mint and fill figures plug in there).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.middleware import SignAndSendRawMiddlewareBuilder

from bench.anvil import AnvilNode, dev_account
from bench.errors import TransactionError
from pyclaims.tx import Journal, Op, TxSender

if TYPE_CHECKING:
    from bench.context import BenchContext

__all__ = ["FULL_N", "QUICK_N", "main", "measure", "run", "sender_rate", "web3_default_rate"]

FULL_N = 2_000
QUICK_N = 60
WINDOW = 128
THREADS = 8

TxRequest = Mapping[str, Any]


def _transfers(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        {"to": Web3.to_checksum_address(keccak(f"bench-tx:{tag}:{i}".encode())[12:]), "value": 1, "gas": 21_000}
        for i in range(n)
    ]


def _check(receipts: Sequence[Any], n: int, label: str) -> None:
    if len(receipts) != n or any(r["status"] != 1 for r in receipts):
        raise TransactionError(f"{label}: {sum(r['status'] == 1 for r in receipts)} of {n} transactions succeeded")


def web3_default_rate(w3: Web3, account: LocalAccount, txs: Sequence[TxRequest]) -> float:
    """Plain web3.py, defaults: sign through its middleware, send, wait for the receipt, one by one."""
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
    receipts = []
    start = time.perf_counter()
    for tx in txs:
        request = {"from": account.address, "to": tx["to"], "value": tx.get("value", 0)}
        if tx.get("data"):
            request["data"] = tx["data"]
        tx_hash = w3.eth.send_transaction(request)  # type: ignore[arg-type]
        receipts.append(w3.eth.wait_for_transaction_receipt(tx_hash))
    elapsed = time.perf_counter() - start
    _check(receipts, len(txs), "web3 default")
    return len(txs) / elapsed


def sender_rate(
    w3: Web3,
    account: LocalAccount,
    txs: Sequence[TxRequest],
    *,
    mode: str,
    journal_dir: Path | None = None,
) -> float:
    """Confirmed transactions per second of ``txs`` through :class:`TxSender` in ``mode``.

    Modes: ``pipelined``, ``run_ops`` (needs ``journal_dir``), ``sync``, ``poll``, ``sync_threads``.
    """
    chain_id = w3.eth.chain_id
    if mode == "pipelined":
        sender = TxSender(w3, account, expected_chain_id=chain_id, batch_send=True)
        sender.chain_id  # noqa: B018 - the one-time chain check and nonce sync stay out of the timing
        start = time.perf_counter()
        receipts: list[Any] = []
        for first in range(0, len(txs), WINDOW):
            receipts += sender.wait(sender.send_many(list(txs[first : first + WINDOW])))
        elapsed = time.perf_counter() - start
    elif mode == "run_ops":
        if journal_dir is None:
            raise ValueError("journal_dir: run_ops needs a directory for its journal")
        with Journal(journal_dir / "bench.jsonl") as journal:
            sender = TxSender(w3, account, expected_chain_id=chain_id, journal=journal)
            sender.chain_id  # noqa: B018
            ops = [Op(f"bench:{i}", _const(tx)) for i, tx in enumerate(txs)]
            start = time.perf_counter()
            report = sender.run_ops(ops, window=WINDOW)
            elapsed = time.perf_counter() - start
        receipts = [r.receipt for r in report.results if r.receipt is not None]
    elif mode in ("sync", "poll"):
        sender = TxSender(w3, account, expected_chain_id=chain_id, receipt_mode=mode)
        sender.chain_id  # noqa: B018
        sender.sync_supported()
        start = time.perf_counter()
        receipts = [sender.transact(tx) for tx in txs]
        elapsed = time.perf_counter() - start
    elif mode == "sync_threads":
        sender = TxSender(w3, account, expected_chain_id=chain_id, receipt_mode="sync")
        sender.chain_id  # noqa: B018
        sender.sync_supported()
        receipts = []
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(part: Sequence[TxRequest]) -> None:
            try:
                mine = [sender.transact(tx) for tx in part]
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                receipts.extend(mine)

        threads = [threading.Thread(target=work, args=(txs[k::THREADS],)) for k in range(THREADS)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        if errors:
            raise errors[0]
    else:
        raise ValueError(f"mode: unknown mode {mode!r}")
    _check(receipts, len(txs), mode)
    return len(txs) / elapsed


def _const(tx: TxRequest) -> Callable[[], TxRequest]:
    return lambda: tx


MODES = {
    "transfer_tx_per_s": "pipelined",
    "transfer_tx_per_s_run_ops": "run_ops",
    "transfer_tx_per_s_sync": "sync",
    "transfer_tx_per_s_poll": "poll",
    "transfer_tx_per_s_sync_threads": "sync_threads",
}


def run(n: int) -> dict[str, float]:
    """Every mode on its own fresh anvil, ``n`` transfers each; figures in transactions per second."""
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    account = dev_account(0)
    figures: dict[str, float] = {}
    with AnvilNode() as node:
        figures["web3_default_tx_per_s"] = round(web3_default_rate(node.web3(), account, _transfers(n, "web3")), 1)
    for name, mode in MODES.items():
        with AnvilNode() as node, tempfile.TemporaryDirectory() as tmp:
            rate = sender_rate(node.web3(), account, _transfers(n, mode), mode=mode, journal_dir=Path(tmp))
            figures[name] = round(rate, 1)
    return figures


def sdk_rates(n: int) -> dict[str, float]:
    """Confirmed mints and fills per second through the SDK's own paths, on a fresh anvil.

    ``mint_tx_per_s``: ``n`` single-claim ``mint`` transactions from the validator, pipelined by
    ``Client.send_all`` (the nonce manager, batched sends and receipt polling). ``settle_tx_per_s``: ``n``
    ``fillAsk`` transactions from one buyer through :func:`pyclaims.settlement.fill_many` (``batch=False``: one
    transaction per fill, each settling or failing alone). The clock runs from the first send to the last
    receipt; every receipt is checked, and the claims must have reached the buyer.
    """
    from pyclaims.client import Client
    from pyclaims.deployments import deploy_suite
    from pyclaims.models import MintRequest
    from pyclaims.offers import ask
    from pyclaims.settlement import fill_many
    from pyclaims.tx import TxSender
    from pyclaims.types import BaseUnits, ClaimStatus, claim_ref

    admin, seller, buyer = dev_account(0), dev_account(1), dev_account(2)
    with AnvilNode() as node:
        w3 = node.web3()
        client = Client.connect(
            w3, deploy_suite(w3, TxSender(w3, admin, expected_chain_id=w3.eth.chain_id)), account=admin
        )
        expiry = client.block_timestamp() + 365 * 86_400
        client.attest(seller.address, entity_id=1, country=392, expiry=expiry)
        client.attest(buyer.address, entity_id=2, country=826, expiry=expiry)
        client.define_class(1, 1)
        requests = [
            MintRequest(
                claim_ref=claim_ref("1", f"BENCH-{i}"), class_id=1, holder=seller.address, amount=BaseUnits(10**9),
                status=ClaimStatus.Allowed, evidence=b"\x00" * 32,
            )
            for i in range(n)
        ]  # fmt: skip
        txs = [client.tx_request("ClaimToken", "mint", r.as_tuple()) for r in requests]
        start = time.perf_counter()
        minted = client.send_all(txs)
        mint_elapsed = time.perf_counter() - start
        failed = [r for r in minted if isinstance(r, Exception)]
        if failed:
            raise RuntimeError(f"sdk mint: {len(failed)} of {n} mints failed, first: {failed[0]}")
        if client.claim_count() != n:
            raise RuntimeError(f"sdk mint: {client.claim_count()} claims on chain, expected {n}")

        client.mint_stablecoin(buyer.address, n * 1_000_000_000)
        seller_client, buyer_client = client.using(seller), client.using(buyer)
        offers = [
            seller_client.sign_order(ask(maker=seller.address, claim_id=i, price=900_000_000, expiry=expiry, salt=i))
            for i in range(1, n + 1)
        ]
        buyer_client.approve(client.deployment.market, n * 900_000_000)
        start = time.perf_counter()
        report = fill_many(buyer_client, [(o, 0) for o in offers], approve=False)
        fill_elapsed = time.perf_counter() - start
        if report.failed or len(report.records) != n or client.balance_of(buyer.address) != n:
            raise RuntimeError(f"sdk fill: {len(report.records)} of {n} fills settled, {len(report.failed)} failed")
    return {"mint_tx_per_s": round(n / mint_elapsed, 1), "settle_tx_per_s": round(n / fill_elapsed, 1)}


def measure(ctx: BenchContext) -> Mapping[str, int | float]:
    """The harness hook (``bench/run.py``): every mode on fresh nodes of its own (not ``ctx.node``)."""
    n = QUICK_N if ctx.quick else FULL_N
    return {**run(n), **sdk_rates(min(n, 1_000))}


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the figures as JSON; ``--quick`` for CI sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"N = {QUICK_N} (CI): checks the bench runs")
    parser.add_argument("-n", type=int, default=None, help=f"transactions per mode (default {FULL_N})")
    args = parser.parse_args(argv)
    n = args.n if args.n is not None else (QUICK_N if args.quick else FULL_N)
    figures = run(n)
    print(json.dumps({"n": n, **figures}))
    speedup = figures["transfer_tx_per_s"] / figures["web3_default_tx_per_s"]
    print(f"pipelined sender / web3 defaults: {speedup:.1f}x", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
