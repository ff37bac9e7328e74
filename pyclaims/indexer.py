"""A small event indexer for read models that survives chain reorganisations.

:class:`Indexer` follows the chain from a start block. For every block it processes it keeps the block's
number and hash. Each :meth:`Indexer.poll`:

1. checks that the last processed block is still on the chain (same hash at the same height). If it is
   not, a reorganisation happened: it walks back through the stored hashes to the newest block that is still
   on the chain (the common ancestor), tells the consumer ``rollback(ancestor)``, forgets the blocks above,
   and carries on from there, so the new branch is applied as if it had always been there;
2. fetches the block headers of the next range (up to ``head - confirmations``) in one JSON-RPC batch and
   checks that they chain (each block's parent hash is the hash of the block before it);
3. fetches the range's logs with one ``eth_getLogs`` (addresses, topics), checks that every log belongs to a
   block of that chain (a reorg between the two calls restarts the step), decodes them, and hands each
   block's logs to the consumer in order with ``apply(block, logs)``.

With ``confirmations = k`` the consumer only ever sees blocks at least ``k`` deep, so reorganisations no
deeper than ``k`` never reach it. The indexer keeps the hashes of the last ``history`` blocks: a
reorganisation deeper than that raises :class:`ReorgTooDeepError` (re-index from scratch).

The consumer owns its state; after ``rollback(n)`` it must hold exactly what it held after the block ``n``
was applied. To restart a long-lived read model, persist :attr:`Indexer.known_blocks` with the consumer's
state and pass it back as ``known_blocks``.

Exceptions (a local root, :class:`IndexerError`)::

    IndexerError
    └── ReorgTooDeepError   the common ancestor is older than the hashes kept
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from eth_typing import ABI, ABIEvent
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.types import FilterParams, LogReceipt

from pyclaims._rpc import call, call_many, to_int
from pyclaims.errors import PyclaimsError

__all__ = [
    "BlockRef",
    "DecodedEvent",
    "EventDecoder",
    "IndexedLog",
    "Indexer",
    "IndexerError",
    "LogConsumer",
    "PollResult",
    "ReorgTooDeepError",
]


class IndexerError(PyclaimsError):
    """Root of the indexer's errors (re-parented under the package root by ``pyclaims``)."""


class ReorgTooDeepError(IndexerError):
    """The chain reorganised below the oldest block hash the indexer kept.

    Attributes:
        oldest_kept: the oldest block number whose hash was kept.
    """

    def __init__(self, oldest_kept: int) -> None:
        self.oldest_kept = oldest_kept
        super().__init__(
            f"the chain reorganised below block {oldest_kept}, the oldest block hash kept: re-index from scratch"
        )


@dataclass(frozen=True)
class BlockRef:
    """A processed block: number, hash and parent hash."""

    number: int
    hash: HexBytes
    parent_hash: HexBytes


@dataclass(frozen=True)
class DecodedEvent:
    """An event decoded from a log: its name and its arguments by name."""

    name: str
    args: Mapping[str, Any]


@dataclass(frozen=True)
class IndexedLog:
    """One log handed to the consumer.

    Attributes:
        block_number: the block it is in.
        block_hash: that block's hash.
        tx_hash: the transaction that emitted it.
        log_index: its index in the block.
        address: the emitting contract.
        topics: its topics.
        data: its data.
        event: the decoded event, when a decoder knows it.
    """

    block_number: int
    block_hash: HexBytes
    tx_hash: HexBytes
    log_index: int
    address: str
    topics: tuple[HexBytes, ...]
    data: HexBytes = field(repr=False)
    event: DecodedEvent | None


class LogConsumer(Protocol):
    """What the indexer feeds: a read model."""

    def apply(self, block: BlockRef, logs: Sequence[IndexedLog]) -> None:
        """Apply one block's logs (called in block order, only for blocks with matching logs)."""

    def rollback(self, to_block: int) -> None:
        """Forget everything applied from blocks above ``to_block``."""


