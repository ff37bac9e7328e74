"""Read models: a wallet's claims, rounds and their status, escrow deposits, and the offers the client knows.

:class:`ChainView` follows the three pyclaims contracts' events with the reorg-safe
:class:`~pyclaims.indexer.Indexer` and keeps, from events alone:

- every claim (holder, class, estate, amount, status, reference, evidence) and each wallet's claims;
- every round (class, rate, funding) with what was paid, released and returned so far, from payout events;
- every escrow deposit (buyer, amount) from ``Deposited``, ``DepositSpent`` and ``Withdrawn``;
- fills, cancellations and counter bumps.

A reorganisation rolls the view back to the common ancestor and re-applies the new branch: the view keeps the
events it applied, so a rollback drops those above the ancestor and replays the rest (rare, and cheap at the
sizes of a claims register). With ``confirmations = k`` it only ever sees blocks ``k`` deep.

:class:`OfferBook` is the client's local book of signed offers (added by hand or from JSON offer documents)
joined with their on-chain state, read in JSON-RPC batches: filled amount, cancellation, the maker's counter
(a bumped counter voids older offers), the deposit of an escrowed bid and the expiry against the chain's clock.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils.address import to_checksum_address
from web3.types import LogReceipt

from pyclaims.client import Client
from pyclaims.indexer import BlockRef, DecodedEvent, IndexedLog, Indexer, PollResult
from pyclaims.models import Claim, Deposit
from pyclaims.offers import SignedOrder, from_json
from pyclaims.types import BaseUnits, ClaimStatus

__all__ = [
    "ChainView",
    "OfferBook",
    "OfferStatus",
    "OfferView",
    "RoundStatus",
]

_ZERO = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class RoundStatus:
    """A round as its events tell it.

    Attributes:
        round_id, class_id: the round and its class.
        cumulative_rate, rate_delta: ppm.
        total_allowed, disputed_allowed: the class totals of record at declaration.
        funded: pulled from the funder.
        funder: who funded it.
        paid: ``PayoutMade`` amounts, base units.
        released: ``PayoutReleased`` amounts (withheld payouts released after a dispute), base units.
        returned: ``WithheldReturned`` amounts (expunged claims' payouts back to the funder), base units.
        settled: how many (round, claim) pairs were paid, released or returned.
        declared_block: the block of the declaration.
    """

    round_id: int
    class_id: int
    cumulative_rate: int
    rate_delta: int
    total_allowed: BaseUnits
    disputed_allowed: BaseUnits
    funded: BaseUnits
    funder: str
    paid: int = 0
    released: int = 0
    returned: int = 0
    settled: int = 0
    declared_block: int = 0

    @property
    def outstanding(self) -> BaseUnits:
        """Still in the distributor for this round: owed + withheld + dust."""
        return BaseUnits(self.funded - self.paid - self.released - self.returned)


class _State:
    """Everything the view derives from events (rebuilt from the event list after a rollback)."""

    def __init__(self) -> None:
        self.claims: dict[int, Claim] = {}
        self.estates: dict[int, int] = {}
        self.rounds: dict[int, RoundStatus] = {}
        self.deposits: dict[bytes, Deposit] = {}
        self.filled: dict[bytes, int] = {}
        self.cancelled: set[bytes] = set()
        self.counters: dict[str, int] = {}

    def apply(self, name: str, a: Mapping[str, Any], block: int) -> None:
        if name == "ClassDefined":
            self.estates[int(a["classId"])] = int(a["estateId"])
        elif name == "ClaimMinted":
            claim_id = int(a["claimId"])
            self.claims[claim_id] = Claim(
                claim_id=claim_id,
                holder=str(a["holder"]),
                class_id=int(a["classId"]),
                estate_id=self.estates.get(int(a["classId"]), 0),
                amount=BaseUnits(int(a["amount"])),
                status=ClaimStatus(int(a["status"])),
                claim_ref=bytes(a["claimRef"]),
                evidence=bytes(a["evidence"]),
            )
        elif name == "Transfer" and str(a["from"]) != _ZERO:
            claim_id = int(a["tokenId"]) if "tokenId" in a else int(a["claimId"])
            if claim_id in self.claims:
                self.claims[claim_id] = replace(self.claims[claim_id], holder=str(a["to"]))
        elif name == "ClaimAmountAmended":
            claim_id = int(a["claimId"])
            self.claims[claim_id] = replace(self.claims[claim_id], amount=BaseUnits(int(a["newAmount"])))
        elif name == "ClaimStatusChanged":
            claim_id = int(a["claimId"])
            self.claims[claim_id] = replace(self.claims[claim_id], status=ClaimStatus(int(a["newStatus"])))
        elif name == "RoundDeclared":
            round_id = int(a["roundId"])
            self.rounds[round_id] = RoundStatus(
                round_id=round_id,
                class_id=int(a["classId"]),
                cumulative_rate=int(a["cumulativeRate"]),
                rate_delta=int(a["rateDelta"]),
                total_allowed=BaseUnits(int(a["totalAllowed"])),
                disputed_allowed=BaseUnits(int(a["disputedAllowed"])),
                funded=BaseUnits(int(a["funded"])),
                funder=str(a["funder"]),
                declared_block=block,
            )
        elif name in ("PayoutMade", "PayoutReleased", "WithheldReturned"):
            r = self.rounds[int(a["roundId"])]
            amount = int(a["amount"])
            if name == "PayoutMade":
                r = replace(r, paid=r.paid + amount)
            elif name == "PayoutReleased":
                r = replace(r, released=r.released + amount)
            else:
                r = replace(r, returned=r.returned + amount)
            self.rounds[r.round_id] = replace(r, settled=r.settled + 1)
        elif name == "Deposited":
            h = bytes(a["orderHash"])
            self.deposits[h] = Deposit(h, str(a["buyer"]), BaseUnits(int(a["total"])))
        elif name == "DepositSpent":
            h = bytes(a["orderHash"])
            self.deposits[h] = replace(self.deposits[h], amount=BaseUnits(int(a["remaining"])))
        elif name == "Withdrawn":
            h = bytes(a["orderHash"])
            self.deposits[h] = replace(self.deposits[h], amount=BaseUnits(0))
        elif name == "OrderFilled":
            h = bytes(a["orderHash"])
            self.filled[h] = self.filled.get(h, 0) + 1
        elif name == "OrderCancelled":
            self.cancelled.add(bytes(a["orderHash"]))
        elif name == "CounterIncremented":
            self.counters[str(a["maker"])] = int(a["newCounter"])


class ChainView:
    """An event-sourced, reorg-safe view of one deployment (see the module docstring).

    Args:
        client: a connected client (read-only is enough).
        confirmations: how deep a block must be before the view applies it.
        max_blocks: the most blocks one indexer poll processes.
    """

    def __init__(self, client: Client, *, confirmations: int = 0, max_blocks: int = 5_000) -> None:
        self.client = client
        self._lock = threading.RLock()
        self._events: list[tuple[int, int, str, Mapping[str, Any]]] = []
        self._state = _State()
        d = client.deployment
        self._indexer = Indexer(
            client.w3,
            self,
            addresses=[d.token, d.market, d.distributor],
            decoder=self._decode,
            start_block=d.block,
            confirmations=confirmations,
            max_blocks=max_blocks,
        )

    # ---------------------------------------------------------------- indexer plumbing

    def _decode(self, log: LogReceipt) -> DecodedEvent | None:
        events = self.client.decode_logs([log])
        return DecodedEvent(events[0].name, events[0].args) if events else None

    def apply(self, block: BlockRef, logs: Sequence[IndexedLog]) -> None:
        """Indexer callback: apply one block's logs."""
        with self._lock:
            for log in logs:
                if log.event is None:
                    continue
                self._events.append((block.number, log.log_index, log.event.name, log.event.args))
                self._state.apply(log.event.name, log.event.args, block.number)

    def rollback(self, to_block: int) -> None:
        """Indexer callback: forget everything above ``to_block`` (replays what stays)."""
        with self._lock:
            self._events = [e for e in self._events if e[0] <= to_block]
            self._state = _State()
            for number, _, name, args in self._events:
                self._state.apply(name, args, number)

    def sync(self) -> PollResult:
        """Catch up with the chain (polls the indexer until nothing new is ready); the last poll's result."""
        rolled_back: int | None = None
        while True:
            result = self._indexer.poll()
            if result.rolled_back_to is not None:
                rolled_back = result.rolled_back_to if rolled_back is None else min(rolled_back, result.rolled_back_to)
            if result.from_block is None:
                return PollResult(rolled_back, None, None, 0)

    @property
    def last_block(self) -> int | None:
        """The last block applied."""
        return self._indexer.last_processed

    # ---------------------------------------------------------------- claims

    def claim(self, claim_id: int) -> Claim | None:
        """A claim as the events tell it, or ``None``."""
        with self._lock:
            return self._state.claims.get(claim_id)

    def claims(self, *, class_id: int | None = None, status: ClaimStatus | None = None) -> list[Claim]:
        """Every claim (optionally of one class / status), by id."""
        with self._lock:
            out = sorted(self._state.claims.values(), key=lambda c: c.claim_id)
        return [
            c for c in out if (class_id is None or c.class_id == class_id) and (status is None or c.status is status)
        ]

    def wallet_claims(self, wallet: str) -> list[Claim]:
        """The claims ``wallet`` holds now, by id."""
        target = str(to_checksum_address(wallet))
        return [c for c in self.claims() if c.holder == target]

    def wallet_summary(self, wallet: str) -> dict[str, Any]:
        """Counts and allowed amounts of a wallet's claims by status, JSON-ready."""
        claims = self.wallet_claims(wallet)
        by_status: dict[str, dict[str, Any]] = {}
        for c in claims:
            entry = by_status.setdefault(c.status.name, {"count": 0, "allowed_base_units": 0})
            entry["count"] += 1
            entry["allowed_base_units"] += c.amount
        for entry in by_status.values():
            entry["allowed_base_units"] = str(entry["allowed_base_units"])
        return {"wallet": str(to_checksum_address(wallet)), "claims": len(claims), "by_status": by_status}

    # ---------------------------------------------------------------- rounds and escrow

    def rounds(self, *, class_id: int | None = None) -> list[RoundStatus]:
        """Every round (optionally of one class), by id."""
        with self._lock:
            out = sorted(self._state.rounds.values(), key=lambda r: r.round_id)
        return [r for r in out if class_id is None or r.class_id == class_id]

    def deposits(self, *, buyer: str | None = None, open_only: bool = True) -> list[Deposit]:
        """Escrow deposits (by default only those still holding money), optionally of one buyer."""
        target = str(to_checksum_address(buyer)) if buyer is not None else None
        with self._lock:
            out = list(self._state.deposits.values())
        return [d for d in out if (target is None or d.buyer == target) and (not open_only or d.amount > 0)]

    def total_escrowed(self) -> BaseUnits:
        """The sum of open deposits (equals ``ClaimMarket.totalDeposits`` for a standard stablecoin)."""
        return BaseUnits(sum(d.amount for d in self.deposits()))

    def fills(self, order_hash: bytes) -> int:
        """How many fills an order had."""
        with self._lock:
            return self._state.filled.get(order_hash, 0)

    def is_cancelled(self, order_hash: bytes) -> bool:
        """Whether the order was cancelled (or its deposit withdrawn)."""
        with self._lock:
            return order_hash in self._state.cancelled


# ------------------------------------------------------------------------------------------------ offers


class OfferStatus(enum.StrEnum):
    """Where a known offer stands on chain."""

    OPEN = "open"
    """Fillable now (unexpired, current counter, not cancelled, not fully filled)."""
    PARTIALLY_FILLED = "partially_filled"
    """A class bid with some allowed amount bought and room left."""
    FILLED = "filled"
    CANCELLED = "cancelled"
    STALE = "stale"
    """The maker bumped their counter: void."""
    EXPIRED = "expired"


@dataclass(frozen=True)
class OfferView:
    """A known signed offer and its on-chain state.

    Attributes:
        signed: the offer.
        status: :class:`OfferStatus`.
        filled_amount: 1 once a specific order is filled; a class bid's allowed amount bought so far.
        deposit: the escrow of a bid (amount 0 when none).
        maker_counter: the maker's current counter.
    """

    signed: SignedOrder
    status: OfferStatus
    filled_amount: int
    deposit: Deposit
    maker_counter: int

    @property
    def escrowed(self) -> bool:
        """A bid with money in escrow."""
        return self.deposit.amount > 0


@dataclass
class OfferBook:
    """The offers a client knows: signed orders kept locally, joined with their on-chain state on demand."""

    client: Client
    _offers: dict[bytes, SignedOrder] = field(default_factory=dict)

    def add(self, *offers: SignedOrder | str | bytes) -> list[SignedOrder]:
        """Add offers (``SignedOrder`` or JSON offer documents, fully checked); returns them. Offers signed for
        another market or chain are refused (``ValueError``)."""
        added: list[SignedOrder] = []
        d = self.client.deployment
        for offer in offers:
            signed = offer if isinstance(offer, SignedOrder) else from_json(offer)
            if signed.chain_id != self.client.chain_id or signed.market != d.market:
                raise ValueError(
                    f"offer {signed.hash.hex()[:10]}...: signed for chain {signed.chain_id} market {signed.market}, "
                    f"this book is chain {self.client.chain_id} market {d.market}"
                )
            self._offers[signed.hash] = signed
            added.append(signed)
        return added

    def remove(self, order_hash: bytes) -> None:
        """Forget an offer."""
        self._offers.pop(order_hash, None)

    def __len__(self) -> int:
        return len(self._offers)

    def __iter__(self) -> Iterator[SignedOrder]:
        return iter(list(self._offers.values()))

    def views(self, *, maker: str | None = None, status: Iterable[OfferStatus] | None = None) -> list[OfferView]:
        """Every known offer (optionally of one maker / in some statuses) with its on-chain state, read in
        JSON-RPC batches at one block."""
        target = str(to_checksum_address(maker)) if maker is not None else None
        offers = [s for s in self._offers.values() if target is None or s.order.maker == target]
        if not offers:
            return []
        block = self.client.block_timestamp()
        hashes = [s.hash for s in offers]
        makers = sorted({s.order.maker for s in offers})
        states = self.client.order_states(hashes)
        deposits = self.client.deposits_of(hashes)
        counters = dict(
            zip(
                makers,
                [int(r[0]) for r in self.client.call_many([("ClaimMarket", "counterOf", (m,)) for m in makers])],
                strict=True,
            )
        )
        wanted = set(status) if status is not None else None
        out: list[OfferView] = []
        for signed, state, deposit in zip(offers, states, deposits, strict=True):
            order = signed.order
            counter = counters[order.maker]
            if state.cancelled:
                st = OfferStatus.CANCELLED
            elif state.filled_amount >= (order.max_amount if order.is_class_bid else 1):
                st = OfferStatus.FILLED
            elif order.counter != counter:
                st = OfferStatus.STALE
            elif block > order.expiry:
                st = OfferStatus.EXPIRED
            elif order.is_class_bid and state.filled_amount > 0:
                st = OfferStatus.PARTIALLY_FILLED
            else:
                st = OfferStatus.OPEN
            if wanted is None or st in wanted:
                out.append(OfferView(signed, st, state.filled_amount, deposit, counter))
        return out

    def open(self, *, maker: str | None = None) -> list[OfferView]:
        """The offers fillable now."""
        return self.views(maker=maker, status=(OfferStatus.OPEN, OfferStatus.PARTIALLY_FILLED))
