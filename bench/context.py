"""What every measurement group receives: the node, the funded accounts, and the stablecoin under test.

A *group* is a callable ``measure(ctx: BenchContext) -> Mapping[str, int | float]`` returning figures under
their stable names (``bench/results.json``). ``bench/run.py`` runs the groups in order on one fresh anvil:

- ``anchors``: :func:`bench.anchors.measure` (this harness);
- ``pyclaims``: ``bench/pyclaims_gas.py`` -> ``measure(ctx)`` (the pyclaims contract figures; lead's hook);
- ``sign``: ``bench/bench_sign.py`` -> ``measure(ctx)`` (offers signed per second);
- ``tx``: ``bench/bench_tx.py`` -> ``measure(ctx)`` (confirmed transactions per second).

Like with like: every group that needs a USDC deploys ``ctx.stablecoin`` (the project's ``MockUSDC`` when it
exists), compiled with the suite's settings; ``ctx.quick`` asks for small N (CI).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from bench.anvil import AnvilNode
from bench.chain import Chain
from bench.errors import BenchError
from bench.solidity import PROJECT_ROOT, SUITE_SETTINGS, Artifact, compile_contracts

__all__ = ["STABLECOINS", "BenchContext", "Figures", "Stablecoin", "resolve_stablecoin"]

Figures = Mapping[str, int | float]
"""A group's result: stable figure name -> value (gas as ``int``, rates as ``float``)."""


@dataclass(frozen=True)
class Stablecoin:
    """A USDC-like ERC-20 with ``constructor()`` (deployer owns it), ``mint(to, amount)`` and 6 decimals.

    Attributes:
        label: the name printed in BENCHMARKS.md.
        source: its source unit, relative to the project root.
        contract_name: the contract in that file.
    """

    label: str
    source: str
    contract_name: str

    @property
    def available(self) -> bool:
        """True when the source file exists in this checkout."""
        return (PROJECT_ROOT / self.source).is_file()

    def artifact(self) -> Artifact:
        """Compiled with the suite's settings (cached)."""
        if not self.available:
            raise BenchError(f"stablecoin {self.label}: {self.source} does not exist in this checkout")
        return compile_contracts([self.source], SUITE_SETTINGS).get(f"{self.source}:{self.contract_name}")

    def deploy(self, chain: Chain, owner: LocalAccount) -> Contract:
        """Deploy a fresh instance owned by ``owner``; checks it has 6 decimals."""
        token = chain.deploy(owner, self.artifact(), label=f"deploy {self.label}").contract
        decimals = token.functions.decimals().call()
        if decimals != 6:
            raise BenchError(f"stablecoin {self.label}: decimals() is {decimals}, a USDC-like token has 6")
        return token


STABLECOINS: Mapping[str, Stablecoin] = {
    "mockusdc": Stablecoin(label="MockUSDC", source="contracts/mocks/MockUSDC.sol", contract_name="MockUSDC"),
    "benchusd": Stablecoin(
        label="BenchUSD (plain OZ ERC-20)", source="bench/contracts/BenchUSD.sol", contract_name="BenchUSD"
    ),
}
"""The stablecoins the bench knows: the project's MockUSDC, and a plain OpenZeppelin ERC-20 fallback."""


def resolve_stablecoin(choice: str) -> Stablecoin:
    """``"auto"`` (MockUSDC when its source exists, else BenchUSD), ``"mockusdc"`` or ``"benchusd"``."""
    key = choice.strip().lower()
    if key == "auto":
        return STABLECOINS["mockusdc"] if STABLECOINS["mockusdc"].available else STABLECOINS["benchusd"]
    if key not in STABLECOINS:
        raise ValueError(f"stablecoin: unknown choice {choice!r} (use auto, {', '.join(STABLECOINS)})")
    coin = STABLECOINS[key]
    if not coin.available:
        raise ValueError(f"stablecoin: {coin.source} does not exist in this checkout")
    return coin


@dataclass(frozen=True)
class BenchContext:
    """One run's shared state, handed to every measurement group.

    Attributes:
        node: the run's anvil (fresh, cancun); ``w3`` connected to it; ``chain`` signs and sends.
        accounts: funded dev accounts from anvil's mnemonic (index 0 deploys).
        stablecoin: the USDC-like token every group deploys for its payments.
        quick: small N for CI (e.g. a 1,000-leaf Merkle tree); figures are then not comparable to a full run.
    """

    node: AnvilNode
    w3: Web3
    chain: Chain
    accounts: tuple[LocalAccount, ...]
    stablecoin: Stablecoin
    quick: bool

    @property
    def project_root(self) -> Path:
        """The repository root."""
        return PROJECT_ROOT