class EventDecoder:
    """Decodes logs of the events in an ABI (by topic 0) with web3.py's own event decoding."""

    def __init__(self, w3: Web3, abi: Sequence[Mapping[str, Any]]) -> None:
        contract = w3.eth.contract(abi=cast(ABI, list(abi)))
        self._events: dict[bytes, Any] = {}
        for item in abi:
            if item.get("type") == "event" and not item.get("anonymous", False):
                event_abi = cast(ABIEvent, dict(item))
                self._events[bytes(event_abi_to_log_topic(event_abi))] = contract.events[str(item["name"])]()

    @property
    def topics(self) -> list[HexBytes]:
        """Topic 0 of every event known (for the indexer's ``topics`` filter)."""
        return [HexBytes(t) for t in self._events]

    def __call__(self, log: LogReceipt) -> DecodedEvent | None:
        topics = log["topics"]
        if not topics:
            return None
        event = self._events.get(bytes(topics[0]))
        if event is None:
            return None
        data = event.process_log(log)
        return DecodedEvent(str(data["event"]), dict(data["args"]))


@dataclass(frozen=True)
class PollResult:
    """What one :meth:`Indexer.poll` did.

    Attributes:
        rolled_back_to: the common ancestor the consumer was rolled back to, or ``None``.
        from_block: the first block processed (``None`` when nothing new was ready).
        to_block: the last block processed.
        logs: how many logs were applied.
    """

    rolled_back_to: int | None
    from_block: int | None
    to_block: int | None
    logs: int


