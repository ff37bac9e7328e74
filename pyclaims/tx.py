"""Sending transactions exactly once: chain checks, nonces, fees, a write-ahead journal, receipts, replacement.

This is the operations layer under the typed client. Its chain dependencies are web3.py and eth-account only.

Pieces:

- :func:`check_chain` refuses, before anything is signed, a node whose chain id or contract code differs from
  what the caller expects (:class:`WrongChainError`, :class:`WrongCodeError`).
- :class:`NonceManager` hands out contiguous nonces for one (chain, account) to any number of threads.
- :class:`FeePolicy` turns ``eth_feeHistory`` into EIP-1559 fees (base fee times a multiplier plus a tip).
- :class:`Journal` is an append-only, fsync'd JSON-lines file of what was signed and sent for which operation.
- :class:`TxSender` signs locally (an eth-account ``LocalAccount``), sends raw transactions, keeps many in
  flight from one account, waits for receipts by polling them in JSON-RPC batches (or gets the receipt in
  the reply through ``eth_sendRawTransactionSync`` where the node has it), checks every receipt, replaces a
  stuck transaction at the same nonce, and runs idempotent operations (:class:`Op`) with
  :meth:`TxSender.run_ops`, resuming whatever a crash or a lost reply left in flight.

Exactly once. Every operation has a deterministic id (``"mint:0x<claimRef>"``). Before a transaction is
broadcast, its signed bytes are in the journal on disk (write-ahead). On a later run, every attempt the journal
knows is looked up on chain first: mined attempts are recorded; attempts still in the node's pool are waited
for; attempts the node has forgotten are re-broadcast byte for byte (the same signed bytes can be mined at most
once, because of the nonce); an attempt whose nonce has been used by another transaction can never be mined
and is marked dropped. Only then, and only if the caller's on-chain predicate (``Op.is_done``) says the effect
is absent, is a new transaction built. A lost RPC reply is handled the same way at send time: web3.py's HTTP
provider retries ``eth_sendRawTransaction`` up to five times, so a transaction the node did accept comes back
as "already known" or "nonce too low"; the sender then looks its own transaction up by hash and never signs a
second one for the same operation.

Exceptions (a local root, :class:`TxError`)::

    TxError
    ├── WrongChainError          chain id differs from the expected one
    ├── WrongCodeError           a contract's runtime code hash differs
    ├── JournalError             the journal file is unreadable or belongs to another chain / account
    ├── SendRejectedError        the node refused a transaction (insufficient funds, fee below base fee, ...)
    ├── SendUncertainError       the transport failed; the node cannot tell whether it has the transaction
    ├── WouldRevertError         gas estimation reverted: nothing was signed
    ├── TransactionFailedError   mined with status 0 (tx hash, block, revert data when the replay gives it)
    ├── StuckTransactionError    not mined within the timeout (call :meth:`TxSender.replace`)
    └── DroppedTransactionError  the nonce was used by a transaction that is not ours
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any, Protocol, cast

import coincurve
import requests
from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.datastructures import AttributeDict
from web3.types import TxReceipt

from pyclaims._rpc import RpcError, call, call_many, to_int
from pyclaims.errors import PyclaimsError

__all__ = [
    "DroppedTransactionError",
    "FeePolicy",
    "Fees",
    "Journal",
    "JournalError",
    "JournalRecord",
    "NonceManager",
    "Op",
    "OpHistory",
    "OpResult",
    "OpStatus",
    "RunReport",
    "SendRejectedError",
    "SendUncertainError",
    "SentTx",
    "Signer",
    "StuckTransactionError",
    "TransactionFailedError",
    "TxError",
    "TxSender",
    "TxState",
    "WouldRevertError",
    "WrongChainError",
    "WrongCodeError",
    "check_chain",
    "code_hash",
]

_EMPTY_CODE_HASH = keccak(b"")
_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
_PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    requests.ConnectionError,
    requests.Timeout,
    requests.HTTPError,
)


# ------------------------------------------------------------------------------------------------ errors


class TxError(PyclaimsError):
    """Root of the operations layer's errors (re-parented under the package root by ``pyclaims``)."""


class WrongChainError(TxError):
    """The node's chain id is not the expected one; nothing was signed.

    Attributes:
        expected: the chain id the caller expected.
        actual: the chain id the node reports.
    """

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"wrong chain: expected chain id {expected}, the node reports {actual}")


class WrongCodeError(TxError):
    """A contract's runtime code hash is not the expected one; nothing was signed.

    Attributes:
        address: the contract address checked.
        expected: the expected keccak256 of its runtime code.
        actual: the keccak256 of the code the node holds (``keccak256(b"")`` when there is none).
        code_size: the size in bytes of the code the node holds.
    """

    def __init__(self, address: ChecksumAddress, expected: bytes, actual: bytes, code_size: int) -> None:
        self.address = address
        self.expected = bytes(expected)
        self.actual = bytes(actual)
        self.code_size = code_size
        what = "no code" if code_size == 0 else f"{code_size} bytes of other code"
        super().__init__(
            f"wrong code at {address}: expected code hash 0x{self.expected.hex()}, found {what} "
            f"(hash 0x{self.actual.hex()})"
        )


class JournalError(TxError):
    """The journal cannot be used: a corrupt line, or records of another chain or account.

    Attributes:
        path: the journal file.
        line: the 1-based line number concerned, when there is one.
        reason: what is wrong.
    """

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"journal {where}: {reason}")


class SendRejectedError(TxError):
    """The node refused the transaction; it will never be mined (its nonce was released for reuse).

    Attributes:
        tx_hash: the refused transaction's hash.
        nonce: its nonce.
        op_id: the operation it was for, if any.
        code: the node's JSON-RPC error code.
        message: the node's error message.
    """

    def __init__(self, tx_hash: HexBytes, nonce: int, op_id: str | None, code: int | None, message: str) -> None:
        self.tx_hash = tx_hash
        self.nonce = nonce
        self.op_id = op_id
        self.code = code
        self.message = message
        super().__init__(
            f"node refused transaction {tx_hash.to_0x_hex()} (nonce {nonce}"
            f"{', op ' + op_id if op_id else ''}): {message}"
        )


class SendUncertainError(TxError):
    """The transport failed while sending and the node could not be asked whether it has the transaction.

    The signed bytes are in the journal (when one is used): a later :meth:`TxSender.resume` or
    :meth:`TxSender.run_ops` finds out and never sends a second transaction for the operation.

    Attributes:
        tx_hash: the transaction's hash.
        nonce: its nonce.
        op_id: the operation it was for, if any.
        cause: the transport error.
    """

    def __init__(self, tx_hash: HexBytes, nonce: int, op_id: str | None, cause: BaseException) -> None:
        self.tx_hash = tx_hash
        self.nonce = nonce
        self.op_id = op_id
        self.cause = cause
        super().__init__(
            f"cannot tell whether the node has transaction {tx_hash.to_0x_hex()} (nonce {nonce}"
            f"{', op ' + op_id if op_id else ''}): {cause!r}"
        )


class WouldRevertError(TxError):
    """Gas estimation reverted, so nothing was signed.

    Attributes:
        op_id: the operation, if any.
        revert_data: the revert data the node returned (empty when it gave none).
        reason: ``Error(string)`` / ``Panic(uint256)`` decoded, or the node's message.
        decoded: what the sender's ``revert_decoder`` made of the revert data, if anything.
    """

    def __init__(self, op_id: str | None, revert_data: bytes, reason: str, decoded: Exception | None) -> None:
        self.op_id = op_id
        self.revert_data = revert_data
        self.reason = reason
        self.decoded = decoded
        label = f" (op {op_id})" if op_id else ""
        super().__init__(f"transaction would revert{label}: {decoded or reason}")


class TransactionFailedError(TxError):
    """A transaction was mined with status 0.

    Attributes:
        tx_hash: the failed transaction's hash.
        op_id: the operation it was for, if any.
        block_number: the block it was mined in.
        gas_used: the gas it used.
        revert_data: the revert data from replaying it with ``eth_call`` at the parent block, or ``None``
            when the replay did not revert (the state it ran against differed) or the node gave no data.
        reason: ``Error(string)`` / ``Panic(uint256)`` decoded from the revert data, or the node's message.
        decoded: what the sender's ``revert_decoder`` made of the revert data, if anything.
        receipt: the receipt.
    """

    def __init__(
        self,
        *,
        tx_hash: HexBytes,
        op_id: str | None,
        block_number: int,
        gas_used: int,
        revert_data: bytes | None,
        reason: str | None,
        decoded: Exception | None,
        receipt: TxReceipt,
    ) -> None:
        self.tx_hash = tx_hash
        self.op_id = op_id
        self.block_number = block_number
        self.gas_used = gas_used
        self.revert_data = revert_data
        self.reason = reason
        self.decoded = decoded
        self.receipt = receipt
        label = f" (op {op_id})" if op_id else ""
        why = decoded or reason or (f"revert data 0x{revert_data.hex()}" if revert_data else "no revert data")
        super().__init__(f"transaction {tx_hash.to_0x_hex()}{label} failed in block {block_number}: {why}")


class StuckTransactionError(TxError):
    """A transaction was not mined within the timeout. Replace it with :meth:`TxSender.replace`.

    Attributes:
        sent: the latest attempt at the stuck nonce.
        waited: seconds waited.
        chain_nonce: the account's mined transaction count when the wait gave up (``None`` if unknown); below
            ``sent.nonce`` it means a lower nonce is missing from the node.
    """

    def __init__(self, sent: SentTx, waited: float, chain_nonce: int | None = None) -> None:
        self.sent = sent
        self.waited = waited
        self.chain_nonce = chain_nonce
        label = f" (op {sent.op_id})" if sent.op_id else ""
        hole = (
            f"; the account's nonce on chain is {chain_nonce}: nonces {chain_nonce}..{sent.nonce - 1} are missing"
            if chain_nonce is not None and chain_nonce < sent.nonce
            else ""
        )
        super().__init__(
            f"transaction {sent.tx_hash.to_0x_hex()}{label} at nonce {sent.nonce} not mined after {waited:.1f} s{hole}"
        )

    @property
    def tx_hash(self) -> HexBytes:
        """The stuck transaction's hash."""
        return self.sent.tx_hash

    @property
    def nonce(self) -> int:
        """The stuck nonce."""
        return self.sent.nonce


