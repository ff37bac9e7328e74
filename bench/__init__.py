"""pyclaims benchmark harness: pyclaims beside Seaport, ERC-3643 T-REX, MerkleDistributor and the floor.

One entry point, ``python -m bench.run`` (``make bench``): one fresh anvil, one run, every figure under a stable
name in ``bench/results.json`` and a regenerated ``BENCHMARKS.md``. See ``bench/run.py``.

Modules:

- ``bench.anvil``: a fresh anvil per run and the dev accounts derived from anvil's well-known mnemonic.
- ``bench.solidity``: compiles Solidity through the project's solc-js bridge, with a content-addressed cache.
- ``bench.chain``: sends signed transactions and deploys artifacts, returning receipts.
- ``bench.merkle``: the Uniswap MerkleDistributor tree (sorted-pair hashing) built in Python.
- ``bench.seaport``: Seaport 1.6 order types, EIP-712 signing and ``BasicOrderParameters``.
- ``bench.anchors``: the anchor measurements (Seaport, floor, T-REX, MerkleDistributor).
- ``bench.context``: what every measurement group receives (the hooks for pyclaims and Python figures).
- ``bench.figures``: the stable figure names of ``results.json`` and the groups that produce them.
- ``bench.report``: targets, ratios and ``BENCHMARKS.md``; ``bench.conditions``: compilers, node, machine.
- ``bench.run``: the single entry point.

Hook for the pyclaims figures: a module ``bench/pyclaims_gas.py`` with ``measure(ctx) -> Mapping[str, int]``
returning ``settle_gas`` ... ``batch_payout_gas_per_claim`` (``bench.figures``); ``bench/bench_sign.py`` and
``bench/bench_tx.py`` plug in the same way. A module that does not exist yet is reported as not measured.
"""

from __future__ import annotations

__all__: list[str] = []
