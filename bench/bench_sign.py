"""Offers signed per second: the pyclaims SDK beside eth-account's ``Account.sign_typed_data``, one thread.

Both sides sign the same orders (a deterministic mix of asks, specific bids and class bids from eight makers)
for the same market and chain, and the bench checks first that they produce the same signatures byte for
byte, so the two rates compare like with like:

- ``sign_per_s``: :func:`pyclaims.offers.sign_order` from a built :class:`~pyclaims.offers.Order` and a
  :class:`~pyclaims.eip712.LocalSigner` to a :class:`~pyclaims.offers.SignedOrder`.
- ``eth_account_sign_per_s``: ``Account.sign_typed_data(key, full_message=...)`` from the prebuilt
  ``eth_signTypedData_v4`` document (its native input) to a ``SignedMessage``.

Time is the process's CPU time (``time.process_time``): "per second on one core" even when other work shares
the machine's cores (the wall-clock rates are printed by ``--details``). Each rate is the best of several
interleaved rounds. No node is needed.
Targets (issue 5): ``sign_per_s`` >= 20,000 and >= 6 x ``eth_account_sign_per_s``.

Run alone: ``python -m bench.bench_sign [--quick]`` prints ``{"sign_per_s": ..., "eth_account_sign_per_s": ...}``.
In the harness, ``bench/run.py`` calls :func:`measure` (``ctx.quick`` selects the small sizes).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_account import Account

from pyclaims.eip712 import LocalSigner, market_domain, typed_data_order
from pyclaims.offers import Order, ask, bid_for_claim, class_bid, sign_order

if TYPE_CHECKING:
    from bench.context import BenchContext

__all__ = ["SignBench", "build_orders", "main", "measure", "run"]

MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337
MAKERS = 8


@dataclass(frozen=True)
class SignBench:
    """Sizes of one run: orders signed per round by each side, and the number of rounds."""

    sdk_orders: int
    eth_account_orders: int
    rounds: int


FULL = SignBench(sdk_orders=20_000, eth_account_orders=3_000, rounds=3)
QUICK = SignBench(sdk_orders=1_000, eth_account_orders=150, rounds=1)


def _keys(count: int) -> list[bytes]:
    # Deterministic, valid secp256k1 secrets (small integers, far below the group order).
    return [(0xB0B0 + i).to_bytes(32, "big") for i in range(count)]


def build_orders(count: int, signers: Sequence[LocalSigner], *, seed: int = 712) -> list[tuple[Order, int]]:
    """``count`` orders (asks, specific bids, class bids in turn) with the index of the maker's signer."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not key material
    out: list[tuple[Order, int]] = []
    for i in range(count):
        who = rng.randrange(len(signers))
        maker = signers[who].address
        expiry = 1_900_000_000 + rng.randrange(10**7)
        salt = rng.getrandbits(256)
        kind = i % 3
        if kind == 0:
            order = ask(
                maker=maker, claim_id=rng.randrange(1, 10**6), price=rng.randrange(1, 10**12), expiry=expiry, salt=salt
            )
        elif kind == 1:
            order = bid_for_claim(
                maker=maker, claim_id=rng.randrange(1, 10**6), price=rng.randrange(1, 10**12), expiry=expiry, salt=salt
            )
        else:
            order = class_bid(
                maker=maker,
                class_id=rng.randrange(1, 10),
                price_per_million=rng.randrange(100_000, 1_000_000),
                max_amount=rng.randrange(1, 10**13),
                expiry=expiry,
                salt=salt,
            )
        out.append((order, who))
    return out


def _time_sdk(pairs: Sequence[tuple[Order, LocalSigner]]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to sign every order with the SDK."""
    wall, cpu = time.perf_counter(), time.process_time()
    for order, signer in pairs:
        sign_order(order, signer, market=MARKET, chain_id=CHAIN_ID)
    return time.process_time() - cpu, time.perf_counter() - wall


def _time_eth_account(pairs: Sequence[tuple[dict[str, Any], bytes]]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to sign every document with eth-account."""
    sign = Account.sign_typed_data
    wall, cpu = time.perf_counter(), time.process_time()
    for document, key in pairs:
        sign(key, full_message=document)
    return time.process_time() - cpu, time.perf_counter() - wall


def run(sizes: SignBench) -> dict[str, float]:
    """Measure both rates; raises ``AssertionError`` if the two sides' signatures ever differ."""
    keys = _keys(MAKERS)
    signers = [LocalSigner(k) for k in keys]
    orders = build_orders(sizes.sdk_orders, signers)
    domain = market_domain(CHAIN_ID, MARKET)
    sdk_pairs = [(order, signers[who]) for order, who in orders]
    eth_pairs = [(typed_data_order(order, domain), keys[who]) for order, who in orders[: sizes.eth_account_orders]]

    # Like with like: the same bytes come out of both, on every order eth-account will sign.
    for (order, signer), (document, key) in zip(sdk_pairs, eth_pairs, strict=False):
        ours = sign_order(order, signer, market=MARKET, chain_id=CHAIN_ID).signature
        theirs = bytes(Account.sign_typed_data(key, full_message=document).signature)
        assert ours == theirs, f"signatures differ for {order}"

    sdk_cpu = sdk_wall = eth_cpu = eth_wall = float("inf")
    for _ in range(sizes.rounds):  # interleaved, so a burst of outside load hits both sides alike
        cpu, wall = _time_sdk(sdk_pairs)
        sdk_cpu, sdk_wall = min(sdk_cpu, cpu), min(sdk_wall, wall)
        cpu, wall = _time_eth_account(eth_pairs)
        eth_cpu, eth_wall = min(eth_cpu, cpu), min(eth_wall, wall)
    return {
        "sign_per_s": round(len(sdk_pairs) / sdk_cpu, 1),
        "eth_account_sign_per_s": round(len(eth_pairs) / eth_cpu, 1),
        "wall_sign_per_s": round(len(sdk_pairs) / sdk_wall, 1),
        "wall_eth_account_sign_per_s": round(len(eth_pairs) / eth_wall, 1),
    }


def _stable(figures: Mapping[str, float]) -> dict[str, float]:
    return {name: figures[name] for name in ("sign_per_s", "eth_account_sign_per_s")}


def measure(ctx: BenchContext) -> Mapping[str, int | float]:
    """The harness hook (``bench/run.py``): the two signing rates; no chain access."""
    return _stable(run(QUICK if ctx.quick else FULL))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the two rates as JSON; ``--quick`` for CI sizes; ``--details`` adds sizes and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small N (CI): checks the bench runs, not the rates")
    parser.add_argument("--details", action="store_true", help="also print sizes and the ratio to stderr")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    figures = run(sizes)
    print(json.dumps(_stable(figures)))
    if args.details:
        ratio = figures["sign_per_s"] / figures["eth_account_sign_per_s"]
        print(
            f"sdk {sizes.sdk_orders} orders, eth-account {sizes.eth_account_orders} orders, best of "
            f"{sizes.rounds} rounds; CPU-time ratio {ratio:.1f}x; wall-clock: sdk "
            f"{figures['wall_sign_per_s']}/s, eth-account {figures['wall_eth_account_sign_per_s']}/s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
