"""Test helpers for the typed client's tests: a pyclaims suite deployed on a fresh anvil with the SDK itself.

``deploy(node)`` deploys MockUSDC + ClaimToken from the shipped bytecode with :func:`pyclaims.deployments.
deploy_suite` (dev account 0 holds every role and owns MockUSDC) and returns a :class:`Suite` with an admin
client and helpers to onboard wallets, fund them, define classes and mint claims. Imported by the test modules
(``tests/sdk`` is on ``sys.path`` under pytest's default import mode); not part of the package.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    from web3 import Web3

from anvil import Anvil, dev_account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from pyclaims.client import Client
from pyclaims.deployments import Deployment, deploy_suite
from pyclaims.models import MintRequest
from pyclaims.tx import TxSender
from pyclaims.types import BaseUnits, ClaimStatus

__all__ = ["FAR_FUTURE", "RESTRICTED_COUNTRY", "US", "Suite", "deploy", "ref"]

US = 840
RESTRICTED_COUNTRY = 408  # North Korea: restricted in these tests
FAR_FUTURE = 4_102_444_800  # 2100-01-01
USD = 1_000_000


def ref(text: str) -> bytes:
    """A claim reference for tests."""
    return bytes(keccak(text=text))


@dataclass
class Suite:
    """A deployed suite and its admin client (dev account 0: every role, MockUSDC owner)."""

    node: Anvil
    w3: Web3
    deployment: Deployment
    admin: Client

    def client(self, index: int) -> Client:
        """A client for dev account ``index`` on the admin's verified connection."""
        return self.admin.using(dev_account(index))

    def account(self, index: int) -> LocalAccount:
        return dev_account(index)

    def onboard(self, *indices: int, country: int = US, entity: int | None = None) -> list[str]:
        """Attest dev accounts (entity id = index + 100 unless given), pipelined."""
        wallets = [dev_account(i).address for i in indices]
        txs = [
            self.admin.tx_request(
                "ClaimToken", "attest", w, entity if entity is not None else 100 + i, country, FAR_FUTURE, 0
            )
            for i, w in zip(indices, wallets, strict=True)
        ]
        for result in self.admin.send_all(txs):
            assert not isinstance(result, Exception), result
        return [str(w) for w in wallets]

    def fund(self, *indices: int, amount: int = 1_000_000 * USD) -> None:
        """Mint test USDC to dev accounts, pipelined."""
        txs = [self.admin.tx_request("Stablecoin", "mint", dev_account(i).address, amount) for i in indices]
        for result in self.admin.send_all(txs):
            assert not isinstance(result, Exception), result

    def define_classes(self, *class_ids: int, estate: int = 1) -> None:
        txs = [self.admin.tx_request("ClaimToken", "defineClass", c, estate) for c in class_ids]
        for result in self.admin.send_all(txs):
            assert not isinstance(result, Exception), result

    def request(
        self,
        name: str,
        holder_index: int,
        amount_usd: int,
        *,
        class_id: int = 1,
        status: ClaimStatus = ClaimStatus.Allowed,
    ) -> MintRequest:
        return MintRequest(
            claim_ref=ref(name),
            class_id=class_id,
            holder=dev_account(holder_index).address,
            amount=BaseUnits(amount_usd * USD),
            status=status,
            evidence=ref("evidence " + name),
        )

    def mint(self, requests: Sequence[MintRequest]) -> list[int]:
        return list(self.admin.mint_batch(requests).claim_ids)


def deploy(node: Anvil, *, save_to: Path | None = None) -> Suite:
    """Deploy a suite on ``node`` with the SDK (dev account 0) and connect an admin client."""
    w3 = node.web3()
    sender = TxSender(w3, dev_account(0))
    deployment = deploy_suite(w3, sender, save_to=save_to)
    admin = Client.connect(w3, deployment, account=dev_account(0))
    return Suite(node, w3, deployment, admin)
