"""Read models on anvil: the event-sourced view agrees with the contracts' own views after a lifecycle, survives a
reorganisation, and the offer book reports each known offer's on-chain status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from anvil import Anvil, dev_account
from sdk_suite import RESTRICTED_COUNTRY, Suite, deploy

from pyclaims.client import Client
from pyclaims.distributions import declare, pay_round, plan_round, reconcile
from pyclaims.offers import to_json
from pyclaims.readmodels import ChainView, OfferBook, OfferStatus
from pyclaims.settlement import bump_counter, cancel, fill, make_ask, make_bid, make_class_bid, place_escrowed_bid
from pyclaims.types import ClaimStatus

pytestmark = pytest.mark.slow

USD = 1_000_000


@pytest.fixture
def suite() -> Iterator[Suite]:
    with Anvil() as node:
        s = deploy(node)
        s.onboard(1, 2, 3, 4)
        s.onboard(5, country=RESTRICTED_COUNTRY)
        s.onboard(6, entity=101)  # a second wallet of account 1's entity
        s.admin.set_restricted([RESTRICTED_COUNTRY])
        s.fund(0, 3, 4)
        s.define_classes(1, 2)
        yield s


def test_view_matches_the_chain_after_a_lifecycle(suite: Suite, tmp_path: Path) -> None:
    admin = suite.admin
    ids = suite.mint(
        [
            suite.request(
                f"r{i}", (1, 2, 5)[i % 3], 100 + i, status=ClaimStatus.Disputed if i % 3 == 2 else ClaimStatus.Allowed
            )
            for i in range(9)
        ]
    )
    view = ChainView(admin)
    view.sync()
    assert [c.claim_id for c in view.wallet_claims(dev_account(1).address)] == [ids[0], ids[3], ids[6]]
    # Moves, amendments and status changes.
    buyer = suite.client(3)
    fill(buyer, make_ask(suite.client(1), ids[0], 70 * USD))
    bid = make_bid(suite.client(4), ids[1], 80 * USD)
    place_escrowed_bid(suite.client(4), bid)
    fill(suite.client(2), bid, claim_id=ids[1])
    spare = make_class_bid(suite.client(4), 1, 500_000, 1_000 * USD)
    place_escrowed_bid(suite.client(4), spare, amount=10 * USD)
    admin.amend_amount(ids[3], 555 * USD)
    admin.set_status(ids[4], ClaimStatus.Disputed)
    admin.recover(ids[6], dev_account(6).address)
    declare(admin, plan_round(admin, 1, 200_000))
    pay_round(admin, 1, journal_path=tmp_path / "p.jsonl")
    view.sync()

    chain = admin.claims_of(ids)
    assert [view.claim(c.claim_id) for c in chain] == chain
    for wallet in (1, 2, 3, 4, 5, 6):
        address = dev_account(wallet).address
        assert [c.claim_id for c in view.wallet_claims(address)] == [c.claim_id for c in chain if c.holder == address]
    assert view.wallet_summary(dev_account(3).address)["claims"] == 1
    assert view.claims(status=ClaimStatus.Disputed) == [c for c in chain if c.status is ClaimStatus.Disputed]
    (rnd,) = view.rounds()
    on_chain = admin.round_of(1)
    books = reconcile(admin, 1).rounds[0]
    assert (rnd.funded, rnd.paid, rnd.returned) == (on_chain.funded, books.paid, on_chain.returned)
    assert rnd.outstanding == books.owed + books.withheld + books.dust
    assert rnd.settled == books.settled_by_events
    assert view.total_escrowed() == admin.total_deposits() == 10 * USD
    (open_deposit,) = view.deposits()
    assert open_deposit == admin.deposit_of(spare.hash)
    assert view.deposits(open_only=False, buyer=dev_account(4).address)[0].amount == 0  # the spent specific bid
    assert view.fills(bid.hash) == 1 and not view.is_cancelled(bid.hash)


def test_view_rolls_back_a_reorganisation(suite: Suite) -> None:
    (claim_id,) = suite.mint([suite.request("reorg", 1, 10)])
    view = ChainView(suite.admin)
    view.sync()
    snapshot = suite.node.rpc("evm_snapshot")
    suite.client(1).transfer_claim(claim_id, dev_account(2).address)
    suite.client(2).transfer_claim(claim_id, dev_account(3).address)
    view.sync()
    assert view.claim(claim_id).holder == dev_account(3).address  # type: ignore[union-attr]
    assert suite.node.rpc("evm_revert", snapshot)
    # Another branch at the same heights (a new connection: the old one's nonce manager counted the lost branch).
    Client.connect(suite.w3, suite.deployment, account=dev_account(1)).transfer_claim(claim_id, dev_account(4).address)
    result = view.sync()
    assert result.rolled_back_to is not None
    assert view.claim(claim_id).holder == dev_account(4).address  # type: ignore[union-attr]
    assert [c.claim_id for c in view.wallet_claims(dev_account(3).address)] == []


def test_offer_book_statuses(suite: Suite) -> None:
    ids = suite.mint([suite.request(f"o{i}", 1 + i % 2, 100) for i in range(6)])
    book = OfferBook(suite.admin)
    seller1, seller2, buyer = suite.client(1), suite.client(2), suite.client(3)
    open_ask = make_ask(seller1, ids[0], 50 * USD)
    filled_ask = make_ask(seller2, ids[1], 50 * USD)
    cancelled_ask = make_ask(seller1, ids[2], 50 * USD)
    expired_ask = make_ask(seller2, ids[3], 50 * USD, expiry=1_000)
    class_bid = make_class_bid(buyer, 1, 600_000, 200 * USD)
    stale_bid = make_bid(suite.client(4), ids[5], 10 * USD)
    book.add(open_ask, filled_ask, cancelled_ask, to_json(expired_ask), class_bid.to_json(), stale_bid)
    assert len(book) == 6
    fill(buyer, filled_ask)
    cancel(seller1, [cancelled_ask])
    place_escrowed_bid(buyer, class_bid)
    fill(seller2, class_bid, claim_id=ids[3])
    bump_counter(suite.client(4))
    views = {v.signed.hash: v for v in book.views()}
    assert views[open_ask.hash].status is OfferStatus.OPEN
    assert views[filled_ask.hash].status is OfferStatus.FILLED
    assert views[cancelled_ask.hash].status is OfferStatus.CANCELLED
    assert views[expired_ask.hash].status is OfferStatus.EXPIRED
    assert views[class_bid.hash].status is OfferStatus.PARTIALLY_FILLED
    assert views[class_bid.hash].filled_amount == 100 * USD and views[class_bid.hash].escrowed
    assert views[stale_bid.hash].status is OfferStatus.STALE and views[stale_bid.hash].maker_counter == 1
    assert {v.signed.hash for v in book.open()} == {open_ask.hash, class_bid.hash}
    assert {v.signed.hash for v in book.views(maker=seller1.address)} == {open_ask.hash, cancelled_ask.hash}
    fill(suite.client(1), class_bid, claim_id=ids[4])
    assert book.views(maker=buyer.address)[0].status is OfferStatus.FILLED
    from pyclaims.offers import sign_order

    foreign = sign_order(open_ask.order, seller1.signer, market=suite.deployment.token, chain_id=31337)
    with pytest.raises(ValueError, match="signed for chain"):
        book.add(foreign)
    book.remove(open_ask.hash)
    assert open_ask.hash not in {s.hash for s in book}