class Indexer:
    """Follows blocks, feeds decoded logs to a consumer, and rolls back across reorganisations.

    Args:
        w3: the connection.
        consumer: the read model.
        addresses: contracts whose logs are wanted.
        topics: an ``eth_getLogs`` topics filter (default: every log of the addresses).
        decoder: turns a log into a :class:`DecodedEvent` (e.g. :class:`EventDecoder`), or ``None``.
        start_block: the first block to process.
        confirmations: how deep a block must be before it is processed (0 = the head itself).
        max_blocks: the most blocks one poll processes.
        history: how many processed block hashes are kept for finding a common ancestor.
        known_blocks: hashes of blocks already processed by an earlier instance (``number -> hash``);
            processing continues after the highest.
    """

    def __init__(
        self,
        w3: Web3,
        consumer: LogConsumer,
        *,
        addresses: Sequence[str],
        topics: Sequence[Any] | None = None,
        decoder: Callable[[LogReceipt], DecodedEvent | None] | None = None,
        start_block: int = 0,
        confirmations: int = 0,
        max_blocks: int = 2_000,
        history: int = 1_024,
        known_blocks: Mapping[int, bytes] | None = None,
    ) -> None:
        if not addresses:
            raise ValueError("addresses: at least one contract address is needed")
        if start_block < 0:
            raise ValueError(f"start_block: must be >= 0, got {start_block}")
        if confirmations < 0:
            raise ValueError(f"confirmations: must be >= 0, got {confirmations}")
        if max_blocks < 1:
            raise ValueError(f"max_blocks: must be >= 1, got {max_blocks}")
        if history < 1:
            raise ValueError(f"history: must be >= 1, got {history}")
        self.w3 = w3
        self.consumer = consumer
        self.addresses = [to_checksum_address(a) for a in addresses]
        self.topics = list(topics) if topics is not None else None
        self.decoder = decoder
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_blocks = max_blocks
        self.history = history
        self._hashes: dict[int, HexBytes] = {n: HexBytes(h) for n, h in (known_blocks or {}).items()}
        self._lock = threading.Lock()

    @property
    def known_blocks(self) -> dict[int, HexBytes]:
        """Hashes of the processed blocks kept (``number -> hash``)."""
        return dict(self._hashes)

    @property
    def last_processed(self) -> int | None:
        """The highest block processed, or ``None``."""
        return max(self._hashes) if self._hashes else None

    def _next_block(self) -> int:
        last = self.last_processed
        return self.start_block if last is None else last + 1

    def _headers(self, numbers: Sequence[int]) -> dict[int, BlockRef | None]:
        replies = call_many(self.w3, [("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        out: dict[int, BlockRef | None] = {}
        for number, reply in zip(numbers, replies, strict=True):
            block = reply.unwrap()
            out[number] = (
                None if block is None else BlockRef(number, HexBytes(block["hash"]), HexBytes(block["parentHash"]))
            )
        return out

    def _rollback_if_reorged(self) -> int | None:
        last = self.last_processed
        if last is None:
            return None
        tip = self._headers([last])[last]
        if tip is not None and tip.hash == self._hashes[last]:
            return None
        kept = sorted(self._hashes, reverse=True)
        chain = self._headers(kept)
        ancestor: int | None = None
        for number in kept:
            header = chain[number]
            if header is not None and header.hash == self._hashes[number]:
                ancestor = number
                break
        if ancestor is None:
            if min(kept) > self.start_block:
                raise ReorgTooDeepError(min(kept))
            ancestor = self.start_block - 1
        self.consumer.rollback(ancestor)
        for number in kept:
            if number > ancestor:
                del self._hashes[number]
        return ancestor

    def poll(self) -> PollResult:
        """Check for a reorganisation, then process the next ready range of blocks (see the module doc)."""
        with self._lock:
            rolled_back: int | None = None
            for _ in range(8):
                ancestor = self._rollback_if_reorged()
                if ancestor is not None:
                    rolled_back = ancestor if rolled_back is None else min(rolled_back, ancestor)
                head = to_int(call(self.w3, "eth_blockNumber", []), field="eth_blockNumber")
                first = self._next_block()
                last = min(head - self.confirmations, first + self.max_blocks - 1)
                if last < first:
                    return PollResult(rolled_back, None, None, 0)
                applied = self._process(first, last)
                if applied is not None:
                    return PollResult(rolled_back, first, last, applied)
                # The chain changed between the header and log fetches: check again from the top.
            raise IndexerError("the chain kept reorganising during the poll; try again")

    def _process(self, first: int, last: int) -> int | None:
        """Apply blocks ``first..last``; ``None`` when the chain changed under the fetch (nothing applied)."""
        numbers = list(range(first, last + 1))
        headers = self._headers(numbers)
        previous = self._hashes.get(first - 1)
        for number in numbers:
            header = headers[number]
            if header is None:
                return None
            if previous is not None and header.parent_hash != previous:
                return None
            previous = header.hash
        params: FilterParams = {"fromBlock": first, "toBlock": last, "address": self.addresses}
        if self.topics is not None:
            params["topics"] = self.topics
        raw_logs = self.w3.eth.get_logs(params)
        by_block: dict[int, list[IndexedLog]] = {}
        for log in raw_logs:
            number = int(log["blockNumber"])
            header = headers.get(number)
            if header is None or HexBytes(log["blockHash"]) != header.hash or log.get("removed", False):
                return None
            by_block.setdefault(number, []).append(
                IndexedLog(
                    block_number=number,
                    block_hash=header.hash,
                    tx_hash=HexBytes(log["transactionHash"]),
                    log_index=int(log["logIndex"]),
                    address=str(log["address"]),
                    topics=tuple(HexBytes(t) for t in log["topics"]),
                    data=HexBytes(log["data"]),
                    event=self.decoder(log) if self.decoder is not None else None,
                )
            )
        applied = 0
        for number in numbers:
            header = headers[number]
            assert header is not None
            logs = sorted(by_block.get(number, []), key=lambda item: item.log_index)
            if logs:
                self.consumer.apply(header, logs)
                applied += len(logs)
            self._hashes[number] = header.hash
        for number in [n for n in self._hashes if n <= last - self.history]:
            del self._hashes[number]
        return applied

    def run(self, stop: threading.Event, *, interval: float = 1.0) -> None:
        """Poll until ``stop`` is set, pausing ``interval`` seconds when caught up."""
        if interval <= 0:
            raise ValueError(f"interval: must be > 0, got {interval}")
        while not stop.is_set():
            result = self.poll()
            busy = result.from_block is not None and result.to_block is not None
            if not busy or (result.to_block or 0) - (result.from_block or 0) + 1 < self.max_blocks:
                stop.wait(interval)
