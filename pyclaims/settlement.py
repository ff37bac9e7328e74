"""Settlement: signed offers filled atomically against the stablecoin, one or many, directly or from escrow.

Building on :class:`~pyclaims.client.Client`:

- :func:`make_ask`, :func:`make_bid`, :func:`make_class_bid` build an order with the maker's current counter
  and an expiry, and sign it with the client's account (the maker) for this deployment's market and chain.
- :func:`fill` fills one signed order: an ask is bought by the client's account (it pays, by allowance or by an
  EIP-2612 permit), a bid is sold into by the client's account (it holds the claim and receives the price).
- :func:`fill_many` fills many: either pipelined, one transaction per fill, all in flight at once from one
  account through the nonce manager (``batch=False``; each fill succeeds or fails alone), or in ``fillBatch``
  transactions of ``batch_size`` fills (``batch=True``; each batch all or nothing). Every receipt is checked;
  each fill becomes a :class:`~pyclaims.models.SettlementRecord` from its ``OrderFilled`` event, each failure
  its decoded :class:`~pyclaims.errors.ContractError`.
- :func:`place_escrowed_bid` signs a bid and escrows its payment in the market (``deposit`` or
  ``depositWithPermit``); :func:`withdraw_bid` takes it back (and cancels the bid); :func:`cancel` and
  :func:`bump_counter` cancel one order or every open order of the maker.
- :func:`ensure_allowance` approves the market (or any spender) only when the allowance is short.

Money is integer base units. The market takes no fee: 100% of ``price`` reaches the seller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pyclaims.client import Client
from pyclaims.eip712 import ZERO_ADDRESS
from pyclaims.errors import PyclaimsError
from pyclaims.models import Deposit, Receipt, SettlementRecord
from pyclaims.offers import Order, SignedOrder, ask, bid_for_claim, class_bid, payment_for
from pyclaims.types import BaseUnits, Side

__all__ = [
    "DEFAULT_TTL",
    "EscrowedBid",
    "FillOutcome",
    "FillsReport",
    "bump_counter",
    "cancel",
    "ensure_allowance",
    "fill",
    "fill_many",
    "make_ask",
    "make_bid",
    "make_class_bid",
    "payment_of",
    "place_escrowed_bid",
    "withdraw_bid",
]

DEFAULT_TTL = 24 * 3600
"""Default order lifetime: a day after the latest block."""


def _expiry(client: Client, expiry: int | None, ttl: int) -> int:
    if expiry is not None:
        return expiry
    if ttl <= 0:
        raise ValueError(f"ttl: must be > 0 seconds, got {ttl}")
    return client.block_timestamp() + ttl


def make_ask(
    client: Client,
    claim_id: int,
    price: int,
    *,
    expiry: int | None = None,
    ttl: int = DEFAULT_TTL,
    taker: str = ZERO_ADDRESS,
    salt: int | None = None,
) -> SignedOrder:
    """An ask by the client's account: sell ``claim_id`` for ``price`` base units, signed."""
    order = ask(
        maker=client.address,
        claim_id=claim_id,
        price=price,
        expiry=_expiry(client, expiry, ttl),
        counter=client.counter_of(client.address),
        taker=taker,
        salt=salt,
    )
    return client.sign_order(order)


def make_bid(
    client: Client,
    claim_id: int,
    price: int,
    *,
    expiry: int | None = None,
    ttl: int = DEFAULT_TTL,
    taker: str = ZERO_ADDRESS,
    salt: int | None = None,
) -> SignedOrder:
    """A bid by the client's account for one claim at a total ``price``, signed."""
    order = bid_for_claim(
        maker=client.address,
        claim_id=claim_id,
        price=price,
        expiry=_expiry(client, expiry, ttl),
        counter=client.counter_of(client.address),
        taker=taker,
        salt=salt,
    )
    return client.sign_order(order)


