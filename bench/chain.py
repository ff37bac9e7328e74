"""Send locally signed transactions to the bench node and deploy artifacts; every call returns its receipt.

Gas figures are receipt ``gasUsed``. A reverted transaction (or one that would revert at estimation) raises
:class:`~bench.errors.TransactionError` naming the step, so a broken bench never records a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception
from web3.types import TxParams, TxReceipt, Wei

from bench.errors import TransactionError
from bench.solidity import Artifact

__all__ = ["Chain", "Deployment"]

_MAX_FEE = Web3.to_wei(100, "gwei")
_TIP = Web3.to_wei(1, "gwei")


@dataclass(frozen=True)
class Deployment:
    """A deployed contract and the receipt of its creation."""

    contract: Contract
    receipt: TxReceipt

    @property
    def address(self) -> ChecksumAddress:
        """The contract's address."""
        return self.contract.address


class Chain:
    """Signs with the given local accounts, sends, and waits for receipts (one transaction per block)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.chain_id = w3.eth.chain_id
        self._nonces: dict[str, int] = {}

    def _next_nonce(self, sender: LocalAccount) -> int:
        if sender.address not in self._nonces:
            self._nonces[sender.address] = self.w3.eth.get_transaction_count(sender.address, "pending")
        nonce = self._nonces[sender.address]
        self._nonces[sender.address] = nonce + 1
        return nonce

    def send(self, sender: LocalAccount, tx: TxParams, *, label: str) -> TxReceipt:
        """Fill in nonce, fees and gas, sign with ``sender``, send, and return the successful receipt."""
        params: dict[str, Any] = {
            "from": sender.address,
            "chainId": self.chain_id,
            "maxFeePerGas": _MAX_FEE,
            "maxPriorityFeePerGas": _TIP,
            "value": 0,
            **cast(dict[str, Any], tx),
        }
        try:
            if "gas" not in params:
                params["gas"] = self.w3.eth.estimate_gas(cast(TxParams, params)) * 12 // 10 + 10_000
        except (ContractLogicError, Web3Exception, ValueError) as exc:
            raise TransactionError(f"{label}: would revert ({exc})") from exc
        params["nonce"] = self._next_nonce(sender)
        signed = sender.sign_transaction(params)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.005)
        except (TimeExhausted, Web3Exception, ValueError) as exc:
            self._nonces.pop(sender.address, None)  # re-read from the node next time
            raise TransactionError(f"{label}: not mined ({exc})") from exc
        if receipt["status"] != 1:
            raise TransactionError(f"{label}: reverted (tx {HexBytes(receipt['transactionHash']).to_0x_hex()})")
        return receipt

    def transact(self, sender: LocalAccount, call: ContractFunction, *, label: str, value: int = 0) -> TxReceipt:
        """Send the contract call ``call`` from ``sender``; returns the receipt."""
        try:
            data = call._encode_transaction_data()
        except (Web3Exception, ValueError, TypeError) as exc:
            raise TransactionError(f"{label}: cannot encode the call ({exc})") from exc
        tx: TxParams = {"to": call.address, "data": HexBytes(data), "value": Wei(value)}
        return self.send(sender, tx, label=label)

    def deploy(self, sender: LocalAccount, artifact: Artifact, *args: Any, label: str | None = None) -> Deployment:
        """Deploy ``artifact`` with constructor ``args`` from ``sender``."""
        return self.deploy_raw(sender, artifact.abi, artifact.bytecode, *args, label=label or f"deploy {artifact.name}")

    def deploy_raw(
        self, sender: LocalAccount, abi: Sequence[dict[str, Any]], bytecode: bytes, *args: Any, label: str
    ) -> Deployment:
        """Deploy creation ``bytecode`` with ``abi``-encoded constructor ``args`` from ``sender``."""
        if not bytecode:
            raise TransactionError(f"{label}: empty bytecode (an interface or an abstract contract?)")
        factory = self.w3.eth.contract(abi=list(abi), bytecode=bytecode)
        try:
            data = factory.constructor(*args).data_in_transaction
        except (Web3Exception, ValueError, TypeError) as exc:
            raise TransactionError(f"{label}: cannot encode the constructor ({exc})") from exc
        receipt = self.send(sender, {"data": HexBytes(data)}, label=label)
        address = receipt["contractAddress"]
        if address is None:
            raise TransactionError(f"{label}: the receipt has no contract address")
        return Deployment(contract=self.w3.eth.contract(address=address, abi=list(abi)), receipt=receipt)

    def at(self, address: ChecksumAddress | str, abi: Sequence[dict[str, Any]]) -> Contract:
        """The contract at ``address`` with ``abi``."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=list(abi))
