"""Settlement on anvil: one fill and many (pipelined from one account, or in all-or-nothing batches), escrowed
bids (deposit, permit, partial class-bid fills, withdraw), cancel and counter bumps, zero fee to the base unit."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from anvil import Anvil, dev_account
from sdk_suite import Suite, deploy

from pyclaims import errors
from pyclaims.offers import order_hash, payment_for
from pyclaims.settlement import (
    bump_counter,
    cancel,
    fill,
    fill_many,
    make_ask,
    make_bid,
    make_class_bid,
    payment_of,
    place_escrowed_bid,
    withdraw_bid,
)
from pyclaims.types import Side

pytestmark = pytest.mark.slow

USD = 1_000_000
SELLERS = (1, 2, 3, 4)
BUYER = 5


@pytest.fixture
def suite() -> Iterator[Suite]:
    with Anvil() as node:
        s = deploy(node)
        s.onboard(*SELLERS, BUYER, 6)
        s.fund(BUYER, 6)
        s.define_classes(1, 2)
        yield s


def claims(suite: Suite, per_seller: int = 2, class_id: int = 1) -> dict[int, list[int]]:
    """Mint ``per_seller`` claims to each seller; seller index -> claim ids."""
    requests = []
    owners = []
    for seller in SELLERS:
        for k in range(per_seller):
            requests.append(
                suite.request(f"s{seller}-{k}-{class_id}", seller, 1000 + 10 * seller + k, class_id=class_id)
            )
            owners.append(seller)
    ids = suite.mint(requests)
    out: dict[int, list[int]] = {s: [] for s in SELLERS}
    for owner, claim_id in zip(owners, ids, strict=True):
        out[owner].append(claim_id)
    return out


def test_many_fills_in_flight_from_one_account(suite: Suite) -> None:
    held = claims(suite)
    asks = [
        make_ask(suite.client(seller), claim_id, (600 + claim_id) * USD)
        for seller, ids in held.items()
        for claim_id in ids
    ]
    buyer = suite.client(BUYER)
    start_nonce = suite.w3.eth.get_transaction_count(buyer.address)
    before = buyer.stablecoin_balances([buyer.address, *(dev_account(s).address for s in SELLERS)])
    report = fill_many(buyer, [(a, 0) for a in asks])
    assert report.ok and report.transactions == 8
    # One approval, then eight fills at contiguous nonces, all in flight together.
    assert suite.w3.eth.get_transaction_count(buyer.address) == start_nonce + 1 + 8
    nonces = sorted(suite.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in report.records)
    assert nonces == list(range(start_nonce + 1, start_nonce + 9))
    after = buyer.stablecoin_balances([buyer.address, *(dev_account(s).address for s in SELLERS)])
    assert before[0] - after[0] == report.volume == sum(a.order.price for a in asks)
    for i, seller in enumerate(SELLERS, start=1):
        proceeds = sum(r.price for r in report.records if r.seller == dev_account(seller).address)
        assert after[i] - before[i] == proceeds  # zero fee: every base unit reaches the seller
    for record, signed in zip(report.records, asks, strict=True):
        assert record.order_hash == order_hash(signed.order) and record.buyer == buyer.address
        assert record.allowed_amount == suite.admin.amount_of(record.claim_id) and not record.escrowed
        assert suite.admin.owner_of(record.claim_id) == buyer.address


def test_a_failing_fill_fails_alone_pipelined_and_takes_its_batch_down_batched(suite: Suite) -> None:
    held = claims(suite)
    buyer = suite.client(BUYER)
    seller = suite.client(1)
    first, second = held[1]
    taken = make_ask(seller, first, 500 * USD)
    fill(buyer, taken)
    asks = [taken, make_ask(seller, second, 400 * USD), make_ask(suite.client(2), held[2][0], 300 * USD)]
    report = fill_many(buyer, [(a, 0) for a in asks])
    assert [o.ok for o in report.outcomes] == [False, True, True]
    assert isinstance(report.failed[0].error, errors.ClaimMarketOrderFilled)

    # Batched: a cancelled order makes its whole batch revert; the other batch settles.
    bad = make_ask(suite.client(3), held[3][0], 200 * USD)
    cancel(suite.client(3), [bad])
    good = [make_ask(suite.client(3), held[3][1], 210 * USD), make_ask(suite.client(4), held[4][0], 220 * USD)]
    batched = fill_many(buyer, [(good[0], 0), (good[1], 0), (bad, 0)], batch=True, batch_size=2)
    assert batched.transactions == 1
    assert [o.ok for o in batched.outcomes] == [True, True, False]
    assert isinstance(batched.failed[0].error, errors.ClaimMarketOrderCancelled)
    assert len({r.tx_hash for r in batched.records}) == 1

    third = make_ask(suite.client(4), held[4][1], 230 * USD)
    cancel(suite.client(4), [third.order])
    both = fill_many(buyer, [(good[0], 0), (third, 0)], batch=True)
    assert not both.records and len(both.failed) == 2  # all or nothing: good[0] was filled already anyway


def test_escrowed_bids_specific_and_class(suite: Suite) -> None:
    held = claims(suite, per_seller=1, class_id=2)
    bidder = suite.client(6)
    market_before = suite.admin.stablecoin_balance(suite.deployment.market)

    # A specific bid escrowed with a permit; the seller sells into it and is paid from the deposit.
    specific = make_bid(bidder, held[1][0], 720 * USD)
    escrowed = place_escrowed_bid(bidder, specific, permit=True)
    assert escrowed.deposit.amount == 720 * USD and escrowed.deposit.buyer == bidder.address
    record = fill(suite.client(1), specific, claim_id=held[1][0])
    assert record.escrowed and record.price == 720 * USD and record.buyer == bidder.address
    assert bidder.deposit_of(specific.hash).amount == 0

    # A class bid escrowed for its whole size, filled in part by three sellers, the rest withdrawn.
    amounts = [suite.admin.amount_of(held[s][0]) for s in (2, 3, 4)]
    cbid = make_class_bid(bidder, 2, 650_000, sum(amounts[:2]) + amounts[2] // 2)
    placed = place_escrowed_bid(bidder, cbid)
    assert placed.deposit.amount == payment_for(cbid.order.max_amount, 650_000)
    sold = [fill(suite.client(s), cbid, claim_id=held[s][0]) for s in (2, 3)]
    assert [r.price for r in sold] == [payment_of(bidder, cbid, held[s][0]) for s in (2, 3)]
    assert all(r.escrowed for r in sold)
    assert bidder.order_state(cbid.hash).filled_amount == sum(amounts[:2])
    with pytest.raises(errors.ClaimMarketFillExceedsOrder) as over:
        fill(suite.client(4), cbid, claim_id=held[4][0])  # the third claim does not fit in what is left
    assert over.value.max_amount == cbid.order.max_amount
    remaining = bidder.deposit_of(cbid.hash).amount
    assert remaining == placed.deposit.amount - sum(r.price for r in sold)
    assert suite.admin.total_deposits() == remaining
    assert suite.admin.stablecoin_balance(suite.deployment.market) - market_before == remaining
    assert withdraw_bid(bidder, cbid.hash) == remaining
    assert suite.admin.total_deposits() == 0
    assert suite.admin.stablecoin_balance(suite.deployment.market) == market_before
    with pytest.raises(errors.ClaimMarketOrderCancelled):
        fill(suite.client(4), cbid, claim_id=held[4][0])
    with pytest.raises(ValueError, match="only a bid"):
        place_escrowed_bid(suite.client(1), make_ask(suite.client(1), held[1][0] + 100, 1))


def test_permit_fill_and_counter_bump(suite: Suite) -> None:
    held = claims(suite, per_seller=1)
    buyer = suite.client(6)
    assert buyer.allowance(buyer.address, suite.deployment.market) == 0
    record = fill(buyer, make_ask(suite.client(1), held[1][0], 111 * USD), permit=True)
    assert record.buyer == buyer.address and buyer.allowance(buyer.address, suite.deployment.market) == 0
    seller = suite.client(2)
    stale = make_ask(seller, held[2][0], 5 * USD)
    assert bump_counter(seller) == 1
    with pytest.raises(errors.ClaimMarketStaleCounter):
        fill(buyer, stale)
    fresh = make_ask(seller, held[2][0], 5 * USD)
    assert fresh.order.counter == 1 and fill(buyer, fresh).price == 5 * USD
    with pytest.raises(ValueError, match="claim_id"):
        fill(buyer, make_bid(buyer, held[3][0], 1))
    assert make_bid(buyer, held[3][0], 1).order.side is Side.Bid


def test_concurrent_threads_share_the_accounts_nonces(suite: Suite) -> None:
    held = claims(suite)
    asks = [make_ask(suite.client(s), c, 100 * USD) for s, ids in held.items() for c in ids]
    buyer = suite.client(BUYER)
    buyer.approve(suite.deployment.market, 10_000 * USD)
    start = suite.w3.eth.get_transaction_count(buyer.address)
    records: list[object] = []
    failures: list[BaseException] = []

    def work(part: list[object]) -> None:
        mine = buyer.using(dev_account(BUYER))  # another client of the same account: the same nonce manager
        try:
            for signed in part:
                records.append(fill(mine, signed, approve=False))  # type: ignore[arg-type]
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(asks[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(records) == 8
    nonces = sorted(suite.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in records)  # type: ignore[attr-defined]
    assert nonces == list(range(start, start + 8))