def make_class_bid(
    client: Client,
    class_id: int,
    price_per_million: int,
    max_amount: int,
    *,
    expiry: int | None = None,
    ttl: int = DEFAULT_TTL,
    taker: str = ZERO_ADDRESS,
    salt: int | None = None,
) -> SignedOrder:
    """A class bid by the client's account: ``price_per_million`` base units per 1,000,000 of allowed amount,
    up to ``max_amount`` of allowed amount over all fills, signed."""
    order = class_bid(
        maker=client.address,
        class_id=class_id,
        price_per_million=price_per_million,
        max_amount=max_amount,
        expiry=_expiry(client, expiry, ttl),
        counter=client.counter_of(client.address),
        taker=taker,
        salt=salt,
    )
    return client.sign_order(order)


def payment_of(client: Client, signed: SignedOrder, claim_id: int = 0) -> BaseUnits:
    """What a fill pays the seller: the price of an ask or a specific bid; for a class bid,
    ``floor(amount * price / 1e6)`` of the claim's current allowed amount."""
    order = signed.order
    if order.is_class_bid:
        if claim_id == 0:
            raise ValueError("claim_id: a class-bid fill needs the claim sold into it")
        return BaseUnits(payment_for(client.amount_of(claim_id), order.price))
    return BaseUnits(order.price)


def ensure_allowance(client: Client, amount: int, *, spender: str | None = None) -> Receipt | None:
    """Approve ``spender`` (default: the market) for ``amount`` when the client's allowance is below it."""
    target = spender or client.deployment.market
    if client.allowance(client.address, target) >= amount:
        return None
    return client.approve(target, amount)


def fill(
    client: Client, signed: SignedOrder, *, claim_id: int = 0, permit: bool = False, approve: bool = True
) -> SettlementRecord:
    """Fill one signed order as the client's account.

    An ask is bought (the account pays ``price``: by an EIP-2612 permit with ``permit``, else by allowance,
    approved first when short with ``approve``); a bid is sold into with ``claim_id`` (the account's claim).

    Raises:
        ContractError: the market refused (its decoded error: ``ClaimMarketOrderFilled``, ...).
    """
    if signed.order.side is Side.Ask:
        if permit:
            return client.fill_ask_with_permit(signed)
        if approve:
            ensure_allowance(client, signed.order.price)
        return client.fill_ask(signed)
    if claim_id == 0:
        raise ValueError("claim_id: selling into a bid needs the claim sold")
    return client.fill_bid(signed, claim_id)


@dataclass(frozen=True)
class FillOutcome:
    """One fill of :func:`fill_many`: its record, or why it failed."""

    signed: SignedOrder
    claim_id: int
    record: SettlementRecord | None
    error: PyclaimsError | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        """The fill settled."""
        return self.record is not None


@dataclass(frozen=True)
class FillsReport:
    """What :func:`fill_many` did, per fill in the order given."""

    outcomes: tuple[FillOutcome, ...]
    transactions: int
    gas_used: int

    @property
    def records(self) -> tuple[SettlementRecord, ...]:
        """The settled fills."""
        return tuple(o.record for o in self.outcomes if o.record is not None)

    @property
    def failed(self) -> tuple[FillOutcome, ...]:
        """The fills that did not settle."""
        return tuple(o for o in self.outcomes if o.record is None)

    @property
    def ok(self) -> bool:
        """Every fill settled."""
        return not self.failed

    @property
    def volume(self) -> BaseUnits:
        """The total price paid to sellers."""
        return BaseUnits(sum(r.price for r in self.records))


