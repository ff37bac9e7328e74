"""Distribution rounds on anvil: planning (ceil funding, floor shares, dust bound), batched payouts exactly once
through lost replies, crashes and a node restart, holders of record across transfers, dispute resolution, and
reconciliation to the base unit after a scripted lifecycle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from anvil import Anvil, FaultyHTTPProvider, dev_account
from sdk_suite import RESTRICTED_COUNTRY, Suite, deploy
from web3 import Web3

from pyclaims import errors
from pyclaims.client import Client
from pyclaims.distributions import declare, pay_round, plan_round, reconcile, resolve
from pyclaims.errors import ReconciliationError
from pyclaims.models import PayoutKind
from pyclaims.tx import Journal, SendUncertainError
from pyclaims.types import ClaimStatus

pytestmark = pytest.mark.slow

USD = 1_000_000
DISPUTED_HOLDER = 5


class Crash(BaseException):
    """The client process dies."""


def setup_claims(suite: Suite, count: int = 30) -> list[int]:
    """Claims in class 1 with awkward amounts (so shares round), a few disputed (restricted holder)."""
    suite.onboard(1, 2, 3, 4)
    suite.onboard(DISPUTED_HOLDER, country=RESTRICTED_COUNTRY)
    suite.admin.set_restricted([RESTRICTED_COUNTRY])
    suite.fund(0, amount=10_000_000 * USD)
    suite.define_classes(1, 2)
    requests_ = []
    for i in range(count):
        holder = (1, 2, 3, 4, DISPUTED_HOLDER)[i % 5]
        status = ClaimStatus.Disputed if holder == DISPUTED_HOLDER else ClaimStatus.Allowed
        request = suite.request(f"d{i}", holder, 1, status=status)
        requests_.append(
            type(request)(request.claim_ref, 1, request.holder, 1_000_003 + i * 7_777_777, status, request.evidence)
        )
    requests_.append(suite.request("other-class", 1, 77, class_id=2))
    ids = suite.mint(requests_)
    return ids[:-1]


def payout_events(suite: Suite) -> Counter[tuple[int, int]]:
    events = suite.admin.events("ClaimDistributor", "PayoutMade") + suite.admin.events(
        "ClaimDistributor", "PayoutReleased"
    )
    return Counter((int(e.args["roundId"]), int(e.args["claimId"])) for e in events)


@pytest.fixture
def suite() -> Iterator[Suite]:
    with Anvil() as node:
        yield deploy(node)


def test_plan_declare_pay_resolve_reconcile(suite: Suite, tmp_path: Path) -> None:
    admin = suite.admin
    ids = setup_claims(suite)
    plan = plan_round(admin, 1, 123_457)
    assert plan.claim_count == 30 and plan.rate_delta == 123_457
    assert plan.funding == -(-plan.total_allowed * 123_457 // 1_000_000)
    assert plan.payable + plan.disputed_reserve + plan.dust == plan.funding
    assert 0 < plan.dust <= plan.claim_count  # the amounts were chosen to leave dust
    assert plan.disputed_reserve == sum(s.share for s in plan.claims if s.withheld) > 0
    with pytest.raises(ValueError, match="must exceed"):
        plan_round(admin, 1, 0)
    declared = declare(admin, plan)
    assert declared.round.funded == plan.funding and declared.round_id == 1

    before = reconcile(admin, 1).rounds[0]
    assert before.balanced and before.owed == plan.payable and before.withheld == plan.disputed_reserve
    assert before.dust == plan.dust and before.paid == 0

    seen: list[tuple[int, int]] = []
    report = pay_round(
        admin, 1, journal_path=tmp_path / "r1.jsonl", batch_size=7, window=2, progress=lambda d, t: seen.append((d, t))
    )
    assert report.ok and report.transactions == 5  # 30 claims of record in chunks of 7
    assert report.amount_paid == plan.payable
    assert sorted(report.withheld) == sorted(s.claim_id for s in plan.claims if s.withheld)
    assert seen[-1] == (30, 30)
    for record in report.paid:
        share = next(s for s in plan.claims if s.claim_id == record.claim_id)
        assert (record.kind, record.recipient, record.amount) == (PayoutKind.PAID, share.holder, share.share)
    again = pay_round(admin, 1, journal_path=tmp_path / "r1.jsonl")
    assert again.transactions == 0 and not again.paid

    # Between rounds: claims change hands and amounts; the old holders stay holders of record for round 1.
    suite.client(1).transfer_claim(ids[0], dev_account(2).address)
    admin.amend_amount(ids[1], 999_999_999)
    admin.set_status(ids[2], ClaimStatus.Disputed)
    plan2 = plan_round(admin, 1, 400_000)
    declare(admin, plan2)
    assert plan2.rate_delta == 400_000 - 123_457
    r2 = pay_round(admin, 2, journal_path=tmp_path / "r2.jsonl", batch_size=10)
    by_claim = {p.claim_id: p for p in r2.paid}
    assert by_claim[ids[0]].recipient == dev_account(2).address  # the new holder, for the new round
    assert by_claim[ids[1]].amount == 999_999_999 * plan2.rate_delta // 1_000_000
    assert ids[2] in r2.withheld

    # Disputes resolved: one released in every round, one expunged and returned to the funder.
    disputed = [s.claim_id for s in plan.claims if s.withheld]
    released = resolve(admin, disputed[0], allow=True)
    assert [(r.round_id, r.kind) for r in released] == [(1, "released"), (2, "released")]
    assert all(r.recipient == dev_account(DISPUTED_HOLDER).address for r in released)
    funder_before = admin.stablecoin_balance(admin.address)
    returned = resolve(admin, disputed[1], allow=False)
    assert [(r.round_id, r.kind) for r in returned] == [(1, "returned"), (2, "returned")]
    assert admin.stablecoin_balance(admin.address) - funder_before == sum(r.amount for r in returned)
    with pytest.raises(errors.ClaimDistributorAlreadySettled):
        admin.release(1, disputed[0])

    books = reconcile(admin)
    assert books.balanced, books.as_dict()
    assert [b.round.round_id for b in books.rounds] == [1, 2]
    for b in books.rounds:
        assert b.funded == b.paid + b.returned + b.owed + b.withheld + b.dust
        assert 0 <= b.dust <= b.claims
    assert books.rounds[0].returned == returned[0].amount and books.rounds[0].owed == 0
    assert books.distributor_balance == books.held_for_rounds == sum(b.owed + b.withheld + b.dust for b in books.rounds)
    assert set(payout_events(suite).values()) == {1}  # one payout per (round, claim)

    # Stablecoin sent to the distributor outside any round is caught.
    admin.transfer_stablecoin(suite.deployment.distributor, 1)
    off = reconcile(admin)
    assert not off.balanced and off.unexplained == 1
    with pytest.raises(ReconciliationError):
        off.raise_if_unbalanced()


def test_lost_replies_and_a_crash_mid_payout_resume_exactly_once(suite: Suite, tmp_path: Path) -> None:
    setup_claims(suite, count=40)
    declare(suite.admin, plan_round(suite.admin, 1, 250_000))
    journal = tmp_path / "pay.jsonl"
    payer = 3  # anyone may pay

    def crash_at(count: int) -> None:
        if count == 2:
            raise Crash

    faulty = FaultyHTTPProvider(suite.node.url, faults=1, after_forward=crash_at)
    client = Client.connect(Web3(faulty), suite.deployment, account=dev_account(payer))
    with pytest.raises(Crash):
        pay_round(client, 1, journal_path=journal, batch_size=5, window=2)
    assert faulty.injected == 1
    paid_so_far = payout_events(suite)
    assert 0 < len(paid_so_far) < 32
    fresh = Client.connect(suite.node.url, suite.deployment, account=dev_account(payer))
    report = pay_round(fresh, 1, journal_path=journal, batch_size=5, window=2)
    assert report.ok
    events = payout_events(suite)
    assert len(events) == 32 and set(events.values()) == {1}  # 40 claims, 8 disputed
    assert reconcile(fresh, 1).balanced


def test_node_restart_mid_payout_exactly_once(tmp_path: Path) -> None:
    node = Anvil(state_path=tmp_path / "state.json", state_interval=3600)
    node.start()
    try:
        suite = deploy(node)
        setup_claims(suite, count=25)
        declare(suite.admin, plan_round(suite.admin, 1, 300_000))
        node.stop()
        node.start()

        def kill_after(count: int) -> None:
            if count == 2:
                node.kill()

        client = Client.connect(
            Web3(FaultyHTTPProvider(node.url, after_forward=kill_after)), suite.deployment, account=dev_account(0)
        )
        with pytest.raises((SendUncertainError, requests.ConnectionError)):
            pay_round(client, 1, journal_path=tmp_path / "pay.jsonl", batch_size=4, window=2)
        node.start()
        fresh = Client.connect(node.url, suite.deployment, account=dev_account(0))
        report = pay_round(fresh, 1, journal_path=tmp_path / "pay.jsonl", batch_size=4, window=2)
        assert report.ok
        events = payout_events(suite)
        assert len(events) == 20 and set(events.values()) == {1}
        assert reconcile(fresh).balanced
    finally:
        node.kill()


def test_dust_can_reach_the_claim_count(suite: Suite, tmp_path: Path) -> None:
    """One claim of 1 base unit at 50 %: funded ceil(0.5) = 1, owed floor(0.5) = 0, dust 1 = the claim count."""
    suite.onboard(1)
    suite.fund(0)
    suite.define_classes(3)
    request = suite.request("tiny", 1, 1, class_id=3)
    claim_id = suite.admin.mint(
        type(request)(request.claim_ref, 3, request.holder, 1, request.status, request.evidence)
    ).claim_id
    plan = plan_round(suite.admin, 3, 500_000)
    assert (plan.funding, plan.payable, plan.dust, plan.claim_count) == (1, 0, 1, 1)
    declare(suite.admin, plan)
    report = pay_round(suite.admin, 1, journal_path=tmp_path / "tiny.jsonl")
    assert [p.amount for p in report.paid] == [0]  # a zero payout still settles the (round, claim)
    with Journal(tmp_path / "tiny.jsonl") as journal:
        assert f"payout:1:{claim_id}" in journal.op_ids()  # one claim: the per-(round, claim) op id
    books = reconcile(suite.admin)
    assert books.balanced and books.rounds[0].dust == 1 and books.distributor_balance == 1