class DroppedTransactionError(TxError):
    """The nonce of a transaction was used by another transaction that is not one of ours: ours never mines.

    Attributes:
        sent: the latest attempt at that nonce.
    """

    def __init__(self, sent: SentTx) -> None:
        self.sent = sent
        super().__init__(
            f"transaction {sent.tx_hash.to_0x_hex()} dropped: nonce {sent.nonce} was used by another transaction"
        )


# ------------------------------------------------------------------------------------------------ chain checks


def code_hash(w3: Web3, address: str) -> bytes:
    """keccak256 of the runtime code at ``address`` (``keccak256(b"")`` when there is none)."""
    code = call(w3, "eth_getCode", [to_checksum_address(address), "latest"])
    return keccak(HexBytes(code))


def check_chain(w3: Web3, expected_chain_id: int, expected_code_hashes: Mapping[str, bytes] | None = None) -> int:
    """Refuse a node on another chain, or whose contracts hold other code. Returns the chain id.

    Args:
        w3: the connection to check.
        expected_chain_id: the chain id the caller means to sign for.
        expected_code_hashes: contract address -> expected keccak256 of its runtime code.

    Raises:
        WrongChainError: the node's chain id differs.
        WrongCodeError: a contract's code hash differs (or it has no code).
    """
    if expected_chain_id <= 0:
        raise ValueError(f"expected_chain_id: must be a positive chain id, got {expected_chain_id}")
    actual = to_int(call(w3, "eth_chainId", []), field="eth_chainId")
    if actual != expected_chain_id:
        raise WrongChainError(expected_chain_id, actual)
    hashes = expected_code_hashes or {}
    addresses = [to_checksum_address(a) for a in hashes]
    codes = call_many(w3, [("eth_getCode", [a, "latest"]) for a in addresses])
    for address, (given, expected), res in zip(addresses, hashes.items(), codes, strict=True):
        if len(expected) != 32:
            raise ValueError(f"expected_code_hashes[{given}]: must be 32 bytes, got {len(expected)}")
        code = HexBytes(res.unwrap())
        actual_hash = keccak(code)
        if actual_hash != bytes(expected):
            raise WrongCodeError(address, bytes(expected), actual_hash, len(code))
    return actual