def fill_many(
    client: Client,
    fills: Sequence[tuple[SignedOrder, int]],
    *,
    batch: bool = False,
    batch_size: int = 25,
    approve: bool = True,
) -> FillsReport:
    """Fill many signed orders as the client's account: ``(signed order, claim id)`` pairs (the claim id is
    the one sold into a bid; 0 for asks).

    Args:
        batch: ``False``: one transaction per fill, all pipelined from one account (each settles or fails
            alone). ``True``: ``fillBatch`` transactions of ``batch_size`` fills, each all or nothing (a failing
            batch's fills all fail with its error).
        approve: approve the market once for the sum of the asks' prices when the allowance is short.
    """
    if not fills:
        return FillsReport((), 0, 0)
    if batch_size < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    for signed, claim_id in fills:
        if signed.order.side is Side.Bid and claim_id == 0:
            raise ValueError(f"fills: a bid ({signed.hash.hex()[:10]}...) needs the claim id sold into it")
    if approve:
        total = sum(s.order.price for s, _ in fills if s.order.side is Side.Ask)
        if total:
            ensure_allowance(client, total)
    if batch:
        groups = [list(fills[i : i + batch_size]) for i in range(0, len(fills), batch_size)]
        txs = [client.fill_batch_request(group) for group in groups]
    else:
        groups = [[f] for f in fills]
        txs = [client.fill_request(s, c) for s, c in fills]
    results = client.send_all(txs)
    mined = [r for r in results if isinstance(r, Receipt)]
    settled = iter(client.settlements_many(mined))
    outcomes: list[FillOutcome] = []
    transactions = gas = 0
    for group, result in zip(groups, results, strict=True):
        if isinstance(result, Receipt):
            transactions += 1
            gas += result.gas_used
            by_hash = {r.order_hash: r for r in next(settled)}
            for signed, claim_id in group:
                outcomes.append(FillOutcome(signed, claim_id, by_hash.get(signed.hash)))
        else:
            outcomes.extend(FillOutcome(signed, claim_id, None, result) for signed, claim_id in group)
    return FillsReport(tuple(outcomes), transactions, gas)


@dataclass(frozen=True)
class EscrowedBid:
    """A signed bid with its payment escrowed in the market: firm for the seller until withdrawn."""

    signed: SignedOrder
    deposit: Deposit
    receipt: Receipt


def place_escrowed_bid(
    client: Client, signed: SignedOrder, *, amount: int | None = None, permit: bool = False
) -> EscrowedBid:
    """Escrow the payment of the client's own signed bid (default amount: a specific bid's price, or a class
    bid's price for its whole ``max_amount``). Pays by permit with ``permit``, else approves when short."""
    order = signed.order
    if order.side is not Side.Bid:
        raise ValueError("signed: only a bid can be escrowed")
    if order.maker != client.address:
        raise ValueError(f"signed: the bid's maker {order.maker} is not this account {client.address}")
    value = (
        amount
        if amount is not None
        else (payment_for(order.max_amount, order.price) if order.is_class_bid else order.price)
    )
    if value <= 0:
        raise ValueError(f"amount: must be positive, got {value}")
    if permit:
        receipt = client.deposit_with_permit(order, value)
    else:
        ensure_allowance(client, value)
        receipt = client.deposit(order, value)
    return EscrowedBid(signed, client.deposit_of(signed.hash), receipt)


def withdraw_bid(client: Client, order_hash: bytes) -> BaseUnits:
    """Take back the whole deposit of the client's escrowed bid (the bid is cancelled); returns the amount."""
    receipt = client.withdraw(order_hash)
    (event,) = receipt.named("Withdrawn")
    return BaseUnits(int(event.args["amount"]))


def cancel(client: Client, orders: Sequence[Order | SignedOrder]) -> Receipt:
    """Cancel the client's own orders (each becomes unfillable)."""
    plain = [o.order if isinstance(o, SignedOrder) else o for o in orders]
    if not plain:
        raise ValueError("orders: nothing to cancel")
    return client.cancel(plain)


def bump_counter(client: Client) -> int:
    """Cancel every order the client's account signed so far (its counter moves up); returns the new counter."""
    receipt = client.increment_counter()
    (event,) = receipt.named("CounterIncremented")
    return int(event.args["newCounter"])