# ------------------------------------------------------------------------------------------------ fees


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fees of one transaction, in wei per gas."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int

    def __post_init__(self) -> None:
        if self.max_priority_fee_per_gas < 0:
            raise ValueError(f"max_priority_fee_per_gas: must be >= 0, got {self.max_priority_fee_per_gas}")
        if self.max_fee_per_gas < self.max_priority_fee_per_gas:
            raise ValueError(
                f"max_fee_per_gas: must be >= max_priority_fee_per_gas ({self.max_priority_fee_per_gas}), "
                f"got {self.max_fee_per_gas}"
            )

    def bumped(self, percent: int) -> Fees:
        """Both fees raised by at least ``percent`` % (rounded up, and by at least 1 wei)."""
        if percent < 1:
            raise ValueError(f"percent: must be >= 1, got {percent}")

        def up(value: int) -> int:
            return max(value + 1, -(-value * (100 + percent) // 100))

        return Fees(up(self.max_fee_per_gas), up(self.max_priority_fee_per_gas))


@dataclass(frozen=True)
class FeePolicy:
    """How the sender prices transactions (EIP-1559).

    ``max_fee_per_gas = next_base_fee * base_fee_multiplier_pct / 100 + tip``, where ``next_base_fee`` is the
    pending block's base fee from ``eth_feeHistory`` and ``tip`` is ``priority_fee`` when set, otherwise the
    ``reward_percentile`` of the last ``history_blocks`` blocks' tips, at least ``min_priority_fee``.

    Attributes:
        base_fee_multiplier_pct: headroom over the next base fee, in percent (200 = twice the base fee).
        priority_fee: a fixed tip in wei, or ``None`` to take it from the fee history.
        min_priority_fee: the lowest tip used when it comes from the fee history.
        reward_percentile: the percentile of past tips used (0..100).
        history_blocks: how many past blocks ``eth_feeHistory`` looks at.
        max_fee_cap: refuse (``ValueError``) to price above this ``max_fee_per_gas``; ``None`` = no cap.
        replacement_bump_pct: how much a replacement raises both fees (nodes want at least 10 %).
        cache_seconds: how long one fee quote is reused (one ``eth_feeHistory`` per period, not per tx).
    """

    base_fee_multiplier_pct: int = 200
    priority_fee: int | None = None
    min_priority_fee: int = 1_000_000_000
    reward_percentile: int = 50
    history_blocks: int = 5
    max_fee_cap: int | None = None
    replacement_bump_pct: int = 12
    cache_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.base_fee_multiplier_pct < 100:
            raise ValueError(f"base_fee_multiplier_pct: must be >= 100, got {self.base_fee_multiplier_pct}")
        if self.priority_fee is not None and self.priority_fee < 0:
            raise ValueError(f"priority_fee: must be >= 0, got {self.priority_fee}")
        if self.min_priority_fee < 0:
            raise ValueError(f"min_priority_fee: must be >= 0, got {self.min_priority_fee}")
        if not 0 <= self.reward_percentile <= 100:
            raise ValueError(f"reward_percentile: must be in 0..100, got {self.reward_percentile}")
        if not 1 <= self.history_blocks <= 1024:
            raise ValueError(f"history_blocks: must be in 1..1024, got {self.history_blocks}")
        if self.max_fee_cap is not None and self.max_fee_cap <= 0:
            raise ValueError(f"max_fee_cap: must be > 0, got {self.max_fee_cap}")
        if self.replacement_bump_pct < 10:
            raise ValueError(
                f"replacement_bump_pct: must be >= 10 (nodes refuse less), got {self.replacement_bump_pct}"
            )
        if self.cache_seconds < 0:
            raise ValueError(f"cache_seconds: must be >= 0, got {self.cache_seconds}")

    def quote(self, w3: Web3) -> Fees:
        """Fees for a transaction sent now (one ``eth_feeHistory`` call)."""
        history = call(w3, "eth_feeHistory", [hex(self.history_blocks), "latest", [self.reward_percentile]])
        base_fees = history.get("baseFeePerGas") or []
        if not base_fees:
            raise RpcError("eth_feeHistory", None, "no baseFeePerGas in the reply (a pre-London chain?)")
        next_base = to_int(base_fees[-1], field="baseFeePerGas")
        if self.priority_fee is not None:
            tip = self.priority_fee
        else:
            rewards = sorted(to_int(row[0], field="reward") for row in (history.get("reward") or []) if row)
            tip = max(self.min_priority_fee, rewards[len(rewards) // 2] if rewards else 0)
        max_fee = next_base * self.base_fee_multiplier_pct // 100 + tip
        if self.max_fee_cap is not None and max_fee > self.max_fee_cap:
            raise ValueError(
                f"max_fee_cap: the fee needed now ({max_fee} wei/gas) is above the cap ({self.max_fee_cap})"
            )
        return Fees(max_fee, tip)


# ------------------------------------------------------------------------------------------------ nonces


class NonceManager:
    """Contiguous nonces for one account on one chain, shared by any number of threads and senders.

    Share one manager per (chain, account): two managers for the same account would hand out the same nonce.

    - :meth:`acquire` hands out the next nonce (first syncing from ``eth_getTransactionCount(pending)``).
    - :meth:`release` gives back a nonce that was never broadcast (signing failed, the node refused it).
      If it was the last one handed out, the counter steps back; otherwise it becomes a *gap* and the next
      :meth:`acquire` hands it out again before any new nonce. A gap that nobody reuses blocks every later
      transaction of the account in the node's queue: :meth:`TxSender.fill_gaps` closes remaining gaps with
      zero-value transfers to self.
    - :meth:`resync` moves the counter up to the chain's pending count after a "nonce too low" (another
      process used the account) and forgets gaps below it. It never moves the counter down, so nonces that
      are in flight are never handed out twice.
    - :meth:`reset` sets the counter outright (used after a node restart lost transactions).

    Args:
        chain_id: the chain these nonces are for.
        address: the account.
        fetch_pending: returns the account's pending transaction count from the node.
    """

    def __init__(self, chain_id: int, address: str, fetch_pending: Callable[[], int]) -> None:
        self.chain_id = chain_id
        self.address: ChecksumAddress = to_checksum_address(address)
        self._fetch_pending = fetch_pending
        self._lock = threading.Lock()
        self._next: int | None = None
        self._gaps: set[int] = set()

    @classmethod
    def for_web3(cls, w3: Web3, address: str, chain_id: int | None = None) -> NonceManager:
        """A manager reading the pending count of ``address`` through ``w3``."""
        checksum = to_checksum_address(address)
        cid = chain_id if chain_id is not None else to_int(call(w3, "eth_chainId", []), field="eth_chainId")

        def fetch() -> int:
            return to_int(call(w3, "eth_getTransactionCount", [checksum, "pending"]), field="nonce")

        return cls(cid, checksum, fetch)

    def acquire(self) -> int:
        """The next nonce to use (a released gap first, lowest first)."""
        with self._lock:
            if self._next is None:
                self._next = self._fetch_pending()
            if self._gaps:
                nonce = min(self._gaps)
                self._gaps.remove(nonce)
                return nonce
            nonce = self._next
            self._next += 1
            return nonce

    def acquire_many(self, count: int) -> list[int]:
        """``count`` nonces at once (gaps first, then contiguous new ones)."""
        if count < 0:
            raise ValueError(f"count: must be >= 0, got {count}")
        with self._lock:
            if self._next is None:
                self._next = self._fetch_pending()
            out = sorted(self._gaps)[:count]
            self._gaps.difference_update(out)
            fresh = count - len(out)
            out.extend(range(self._next, self._next + fresh))
            self._next += fresh
            return out

    def release(self, nonce: int) -> None:
        """Give back a nonce that was handed out but never broadcast."""
        with self._lock:
            if self._next is None or nonce >= self._next or nonce < 0:
                raise ValueError(f"nonce: {nonce} was not handed out by this manager")
            if nonce in self._gaps:
                raise ValueError(f"nonce: {nonce} was already released")
            self._gaps.add(nonce)
            # Fold gaps at the top back into the counter so they are not left as holes.
            while self._next - 1 in self._gaps:
                self._next -= 1
                self._gaps.remove(self._next)

    def resync(self) -> int:
        """Move up to the chain's pending count (never down); returns the next nonce."""
        pending = self._fetch_pending()
        with self._lock:
            if self._next is None or pending > self._next:
                self._next = pending
            self._gaps = {g for g in self._gaps if g >= pending}
            return self._next

    def reset(self, next_nonce: int) -> None:
        """Set the next nonce outright and forget gaps (only when nothing of ours is in flight)."""
        if next_nonce < 0:
            raise ValueError(f"next_nonce: must be >= 0, got {next_nonce}")
        with self._lock:
            self._next = next_nonce
            self._gaps.clear()

    @property
    def gaps(self) -> tuple[int, ...]:
        """Released nonces not yet handed out again, lowest first."""
        with self._lock:
            return tuple(sorted(self._gaps))

    @property
    def next_nonce(self) -> int | None:
        """The next new nonce (``None`` before the first sync)."""
        with self._lock:
            return self._next


# ------------------------------------------------------------------------------------------------ journal


class TxState(enum.StrEnum):
    """States of an attempt (one signed transaction) in the journal."""

    SIGNED = "signed"
    """Signed and durably journaled; maybe broadcast (write-ahead: the record precedes the broadcast)."""
    SENT = "sent"
    """The node accepted it into its pool."""
    MINED = "mined"
    """Mined with status 1: the operation took effect through this transaction."""
    FAILED = "failed"
    """Mined with status 0."""
    REPLACED = "replaced"
    """Another attempt at the same nonce was mined instead; this one never will be."""
    DROPPED = "dropped"
    """Can never be mined: refused by the node, or its nonce was used by a transaction that is not ours."""
    DONE = "done"
    """No transaction: the operation's on-chain predicate said its effect was already there."""


_IN_FLIGHT = frozenset({TxState.SIGNED, TxState.SENT})


@dataclass(frozen=True)
class JournalRecord:
    """One line of the journal.

    Attributes:
        op_id: the operation's deterministic id.
        state: the attempt's new state.
        tx_hash: the attempt's transaction hash (``0x`` hex), ``None`` for :attr:`TxState.DONE`.
        nonce: the attempt's nonce.
        raw_tx: the signed transaction (``0x`` hex), recorded with :attr:`TxState.SIGNED`.
        block: the block number, for mined / failed.
        sender: the signing account.
        chain_id: the chain signed for.
        note: free text (the node's refusal, the winning hash of a replacement, ...).
        time: unix time of the record.
    """

    op_id: str
    state: TxState
    tx_hash: str | None = None
    nonce: int | None = None
    raw_tx: str | None = None
    block: int | None = None
    sender: str | None = None
    chain_id: int | None = None
    note: str | None = None
    time: float = 0.0

    def to_json(self) -> str:
        """The record as one JSON line (no newline)."""
        body: dict[str, Any] = {"op": self.op_id, "state": self.state.value}
        for key, value in (
            ("tx_hash", self.tx_hash),
            ("nonce", self.nonce),
            ("raw_tx", self.raw_tx),
            ("block", self.block),
            ("sender", self.sender),
            ("chain_id", self.chain_id),
            ("note", self.note),
        ):
            if value is not None:
                body[key] = value
        body["time"] = round(self.time, 6)
        return json.dumps(body, separators=(",", ":"), sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> JournalRecord:
        """Parse one journal line; ``ValueError`` naming the field on anything malformed."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a journal line must be a JSON object")

        def opt(key: str, kind: type) -> Any:
            value = data.get(key)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}")
            return value

        op_id = data.get("op")
        if not isinstance(op_id, str) or not op_id:
            raise ValueError(f"op: expected a non-empty string, got {op_id!r}")
        try:
            state = TxState(str(data.get("state")))
        except ValueError:
            raise ValueError(f"state: unknown state {data.get('state')!r}") from None
        stamp = data.get("time", 0.0)
        if not isinstance(stamp, int | float) or isinstance(stamp, bool):
            raise ValueError(f"time: expected a number, got {stamp!r}")
        return cls(
            op_id=op_id,
            state=state,
            tx_hash=opt("tx_hash", str),
            nonce=opt("nonce", int),
            raw_tx=opt("raw_tx", str),
            block=opt("block", int),
            sender=opt("sender", str),
            chain_id=opt("chain_id", int),
            note=opt("note", str),
            time=float(stamp),
        )


@dataclass(frozen=True)
class Attempt:
    """One signed transaction for an operation, as the journal knows it now."""

    tx_hash: str
    nonce: int
    raw_tx: str | None
    state: TxState
    block: int | None
    sender: str | None
    chain_id: int | None


@dataclass(frozen=True)
class OpHistory:
    """Everything the journal knows about one operation.

    Attributes:
        op_id: the operation id.
        attempts: its signed transactions, in signing order, each in its latest state.
        done: the operation took effect (an attempt mined with status 1, or the predicate said so).
        winner: the hash of the attempt that took effect, if it was one of ours.
        block: the block of that attempt.
    """

    op_id: str
    attempts: tuple[Attempt, ...]
    done: bool
    winner: str | None
    block: int | None

    @property
    def in_flight(self) -> tuple[Attempt, ...]:
        """Attempts still signed or sent (their fate unknown)."""
        return tuple(a for a in self.attempts if a.state in _IN_FLIGHT)


class Journal:
    """An append-only JSON-lines file recording, per operation id, every transaction signed for it.

    Each :meth:`append` writes its records with one ``write`` and one ``fsync`` before returning, so a record
    that :meth:`append` returned from survives a crash. A torn last line (a crash in the middle of a write)
    is cut off when the file is opened; a malformed line anywhere else raises :class:`JournalError`.

    The journal is thread-safe. Use it as a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self._lock = threading.Lock()
        self._records: list[JournalRecord] = []
        self._ops: dict[str, dict[str, Any]] = {}
        self._load()
        self._file = self.path.open("a", encoding="utf-8")

    def _load(self) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        for number, raw in enumerate(complete, start=1):
            if not raw.strip():
                continue
            try:
                record = JournalRecord.from_json(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise JournalError(self.path, f"malformed record: {exc}", number) from None
            self._apply(record)
        if tail.strip():
            try:
                record = JournalRecord.from_json(tail.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                # A torn write: the crash came before the newline. Cut it off; it was never acknowledged.
                with self.path.open("r+b") as fh:
                    fh.truncate(len(data) - len(tail))
                    os.fsync(fh.fileno())
            else:
                self._apply(record)
                with self.path.open("ab") as fh:
                    fh.write(b"\n")
                    os.fsync(fh.fileno())

    def _apply(self, record: JournalRecord) -> None:
        self._records.append(record)
        op = self._ops.setdefault(record.op_id, {"attempts": {}, "done": False, "winner": None, "block": None})
        if record.state is TxState.DONE:
            op["done"] = True
            return
        if record.tx_hash is None:
            return
        attempts: dict[str, Attempt] = op["attempts"]
        previous = attempts.get(record.tx_hash)
        if previous is None:
            if record.nonce is None:
                return
            attempt = Attempt(
                record.tx_hash,
                record.nonce,
                record.raw_tx,
                record.state,
                record.block,
                record.sender,
                record.chain_id,
            )
        else:
            attempt = dc_replace(
                previous,
                state=record.state,
                block=record.block if record.block is not None else previous.block,
                raw_tx=record.raw_tx or previous.raw_tx,
            )
        attempts[record.tx_hash] = attempt
        if record.state is TxState.MINED:
            op["done"] = True
            op["winner"] = record.tx_hash
            op["block"] = record.block

    def append(self, *records: JournalRecord) -> None:
        """Append records durably (one write, one fsync)."""
        if not records:
            return
        now = time.time()
        stamped = [r if r.time else dc_replace(r, time=now) for r in records]
        payload = "".join(r.to_json() + "\n" for r in stamped)
        with self._lock:
            if self._file.closed:
                raise JournalError(self.path, "the journal is closed")
            self._file.write(payload)
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            for record in stamped:
                self._apply(record)

    def records(self) -> tuple[JournalRecord, ...]:
        """Every record, in file order."""
        with self._lock:
            return tuple(self._records)

    def history(self, op_id: str) -> OpHistory | None:
        """What the journal knows about ``op_id`` (``None``: nothing)."""
        with self._lock:
            op = self._ops.get(op_id)
            if op is None:
                return None
            return OpHistory(op_id, tuple(op["attempts"].values()), bool(op["done"]), op["winner"], op["block"])

    def op_ids(self) -> tuple[str, ...]:
        """Every operation id in the journal, in first-seen order."""
        with self._lock:
            return tuple(self._ops)

    def close(self) -> None:
        """Close the file (records stay readable in memory)."""
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------ sender


class Signer(Protocol):
    """What the sender needs from an account: eth-account's ``LocalAccount`` fits."""

    @property
    def address(self) -> ChecksumAddress: ...

    def sign_transaction(self, transaction_dict: dict[str, Any]) -> SignedTransaction: ...


@dataclass(frozen=True)
class _Request:
    to: ChecksumAddress | None
    data: bytes
    value: int
    gas: int


@dataclass(frozen=True)
class SentTx:
    """One signed transaction handed to the node.

    Attributes:
        tx_hash: its hash.
        nonce: its nonce.
        fees: its fees.
        op_id: the operation it is for, if any.
        raw_tx: the signed bytes.
        to: the recipient (``None`` for a contract creation).
        data: the call data.
        value: the wei sent.
        gas: the gas limit.
    """

    tx_hash: HexBytes
    nonce: int
    fees: Fees
    op_id: str | None
    raw_tx: HexBytes = field(repr=False)
    to: ChecksumAddress | None
    data: bytes = field(repr=False)
    value: int
    gas: int

    @property
    def _request(self) -> _Request:
        return _Request(self.to, self.data, self.value, self.gas)


@dataclass(frozen=True)
class Op:
    """An idempotent operation for :meth:`TxSender.run_ops`.

    Attributes:
        id: a deterministic id (the same operation always gets the same id), e.g. ``"mint:0x<claimRef>"``.
        build: returns the transaction: a mapping with ``to``, ``data`` (bytes or ``0x`` hex), and optionally
            ``value`` (wei) and ``gas`` (estimated with a margin when absent).
        is_done: an on-chain predicate: ``True`` when the operation's effect is already there (e.g.
            ``claimIdOf(ref) != 0``). ``None`` trusts the journal alone.
    """

    id: str
    build: Callable[[], Mapping[str, Any]]
    is_done: Callable[[], bool] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id or self.id != self.id.strip():
            raise ValueError(f"id: must be a non-empty string without surrounding spaces, got {self.id!r}")


class OpStatus(enum.StrEnum):
    """What :meth:`TxSender.run_ops` did for an operation."""

    MINED = "mined"
    """A transaction of this run took effect."""
    ALREADY_DONE = "already_done"
    """The journal shows an earlier transaction of ours took effect (possibly found by the resume)."""
    DONE_ELSEWHERE = "done_elsewhere"
    """The on-chain predicate says the effect is there without a transaction of ours."""
    FAILED = "failed"
    """It did not take effect: see :attr:`OpResult.error`."""


@dataclass(frozen=True)
class OpResult:
    """The outcome of one operation of a run."""

    op_id: str
    status: OpStatus
    tx_hash: HexBytes | None = None
    block: int | None = None
    receipt: TxReceipt | None = None
    error: TxError | None = None


@dataclass(frozen=True)
class RunReport:
    """The outcomes of :meth:`TxSender.run_ops`, in the order the operations were given."""

    results: tuple[OpResult, ...]

    @property
    def failed(self) -> tuple[OpResult, ...]:
        """The operations that did not take effect."""
        return tuple(r for r in self.results if r.status is OpStatus.FAILED)

    @property
    def ok(self) -> bool:
        """Every operation took effect (now or before)."""
        return not self.failed

    def by_id(self) -> dict[str, OpResult]:
        """Results keyed by operation id."""
        return {r.op_id: r for r in self.results}

    def raise_for_failures(self) -> None:
        """Raise the first failure's error, if any."""
        for result in self.failed:
            if result.error is not None:
                raise result.error


class _Outcome(enum.Enum):
    ACCEPTED = 1
    NONCE_TAKEN = 2
    UNDERPRICED = 3


def _classify(message: str) -> str | None:
    text = message.lower()
    if any(
        s in text for s in ("already known", "already imported", "alreadyknown", "known transaction", "already exists")
    ):
        return "known"
    if any(
        s in text
        for s in ("nonce too low", "nonce is too low", "noncetoolow", "oldnonce", "nonce has already been used")
    ):
        return "nonce_low"
    if "underpriced" in text or "replacementnotallowed" in text:
        return "underpriced"
    return None


def _revert_bytes(data: Any) -> bytes | None:
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


def _reason(data: bytes | None, message: str | None) -> str | None:
    if data and data[:4] == _ERROR_SELECTOR:
        with contextlib.suppress(Exception):
            (text,) = abi_decode(["string"], data[4:])
            return f"Error({text!r})"
    if data and data[:4] == _PANIC_SELECTOR:
        with contextlib.suppress(Exception):
            (code,) = abi_decode(["uint256"], data[4:])
            return f"Panic(0x{code:02x})"
    return message


def _format_receipt(raw: Mapping[str, Any]) -> TxReceipt:
    from web3._utils.method_formatters import receipt_formatter  # pinned web3 7.16.0: its own formatter

    return cast(TxReceipt, AttributeDict.recursive(receipt_formatter(dict(raw))))


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(size)]) + size


def _rlp(item: int | bytes | Sequence[Any]) -> bytes:
    """RLP encoding of an int (big-endian, no leading zeros), a byte string, or a list of these."""
    if isinstance(item, int):
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    body = b"".join(_rlp(x) for x in item)
    return _rlp_length(len(body), 0xC0) + body


def _sign_1559(key: coincurve.PrivateKey, body: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Sign an EIP-1559 (type 2) transaction without an access list: (raw bytes, transaction hash).

    Byte-identical to eth-account's ``sign_transaction`` (RFC 6979 nonces, low-s; tested differentially),
    without its per-call formatting cost.
    """
    to = body.get("to")
    fields: list[Any] = [
        body["chainId"],
        body["nonce"],
        body["maxPriorityFeePerGas"],
        body["maxFeePerGas"],
        body["gas"],
        bytes(HexBytes(to)) if to else b"",
        body["value"],
        bytes(body["data"]),
        [],
    ]
    signature = key.sign_recoverable(keccak(b"\x02" + _rlp(fields)), hasher=None)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    raw = b"\x02" + _rlp([*fields, signature[64], r, s])
    return raw, keccak(raw)


class TxSender:
    """Signs locally and sends pipelined, checked transactions from one account; runs idempotent operations.

    Thread-safe: any number of threads may call :meth:`send`, :meth:`wait` and :meth:`transact` at once.

    Args:
        w3: the connection (its provider is used for raw JSON-RPC calls).
        account: the signer (an eth-account ``LocalAccount``).
        expected_chain_id: refuse to sign unless the node reports this chain id (:class:`WrongChainError`).
            ``None`` signs for whatever chain the node reports.
        expected_code_hashes: contract address -> keccak256 of its runtime code, checked with the chain id
            before the first signature (:class:`WrongCodeError`).
        fee_policy: how fees are set.
        nonce_manager: share one manager between senders of the same account; default: a new one.
        journal: where operations are journaled (needed by :meth:`run_ops` and :meth:`resume`).
        receipt_mode: ``"auto"`` (``eth_sendRawTransactionSync`` for :meth:`transact` when the node has it,
            receipt polling otherwise), ``"sync"`` or ``"poll"``.
        batch_send: broadcast many signed transactions in one JSON-RPC batch (:meth:`send_many`).
        gas_margin_pct: headroom added to ``eth_estimateGas``, in percent.
        poll_interval: first pause between receipt polls, in seconds; it grows to ``max_poll_interval``
            while nothing new is mined and drops back when something is.
        max_poll_interval: the longest pause between polls.
        receipt_timeout: seconds :meth:`wait` waits before raising :class:`StuckTransactionError`.
        rebroadcast_after: seconds without a new receipt after which :meth:`wait` hands the node the pending
            transactions' signed bytes again (in case its pool dropped them).
        revert_decoder: turns revert data into a typed exception (the client decodes custom errors), or
            returns ``None``.
        fast_signing: for an eth-account ``LocalAccount``, sign with its key through libsecp256k1 directly
            (byte-identical to ``LocalAccount.sign_transaction``, about 10x faster); other signers are always
            called through ``sign_transaction``.
        on_stall: called (errors ignored) each time :meth:`wait` re-broadcasts after ``rebroadcast_after``
            seconds without a receipt; e.g. ``evm_mine`` on a local dev node, whose automine leaves ready
            transactions unmined when a block filled up (anvil mines leftovers only on the next transaction).
    """

    def __init__(
        self,
        w3: Web3,
        account: Signer,
        *,
        expected_chain_id: int | None = None,
        expected_code_hashes: Mapping[str, bytes] | None = None,
        fee_policy: FeePolicy | None = None,
        nonce_manager: NonceManager | None = None,
        journal: Journal | None = None,
        receipt_mode: str = "auto",
        batch_send: bool = True,
        gas_margin_pct: int = 20,
        poll_interval: float = 0.002,
        max_poll_interval: float = 0.25,
        receipt_timeout: float = 120.0,
        rebroadcast_after: float = 5.0,
        revert_decoder: Callable[[bytes], Exception | None] | None = None,
        fast_signing: bool = True,
        on_stall: Callable[[], None] | None = None,
    ) -> None:
        if receipt_mode not in ("auto", "sync", "poll"):
            raise ValueError(f"receipt_mode: must be 'auto', 'sync' or 'poll', got {receipt_mode!r}")
        if gas_margin_pct < 0:
            raise ValueError(f"gas_margin_pct: must be >= 0, got {gas_margin_pct}")
        if not 0 < poll_interval <= max_poll_interval:
            raise ValueError(
                f"poll_interval: must be > 0 and <= max_poll_interval ({max_poll_interval}), got {poll_interval}"
            )
        if receipt_timeout <= 0:
            raise ValueError(f"receipt_timeout: must be > 0, got {receipt_timeout}")
        if rebroadcast_after <= 0:
            raise ValueError(f"rebroadcast_after: must be > 0, got {rebroadcast_after}")
        self.w3 = w3
        self.account = account
        self.address: ChecksumAddress = to_checksum_address(account.address)
        self.expected_chain_id = expected_chain_id
        self.expected_code_hashes = dict(expected_code_hashes or {})
        self.fee_policy = fee_policy or FeePolicy()
        self.journal = journal
        self.receipt_mode = receipt_mode
        self.batch_send = batch_send
        self.gas_margin_pct = gas_margin_pct
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.receipt_timeout = receipt_timeout
        self.rebroadcast_after = rebroadcast_after
        self.revert_decoder = revert_decoder
        self.on_stall = on_stall
        self._nonces = nonce_manager
        # An eth-account LocalAccount's key signs through libsecp256k1 directly (same bytes, a fraction of the
        # time); any other signer is called through its sign_transaction.
        self._fast_key = (
            coincurve.PrivateKey(bytes(account.key)) if fast_signing and type(account) is LocalAccount else None
        )
        self._lock = threading.RLock()
        self._ready_lock = threading.Lock()
        self._chain_id: int | None = None
        self._fees: tuple[float, Fees] | None = None
        self._sync_supported: bool | None = None
        self._by_nonce: dict[int, list[SentTx]] = {}

    # ---------------------------------------------------------------- readiness

    @property
    def chain_id(self) -> int:
        """The verified chain id (runs the chain checks on first use)."""
        return self._ensure_ready()

    @property
    def nonces(self) -> NonceManager:
        """This sender's nonce manager."""
        self._ensure_ready()
        assert self._nonces is not None
        return self._nonces

    def _ensure_ready(self) -> int:
        if self._chain_id is not None:
            return self._chain_id
        with self._ready_lock:
            if self._chain_id is None:
                if self.expected_chain_id is not None:
                    chain_id = check_chain(self.w3, self.expected_chain_id, self.expected_code_hashes)
                else:
                    chain_id = to_int(call(self.w3, "eth_chainId", []), field="eth_chainId")
                    if self.expected_code_hashes:
                        check_chain(self.w3, chain_id, self.expected_code_hashes)
                if self._nonces is None:
                    self._nonces = NonceManager.for_web3(self.w3, self.address, chain_id)
                elif self._nonces.chain_id != chain_id or self._nonces.address != self.address:
                    raise ValueError(
                        f"nonce_manager: it is for {self._nonces.address} on chain {self._nonces.chain_id}, "
                        f"this sender is {self.address} on chain {chain_id}"
                    )
                self._chain_id = chain_id
        return self._chain_id

    # ---------------------------------------------------------------- fees, gas, signing

    def quote_fees(self, *, fresh: bool = False) -> Fees:
        """Current fees from the policy (cached for ``fee_policy.cache_seconds`` unless ``fresh``)."""
        now = time.monotonic()
        with self._lock:
            cached = self._fees
        if not fresh and cached is not None and now - cached[0] < self.fee_policy.cache_seconds:
            return cached[1]
        fees = self.fee_policy.quote(self.w3)
        with self._lock:
            self._fees = (now, fees)
        return fees

    def _normalize(self, tx: Mapping[str, Any], op_id: str | None) -> _Request:
        allowed = {"to", "data", "input", "value", "gas", "from"}
        unknown = sorted(set(tx) - allowed)
        if unknown:
            raise ValueError(f"tx: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        sender = tx.get("from")
        if sender is not None and to_checksum_address(sender) != self.address:
            raise ValueError(f"tx.from: {sender} is not this sender's account {self.address}")
        to_raw = tx.get("to")
        to = to_checksum_address(to_raw) if to_raw not in (None, "", b"") else None
        data_raw = tx.get("data", tx.get("input", b""))
        if isinstance(data_raw, str):
            try:
                data = bytes(HexBytes(data_raw))
            except ValueError:
                raise ValueError(f"tx.data: not hex: {data_raw[:20]!r}") from None
        elif isinstance(data_raw, bytes | bytearray):
            data = bytes(data_raw)
        else:
            raise ValueError(f"tx.data: expected bytes or 0x hex, got {type(data_raw).__name__}")
        value = tx.get("value", 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"tx.value: expected a non-negative int (wei), got {value!r}")
        gas = tx.get("gas")
        if gas is None:
            gas = self.estimate_gas(to, data, value, op_id=op_id)
        elif not isinstance(gas, int) or isinstance(gas, bool) or gas < 21_000:
            raise ValueError(f"tx.gas: expected an int >= 21000, got {gas!r}")
        return _Request(to, data, value, gas)

    def estimate_gas(self, to: str | None, data: bytes, value: int = 0, *, op_id: str | None = None) -> int:
        """``eth_estimateGas`` plus ``gas_margin_pct``; :class:`WouldRevertError` when the call reverts."""
        params: dict[str, Any] = {"from": self.address, "data": "0x" + data.hex(), "value": hex(value)}
        if to is not None:
            params["to"] = to
        try:
            estimate = to_int(call(self.w3, "eth_estimateGas", [params]), field="eth_estimateGas")
        except RpcError as exc:
            revert = _revert_bytes(exc.data) or b""
            raise WouldRevertError(
                op_id, revert, _reason(revert, exc.message) or exc.message, self._decode(revert)
            ) from None
        return estimate * (100 + self.gas_margin_pct) // 100

    def _decode(self, revert: bytes | None) -> Exception | None:
        if not revert or self.revert_decoder is None:
            return None
        try:
            return self.revert_decoder(revert)
        except Exception:  # a decoder bug must not hide the failure it is decoding
            return None

    def _sign(self, request: _Request, nonce: int, fees: Fees, op_id: str | None) -> SentTx:
        chain_id = self._ensure_ready()
        body: dict[str, Any] = {
            "type": 2,
            "chainId": chain_id,
            "nonce": nonce,
            "value": request.value,
            "data": request.data,
            "gas": request.gas,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
        }
        if request.to is not None:
            body["to"] = request.to
        if self._fast_key is not None:
            raw, tx_hash = _sign_1559(self._fast_key, body)
        else:
            signed = self.account.sign_transaction(body)
            raw, tx_hash = bytes(signed.raw_transaction), bytes(signed.hash)
        return SentTx(
            tx_hash=HexBytes(tx_hash),
            nonce=nonce,
            fees=fees,
            op_id=op_id,
            raw_tx=HexBytes(raw),
            to=request.to,
            data=request.data,
            value=request.value,
            gas=request.gas,
        )

    def _journal(
        self, sent: SentTx, state: TxState, *, block: int | None = None, note: str | None = None
    ) -> JournalRecord | None:
        if sent.op_id is None or self.journal is None:
            return None
        return JournalRecord(
            op_id=sent.op_id,
            state=state,
            tx_hash=sent.tx_hash.to_0x_hex(),
            nonce=sent.nonce,
            raw_tx=sent.raw_tx.to_0x_hex() if state is TxState.SIGNED else None,
            block=block,
            sender=self.address,
            chain_id=self._chain_id,
            note=note,
        )

    def _write(self, records: Iterable[JournalRecord | None]) -> None:
        kept = [r for r in records if r is not None]
        if kept and self.journal is not None:
            self.journal.append(*kept)

    def _track(self, sent: SentTx) -> None:
        with self._lock:
            group = self._by_nonce.setdefault(sent.nonce, [])
            if all(s.tx_hash != sent.tx_hash for s in group):
                group.append(sent)

    # ---------------------------------------------------------------- broadcasting

    def _known(self, tx_hash: HexBytes) -> bool:
        """Whether the node has the transaction (in its pool or mined)."""
        return call(self.w3, "eth_getTransactionByHash", [tx_hash.to_0x_hex()]) is not None

    def _interpret(self, sent: SentTx, error: RpcError | None) -> _Outcome:
        """Classify the node's reply to a broadcast of ``sent``; raise :class:`SendRejectedError` on a refusal."""
        if error is None:
            return _Outcome.ACCEPTED
        kind = _classify(error.message)
        if kind == "known":
            return _Outcome.ACCEPTED
        if kind in ("nonce_low", "underpriced"):
            # Ours, accepted by an earlier try whose reply was lost (web3's retries)? Look it up by hash.
            if self._known(sent.tx_hash):
                return _Outcome.ACCEPTED
            return _Outcome.NONCE_TAKEN if kind == "nonce_low" else _Outcome.UNDERPRICED
        raise SendRejectedError(sent.tx_hash, sent.nonce, sent.op_id, error.code, error.message)

    def _after_transport_error(self, sent: SentTx, exc: BaseException) -> _Outcome:
        """The reply to a broadcast was lost: ask the node, and re-broadcast the same bytes if it has none."""
        try:
            if self._known(sent.tx_hash):
                return _Outcome.ACCEPTED
            response = call(self.w3, "eth_sendRawTransaction", [sent.raw_tx.to_0x_hex()])
            del response
            return _Outcome.ACCEPTED
        except RpcError as again:
            return self._interpret(sent, again)
        except _TRANSPORT_ERRORS as again:
            raise SendUncertainError(sent.tx_hash, sent.nonce, sent.op_id, again) from exc

    def _broadcast(self, sent: SentTx) -> _Outcome:
        try:
            call(self.w3, "eth_sendRawTransaction", [sent.raw_tx.to_0x_hex()])
        except RpcError as exc:
            return self._interpret(sent, exc)
        except _TRANSPORT_ERRORS as exc:
            return self._after_transport_error(sent, exc)
        return _Outcome.ACCEPTED

    def _broadcast_many(self, sents: Sequence[SentTx]) -> list[_Outcome | TxError]:
        """Broadcast in nonce order; per transaction an outcome or the error it raised."""
        outcomes: list[_Outcome | TxError] = []
        if self.batch_send and len(sents) > 1:
            try:
                replies = call_many(self.w3, [("eth_sendRawTransaction", [s.raw_tx.to_0x_hex()]) for s in sents])
            except _TRANSPORT_ERRORS as exc:
                for sent in sents:
                    try:
                        outcomes.append(self._after_transport_error(sent, exc))
                    except TxError as err:
                        outcomes.append(err)
                return outcomes
            for sent, reply in zip(sents, replies, strict=True):
                try:
                    outcomes.append(self._interpret(sent, reply.error))
                except TxError as err:
                    outcomes.append(err)
            return outcomes
        lost: SendUncertainError | None = None
        for sent in sents:
            if lost is not None:
                # The node is unreachable: do not try the rest (each try would wait out the retries).
                outcomes.append(SendUncertainError(sent.tx_hash, sent.nonce, sent.op_id, lost.cause))
                continue
            try:
                outcomes.append(self._broadcast(sent))
            except SendUncertainError as err:
                lost = err
                outcomes.append(err)
            except TxError as err:
                outcomes.append(err)
        return outcomes

    # ---------------------------------------------------------------- sending

    def send(self, tx: Mapping[str, Any], *, op_id: str | None = None) -> SentTx:
        """Sign and broadcast one transaction; returns without waiting for it to be mined.

        Raises:
            WouldRevertError: gas estimation reverted (nothing signed).
            SendRejectedError: the node refused it (its nonce is released).
            SendUncertainError: the transport failed and the node could not be asked.
        """
        return self.send_many([tx], op_ids=[op_id])[0]

    def send_many(
        self, txs: Sequence[Mapping[str, Any]], *, op_ids: Sequence[str | None] | None = None
    ) -> list[SentTx]:
        """Sign ``txs`` with contiguous nonces, journal them (one fsync), broadcast them, return at once.

        Any refusal is raised after the others were handled (:class:`SendRejectedError`); its nonce is released.
        """
        ids = list(op_ids) if op_ids is not None else [None] * len(txs)
        if len(ids) != len(txs):
            raise ValueError(f"op_ids: {len(ids)} ids for {len(txs)} transactions")
        self._ensure_ready()
        requests_ = [self._normalize(tx, op_id) for tx, op_id in zip(txs, ids, strict=True)]
        results = self._send_requests(list(zip(requests_, ids, strict=True)))
        sent: list[SentTx] = []
        for result in results:
            if isinstance(result, TxError):
                raise result
            sent.append(result)
        return sent

    def _send_requests(self, items: Sequence[tuple[_Request, str | None]]) -> list[SentTx | TxError]:
        """Sign, journal (write-ahead), broadcast; re-sign at fresh nonces when a nonce was taken."""
        nonces_ = self.nonces
        fees = self.quote_fees()
        out: list[SentTx | TxError | None] = [None] * len(items)
        todo = list(range(len(items)))
        for _round in range(4):
            if not todo:
                break
            nonces = nonces_.acquire_many(len(todo))
            signed: list[tuple[int, SentTx]] = []
            try:
                for index, nonce in zip(todo, nonces, strict=True):
                    request, op_id = items[index]
                    signed.append((index, self._sign(request, nonce, fees, op_id)))
            except BaseException:
                for nonce in sorted(nonces, reverse=True):
                    nonces_.release(nonce)
                raise
            signed.sort(key=lambda pair: pair[1].nonce)
            self._write(self._journal(s, TxState.SIGNED) for _, s in signed)
            outcomes = self._broadcast_many([s for _, s in signed])
            retry: list[int] = []
            records: list[JournalRecord | None] = []
            taken = False
            for (index, sent), outcome in zip(signed, outcomes, strict=True):
                if outcome is _Outcome.ACCEPTED:
                    self._track(sent)
                    records.append(self._journal(sent, TxState.SENT))
                    out[index] = sent
                elif isinstance(outcome, _Outcome):
                    # Not ours at that nonce: another transaction has it. Ours can never be mined.
                    taken = True
                    records.append(self._journal(sent, TxState.DROPPED, note=f"nonce taken ({outcome.name.lower()})"))
                    retry.append(index)
                elif isinstance(outcome, SendRejectedError):
                    nonces_.release(sent.nonce)
                    records.append(self._journal(sent, TxState.DROPPED, note=f"refused: {outcome.message}"))
                    out[index] = outcome
                else:
                    out[index] = outcome
            self._write(records)
            if taken:
                nonces_.resync()
            todo = retry
        for index in todo:
            request, op_id = items[index]
            out[index] = TxError(f"could not find a free nonce for {op_id or 'a transaction'} after 4 tries")
        if any(isinstance(r, SendRejectedError) for r in out):
            self.fill_gaps()
        return [cast(SentTx | TxError, r) for r in out]

    def fill_gaps(self) -> list[SentTx]:
        """Close released nonces below in-flight ones with zero-value transfers to self; returns them."""
        nonces = self.nonces
        filled: list[SentTx] = []
        for _ in range(len(nonces.gaps)):
            gaps = nonces.gaps
            if not gaps:
                break
            nonce = nonces.acquire()
            sent = self._sign(_Request(self.address, b"", 0, 21_000), nonce, self.quote_fees(), None)
            try:
                outcome = self._broadcast(sent)
            except SendRejectedError:
                nonces.release(nonce)
                raise
            if outcome is _Outcome.ACCEPTED:
                self._track(sent)
                filled.append(sent)
        return filled

    # ---------------------------------------------------------------- receipts

    def _group(self, sent: SentTx) -> list[SentTx]:
        with self._lock:
            group = self._by_nonce.get(sent.nonce)
            if group and any(s.tx_hash == sent.tx_hash for s in group):
                return list(group)
        return [sent]

    def wait(
        self, sent: SentTx | Sequence[SentTx], *, timeout: float | None = None, check: bool = True
    ) -> list[TxReceipt]:
        """Wait until each transaction (or a replacement of it at the same nonce) is mined.

        Receipts of everything pending are fetched in one JSON-RPC batch per poll. Every mined attempt is
        journaled (``mined`` / ``failed``; the other attempts at its nonce ``replaced``).

        Returns:
            one receipt per given transaction, in order (a replaced one gets its replacement's receipt).

        Raises:
            TransactionFailedError: with ``check``, the first (in the given order) mined with status 0.
            StuckTransactionError: the lowest pending nonce was not mined within ``timeout``
                (default ``receipt_timeout``).
            DroppedTransactionError: a nonce was used by a transaction that is not ours (raised after the
                others settled).
        """
        items = [sent] if isinstance(sent, SentTx) else list(sent)
        groups: dict[int, list[SentTx]] = {}
        for item in items:
            group = groups.setdefault(item.nonce, [])
            for s in self._group(item):
                if all(g.tx_hash != s.tx_hash for g in group):
                    group.append(s)
        mined, dropped = self._poll(groups, timeout if timeout is not None else self.receipt_timeout)
        for item in items:
            if item.nonce in dropped:
                raise DroppedTransactionError(groups[item.nonce][-1])
        receipts = [mined[item.nonce] for item in items]
        if check:
            for item, receipt in zip(items, receipts, strict=True):
                if receipt["status"] != 1:
                    raise self._failure(receipt, item.op_id)
        return receipts

    def _poll(self, groups: dict[int, list[SentTx]], timeout: float) -> tuple[dict[int, TxReceipt], set[int]]:
        started = time.monotonic()
        interval = self.poll_interval
        next_rebroadcast = started + self.rebroadcast_after
        done: dict[int, TxReceipt] = {}
        dropped: set[int] = set()
        suspect: dict[int, float] = {}
        while True:
            pending = {n: g for n, g in groups.items() if n not in done and n not in dropped}
            if not pending:
                return done, dropped
            hashes = [(n, s) for n, g in pending.items() for s in g]
            calls: list[tuple[str, Sequence[Any]]] = [
                ("eth_getTransactionReceipt", [s.tx_hash.to_0x_hex()]) for _, s in hashes
            ]
            calls.append(("eth_getTransactionCount", [self.address, "latest"]))
            replies = call_many(self.w3, calls)
            latest = to_int(replies[-1].unwrap(), field="nonce")
            progressed = False
            records: list[JournalRecord | None] = []
            for (nonce, _), reply in zip(hashes, replies[:-1], strict=True):
                raw = reply.unwrap()
                if raw is None or raw.get("blockNumber") is None or nonce in done:
                    continue
                receipt = _format_receipt(raw)
                done[nonce] = receipt
                progressed = True
                records.extend(self._settle(pending[nonce], receipt))
            now = time.monotonic()
            for nonce in [n for n in pending if n not in done and n < latest]:
                suspect.setdefault(nonce, now)
            overdue = [n for n, since in suspect.items() if n not in done and n not in dropped and now - since >= 1.0]
            if overdue:
                # The account's nonce has passed these for a while and none of our attempts has a receipt: if
                # the node knows none of them either, another transaction used the nonce.
                lookups = [(n, s) for n in overdue for s in pending[n]]
                known = call_many(self.w3, [("eth_getTransactionByHash", [s.tx_hash.to_0x_hex()]) for _, s in lookups])
                alive = {n for (n, _), reply in zip(lookups, known, strict=True) if reply.unwrap() is not None}
                for nonce in overdue:
                    if nonce in alive:
                        suspect[nonce] = now
                        continue
                    dropped.add(nonce)
                    progressed = True
                    records.extend(
                        self._journal(s, TxState.DROPPED, note="nonce used by another transaction")
                        for s in pending[nonce]
                    )
                    with self._lock:
                        self._by_nonce.pop(nonce, None)
            self._write(records)
            now = time.monotonic()
            if progressed:
                interval = self.poll_interval
                next_rebroadcast = now + self.rebroadcast_after
                continue
            waited = now - started
            if waited >= timeout:
                lowest = min(pending)
                raise StuckTransactionError(groups[lowest][-1], waited, latest)
            if now >= next_rebroadcast:
                # Nothing mined for a while: hand the node our pending bytes again (a node may have dropped
                # them from its pool). Identical bytes: at most one of them can ever be mined.
                self._rebroadcast_quietly(
                    [max(pending[n], key=lambda s: s.fees.max_fee_per_gas) for n in sorted(pending)]
                )
                if self.on_stall is not None:
                    with contextlib.suppress(Exception):
                        self.on_stall()
                next_rebroadcast = now + self.rebroadcast_after
            time.sleep(min(interval, max(0.0, timeout - waited)))
            interval = min(self.max_poll_interval, interval * 1.5)

    def _rebroadcast_quietly(self, sents: Sequence[SentTx]) -> None:
        """Re-send signed bytes, ignoring every answer (the receipt poll decides what happened)."""
        with contextlib.suppress(*_TRANSPORT_ERRORS):
            call_many(self.w3, [("eth_sendRawTransaction", [s.raw_tx.to_0x_hex()]) for s in sents[:64]])

    def _settle(self, group: Sequence[SentTx], receipt: TxReceipt) -> list[JournalRecord | None]:
        """Journal the mined attempt of a nonce and mark the other attempts ``replaced``."""
        winner = HexBytes(receipt["transactionHash"])
        block = int(receipt["blockNumber"])
        records: list[JournalRecord | None] = []
        for s in group:
            if s.tx_hash == winner:
                state = TxState.MINED if receipt["status"] == 1 else TxState.FAILED
                records.append(self._journal(s, state, block=block))
            else:
                records.append(self._journal(s, TxState.REPLACED, note=f"mined instead: {winner.to_0x_hex()}"))
        with self._lock:
            self._by_nonce.pop(group[0].nonce, None)
        return records

    def _failure(self, receipt: TxReceipt, op_id: str | None) -> TransactionFailedError:
        """The typed failure of a status-0 receipt, with the revert data of an ``eth_call`` replay."""
        tx_hash = HexBytes(receipt["transactionHash"])
        block = int(receipt["blockNumber"])
        revert: bytes | None = None
        message: str | None = None
        params: dict[str, Any] = {"from": receipt["from"], "gas": hex(int(receipt["gasUsed"]) * 2 + 100_000)}
        tx = call(self.w3, "eth_getTransactionByHash", [tx_hash.to_0x_hex()])
        if tx is not None:
            params["data"] = tx.get("input", "0x")
            params["value"] = tx.get("value", "0x0")
            if tx.get("to"):
                params["to"] = tx["to"]
        try:
            call(self.w3, "eth_call", [params, hex(max(0, block - 1))])
        except RpcError as exc:
            revert = _revert_bytes(exc.data)
            message = exc.message
        return TransactionFailedError(
            tx_hash=tx_hash,
            op_id=op_id,
            block_number=block,
            gas_used=int(receipt["gasUsed"]),
            revert_data=revert,
            reason=_reason(revert, message),
            decoded=self._decode(revert),
            receipt=receipt,
        )

    # ---------------------------------------------------------------- one transaction, synchronously

    def sync_supported(self) -> bool:
        """Whether the node answers ``eth_sendRawTransactionSync`` (probed once, with no transaction)."""
        if self._sync_supported is None:
            try:
                call(self.w3, "eth_sendRawTransactionSync", ["0x"])
                supported = True
            except RpcError as exc:
                text = exc.message.lower()
                supported = not (
                    exc.code == -32601 or "not found" in text or "not supported" in text or "does not exist" in text
                )
            self._sync_supported = supported
        return self._sync_supported

    def transact(self, tx: Mapping[str, Any], *, op_id: str | None = None, timeout: float | None = None) -> TxReceipt:
        """Send one transaction and return its checked receipt.

        With ``receipt_mode`` ``"sync"`` (or ``"auto"`` on a node that has it) the receipt comes back in the
        reply of ``eth_sendRawTransactionSync``; otherwise, and whenever that call times out or its reply is
        lost, the receipt is polled.

        Raises:
            TransactionFailedError: mined with status 0.
            WouldRevertError, SendRejectedError, SendUncertainError, StuckTransactionError,
                DroppedTransactionError: as for :meth:`send` and :meth:`wait`.
        """
        use_sync = self.receipt_mode == "sync" or (self.receipt_mode == "auto" and self.sync_supported())
        if not use_sync:
            return self.wait(self.send(tx, op_id=op_id), timeout=timeout)[0]
        self._ensure_ready()
        request = self._normalize(tx, op_id)
        nonces = self.nonces
        for _ in range(4):
            nonce = nonces.acquire()
            try:
                sent = self._sign(request, nonce, self.quote_fees(), op_id)
            except BaseException:
                nonces.release(nonce)
                raise
            self._write([self._journal(sent, TxState.SIGNED)])
            try:
                raw = call(self.w3, "eth_sendRawTransactionSync", [sent.raw_tx.to_0x_hex()])
                outcome = _Outcome.ACCEPTED
            except RpcError as exc:
                raw = None
                if "timeout" in exc.message.lower() and self._known(sent.tx_hash):
                    outcome = _Outcome.ACCEPTED
                else:
                    try:
                        outcome = self._interpret(sent, exc)
                    except SendRejectedError as refused:
                        nonces.release(nonce)
                        self._write([self._journal(sent, TxState.DROPPED, note=f"refused: {refused.message}")])
                        self.fill_gaps()
                        raise
            except _TRANSPORT_ERRORS as exc:
                raw = None
                outcome = self._after_transport_error(sent, exc)
            if outcome is not _Outcome.ACCEPTED:
                self._write([self._journal(sent, TxState.DROPPED, note="nonce taken")])
                nonces.resync()
                continue
            self._track(sent)
            if isinstance(raw, dict) and raw.get("blockNumber") is not None:
                receipt = _format_receipt(raw)
                self._write([self._journal(sent, TxState.SENT), *self._settle([sent], receipt)])
                if receipt["status"] != 1:
                    raise self._failure(receipt, op_id)
                return receipt
            self._write([self._journal(sent, TxState.SENT)])
            return self.wait(sent, timeout=timeout)[0]
        raise TxError(f"could not find a free nonce for {op_id or 'a transaction'} after 4 tries")

    # ---------------------------------------------------------------- replacement

    def replace(self, sent: SentTx, *, tx: Mapping[str, Any] | None = None, fees: Fees | None = None) -> SentTx:
        """Replace a pending transaction by one at the same nonce with both fees raised (>= +10 %).

        Exactly one of the two can be mined; :meth:`wait` on either returns the receipt of whichever was,
        and the journal marks the other ``replaced``. ``tx`` replaces the call (default: the same call);
        ``fees`` sets the new fees (raised further if below the required bump).

        Raises:
            TransactionFailedError, DroppedTransactionError, SendRejectedError: as for :meth:`wait` and
                :meth:`send`.
            TxError: an attempt at the nonce was already mined (wait on ``sent`` to get its receipt).
        """
        group = self._group(sent)
        latest = max(group, key=lambda s: s.fees.max_fee_per_gas)
        request = self._normalize(tx, sent.op_id) if tx is not None else latest._request
        floor = latest.fees.bumped(self.fee_policy.replacement_bump_pct)
        wanted = fees or self.quote_fees(fresh=True)
        new_fees = Fees(
            max(wanted.max_fee_per_gas, floor.max_fee_per_gas),
            max(wanted.max_priority_fee_per_gas, floor.max_priority_fee_per_gas),
        )
        replacement = self._sign(request, sent.nonce, new_fees, sent.op_id)
        self._write([self._journal(replacement, TxState.SIGNED, note=f"replaces {latest.tx_hash.to_0x_hex()}")])
        try:
            outcome = self._broadcast(replacement)
        except SendRejectedError as refused:
            self._write([self._journal(replacement, TxState.DROPPED, note=f"refused: {refused.message}")])
            raise
        if outcome is not _Outcome.ACCEPTED:
            self._write([self._journal(replacement, TxState.DROPPED, note="the nonce was already used")])
            raise TxError(
                f"cannot replace {sent.tx_hash.to_0x_hex()}: nonce {sent.nonce} was already used "
                "(wait on it for the receipt)"
            )
        self._track(replacement)
        self._write([self._journal(replacement, TxState.SENT)])
        return replacement

    # ---------------------------------------------------------------- operations: resume and run

    def resume(self, ops: Iterable[Op] | None = None, *, timeout: float | None = None) -> dict[str, OpHistory]:
        """Settle every in-flight attempt of this account the journal knows, before anything new is signed.

        For each attempt still ``signed``/``sent``: a receipt means mined (or failed); a transaction in the
        node's pool is waited for; one the node does not know is re-broadcast byte for byte while its nonce
        is free (the same bytes can be mined at most once), and marked dropped when another transaction used
        its nonce. A re-broadcast the node refuses (e.g. its fee is now below the base fee) is replaced at the
        same nonce by the operation's rebuilt transaction when ``ops`` has the operation (never at a new
        nonce, so the old one can never be mined as well). Holes left in the nonce sequence (transactions a
        restarted node lost that no journal knows) are filled with zero-value transfers to self, and the
        nonce manager restarts from the account's pending count.

        Do not send from this account in other threads while it runs.

        Args:
            ops: operations whose transactions may be rebuilt (see above); every in-flight attempt of this
                account in the journal is settled either way.

        Returns:
            the journal's history of every operation it holds, after settling.
        """
        journal = self._require_journal()
        chain_id = self._ensure_ready()
        by_id = {op.id: op for op in ops} if ops is not None else {}
        attempts: list[tuple[str, Attempt]] = []
        for op_id in journal.op_ids():
            history = journal.history(op_id)
            if history is None:
                continue
            for attempt in history.in_flight:
                if attempt.sender is not None and to_checksum_address(attempt.sender) != self.address:
                    continue  # another account's attempt: not ours to settle
                if attempt.chain_id is not None and attempt.chain_id != chain_id:
                    raise JournalError(
                        journal.path,
                        f"op {op_id}: attempt {attempt.tx_hash} was signed for chain {attempt.chain_id}, "
                        f"the node is chain {chain_id}",
                    )
                attempts.append((op_id, attempt))
        if attempts:
            self._resume_attempts(attempts, by_id, timeout)
        pending = to_int(call(self.w3, "eth_getTransactionCount", [self.address, "pending"]), field="nonce")
        self.nonces.reset(pending)
        out: dict[str, OpHistory] = {}
        for op_id in journal.op_ids():
            history = journal.history(op_id)
            if history is not None:
                out[op_id] = history
        return out

    def _require_journal(self) -> Journal:
        if self.journal is None:
            raise ValueError("journal: this sender has no journal (pass journal=Journal(path))")
        return self.journal

    def _attempt_to_sent(self, op_id: str, attempt: Attempt) -> SentTx:
        path = self._require_journal().path
        if attempt.raw_tx is None:
            raise JournalError(path, f"op {op_id}: attempt {attempt.tx_hash} has no raw_tx")
        raw = HexBytes(attempt.raw_tx)
        if keccak(raw) != HexBytes(attempt.tx_hash):
            raise JournalError(path, f"op {op_id}: raw_tx does not hash to {attempt.tx_hash}")
        if to_checksum_address(Account.recover_transaction(raw)) != self.address:
            raise JournalError(path, f"op {op_id}: attempt {attempt.tx_hash} was not signed by {self.address}")
        body = TypedTransaction.from_bytes(raw).as_dict()
        to = bytes(HexBytes(body.get("to") or b""))
        return SentTx(
            tx_hash=HexBytes(attempt.tx_hash),
            nonce=attempt.nonce,
            fees=Fees(int(body["maxFeePerGas"]), int(body["maxPriorityFeePerGas"])),
            op_id=op_id,
            raw_tx=raw,
            to=to_checksum_address(to) if to else None,
            data=bytes(HexBytes(body.get("data", b""))),
            value=int(body.get("value", 0)),
            gas=int(body["gas"]),
        )

    def _resume_attempts(
        self, attempts: Sequence[tuple[str, Attempt]], ops: Mapping[str, Op], timeout: float | None
    ) -> None:
        sents = sorted((self._attempt_to_sent(op_id, a) for op_id, a in attempts), key=lambda s: s.nonce)
        for sent in sents:
            self._track(sent)
        replies = call_many(self.w3, [("eth_getTransactionReceipt", [s.tx_hash.to_0x_hex()]) for s in sents])
        records: list[JournalRecord | None] = []
        settled: set[int] = set()
        for sent, reply in zip(sents, replies, strict=True):
            raw = reply.unwrap()
            if raw is not None and raw.get("blockNumber") is not None:
                records.extend(self._settle(self._group(sent), _format_receipt(raw)))
                settled.add(sent.nonce)
        self._write(records)
        unknown = [s for s in sents if s.nonce not in settled]
        if not unknown:
            return
        found = call_many(self.w3, [("eth_getTransactionByHash", [s.tx_hash.to_0x_hex()]) for s in unknown])
        latest = to_int(call(self.w3, "eth_getTransactionCount", [self.address, "latest"]), field="nonce")
        waiting: dict[int, SentTx] = {}
        records = []
        for sent, reply in zip(unknown, found, strict=True):
            if reply.unwrap() is not None:
                waiting[sent.nonce] = sent
            elif sent.nonce < latest:
                records.append(self._journal(sent, TxState.DROPPED, note="nonce used by another transaction"))
            elif sent.nonce in waiting:
                # Another attempt at this nonce is already back in the pool: this one stays a candidate too.
                if self._rebroadcast(sent, ops, records) is not None:
                    records.append(self._journal(sent, TxState.SENT, note="re-broadcast on resume"))
            else:
                back = self._rebroadcast(sent, ops, records)
                if back is not None:
                    waiting[sent.nonce] = back
        self._write(records)
        with self._lock:
            for sent in unknown:
                if sent.nonce not in waiting:
                    self._by_nonce.pop(sent.nonce, None)
        if waiting:
            self._fill_below(max(waiting), set(waiting))
            self._poll(
                {n: self._group(s) for n, s in waiting.items()},
                timeout if timeout is not None else self.receipt_timeout,
            )

    def _rebroadcast(self, sent: SentTx, ops: Mapping[str, Op], records: list[JournalRecord | None]) -> SentTx | None:
        """Re-broadcast the journaled bytes; the attempt now in the pool for that nonce, or ``None``."""
        try:
            outcome = self._broadcast(sent)
        except SendRejectedError as refused:
            op = ops.get(sent.op_id) if sent.op_id is not None else None
            if op is None:
                raise
            records.append(self._journal(sent, TxState.DROPPED, note=f"re-broadcast refused: {refused.message}"))
            self._write(records)
            records.clear()
            return self.replace(sent, tx=op.build())
        if outcome is _Outcome.ACCEPTED:
            records.append(self._journal(sent, TxState.SENT, note="re-broadcast on resume"))
            return sent
        records.append(self._journal(sent, TxState.DROPPED, note="nonce used by another transaction"))
        return None

    def _fill_below(self, top: int, ours: set[int]) -> None:
        """Fill nonces from the account's pending count up to ``top`` that none of ours occupies."""
        pending = to_int(call(self.w3, "eth_getTransactionCount", [self.address, "pending"]), field="nonce")
        with self._lock:
            tracked = set(self._by_nonce)
        holes = [n for n in range(pending, top) if n not in ours and n not in tracked]
        if not holes:
            return
        fees = self.quote_fees(fresh=True)
        fillers = [self._sign(_Request(self.address, b"", 0, 21_000), n, fees, None) for n in holes]
        for filler, outcome in zip(fillers, self._broadcast_many(fillers), strict=True):
            if outcome is _Outcome.ACCEPTED:
                self._track(filler)

    def run_ops(self, ops: Iterable[Op], *, window: int = 64, timeout: float | None = None) -> RunReport:
        """Run idempotent operations exactly once each, pipelined ``window`` transactions at a time.

        First :meth:`resume` settles what earlier runs left in flight. Then, per operation: the journal
        says it took effect → ``already_done``; else its ``is_done`` predicate says so → ``done_elsewhere``
        (journaled); else its transaction is built, signed, journaled and broadcast; the window's receipts are
        polled together. A transaction mined with status 0 is re-checked against ``is_done`` (someone else
        may have done it first) before it is reported ``failed``.

        Raises:
            ValueError: two operations share an id.
            SendUncertainError: the node became unreachable (run again later: nothing is sent twice).
            StuckTransactionError: a transaction was not mined in time.
        """
        if window < 1:
            raise ValueError(f"window: must be >= 1, got {window}")
        op_list = list(ops)
        seen: set[str] = set()
        for op in op_list:
            if op.id in seen:
                raise ValueError(f"ops: duplicate operation id {op.id!r}")
            seen.add(op.id)
        journal = self._require_journal()
        self.resume(op_list, timeout=timeout)
        results: dict[str, OpResult] = {}
        todo: list[Op] = []
        for op in op_list:
            history = journal.history(op.id)
            if history is not None and history.done:
                tx_hash = HexBytes(history.winner) if history.winner else None
                results[op.id] = OpResult(op.id, OpStatus.ALREADY_DONE, tx_hash, history.block)
            else:
                todo.append(op)
        for start in range(0, len(todo), window):
            self._run_window(todo[start : start + window], results, timeout)
        return RunReport(tuple(results[op.id] for op in op_list))

    def _run_window(self, ops: Sequence[Op], results: dict[str, OpResult], timeout: float | None) -> None:
        journal = self._require_journal()
        ready: list[tuple[Op, _Request]] = []
        done_records: list[JournalRecord] = []
        for op in ops:
            if op.is_done is not None and op.is_done():
                done_records.append(JournalRecord(op.id, TxState.DONE, sender=self.address, chain_id=self._chain_id))
                results[op.id] = OpResult(op.id, OpStatus.DONE_ELSEWHERE)
                continue
            try:
                ready.append((op, self._normalize(op.build(), op.id)))
            except WouldRevertError as exc:
                if op.is_done is not None and op.is_done():
                    done_records.append(
                        JournalRecord(op.id, TxState.DONE, sender=self.address, chain_id=self._chain_id)
                    )
                    results[op.id] = OpResult(op.id, OpStatus.DONE_ELSEWHERE)
                else:
                    results[op.id] = OpResult(op.id, OpStatus.FAILED, error=exc)
        if done_records:
            journal.append(*done_records)
        if not ready:
            return
        sent_or_errors = self._send_requests([(request, op.id) for op, request in ready])
        in_flight: list[tuple[Op, SentTx]] = []
        for (op, _), item in zip(ready, sent_or_errors, strict=True):
            if isinstance(item, SendUncertainError):
                raise item
            if isinstance(item, TxError):
                results[op.id] = OpResult(op.id, OpStatus.FAILED, error=item)
            else:
                in_flight.append((op, item))
        if not in_flight:
            return
        receipts = self.wait([s for _, s in in_flight], timeout=timeout, check=False)
        for (op, sent), receipt in zip(in_flight, receipts, strict=True):
            tx_hash = HexBytes(receipt["transactionHash"])
            block = int(receipt["blockNumber"])
            if receipt["status"] == 1:
                results[op.id] = OpResult(op.id, OpStatus.MINED, tx_hash, block, receipt)
            elif op.is_done is not None and op.is_done():
                journal.append(
                    JournalRecord(
                        op.id, TxState.DONE, sender=self.address, chain_id=self._chain_id, note="after a failed attempt"
                    )
                )
                results[op.id] = OpResult(op.id, OpStatus.DONE_ELSEWHERE, tx_hash, block, receipt)
            else:
                results[op.id] = OpResult(
                    op.id, OpStatus.FAILED, tx_hash, block, receipt, self._failure(receipt, op.id)
                )
            del sent
