"""Threats table, "Contracts": the distribution rows.

rounding in pro-rata payouts, double payout, transfer between record date and payment, disputed release by the
wrong role, unbounded loops.

The rounding rule under test (docs/DESIGN.md, IClaimDistributor): each (round, claim) is owed
``floor(amount * rateDelta / 1e6)`` of its amount of record; the round pulls ``ceil(totalAllowed * rateDelta / 1e6)``.
So the sum owed never exceeds the funding, and the dust of a round (funding minus the sum owed) is the ceiling of
the fractions the floors dropped: at most the number of claims in the class, in base units. (DESIGN.md and the
NatSpec say "below" the number of claims; that is off by one: one claim of 1 base unit at 50% leaves 1 unit of
dust, see ``test_threat_rounding_dust_can_reach_the_claim_count``.) Dust stays in the distributor; withheld money
is never counted as dust.
"""

from __future__ import annotations

from itertools import count

import pytest
from eth_utils import keccak

USD = 1_000_000
RATE_SCALE = 1_000_000
ALLOWED, DISPUTED, EXPUNGED = 0, 1, 2
SMALL_CLASS, LARGE_CLASS = 3, 4
_refs = count(1)


def _owed(amount: int, rate_delta: int) -> int:
    return amount * rate_delta // RATE_SCALE


def _funding(total: int, rate_delta: int) -> int:
    return -(-total * rate_delta // RATE_SCALE)


def _round(suite, round_id: int) -> dict[str, int]:
    r = suite.distributor.roundOf(round_id)
    return {
        "funded": int(r.funded),
        "returned": int(r.returned),
        "totalAllowed": int(r.totalAllowed),
        "disputedAllowed": int(r.disputedAllowed),
        "rateDelta": int(r.rateDelta),
    }


def _mint_many(suite, holder, class_id: int, amounts: list[int]) -> list[int]:
    """Mints one claim per amount (validator, mintBatch in chunks of 100); returns the ids."""
    first = int(suite.token.claimCount()) + 1
    for start in range(0, len(amounts), 100):
        chunk = amounts[start : start + 100]
        reqs = [
            (keccak(text=f"bulk:{next(_refs)}:{class_id}"), class_id, holder.address, a, ALLOWED, b"\x00" * 32)
            for a in chunk
        ]
        suite.token.mintBatch(reqs, sender=suite.validator)
    return list(range(first, first + len(amounts)))


# ================================================================== rounding in pro-rata payouts
def test_threat_rounding_nobody_paid_above_the_exact_share_and_dust_is_bounded(
    suite, trust, seller, stranger, buyer, buyer2, validator
):
    suite.token.defineClass(SMALL_CLASS, 1, sender=validator)
    holders = [seller, stranger, buyer, buyer2, seller]
    amounts = [1_000_001, 2_333_333, 7, 999_999_999, 123_456_789]
    claims = [suite.mint(h, a, class_id=SMALL_CLASS) for h, a in zip(holders, amounts, strict=True)]
    dust_so_far = 0
    for round_id, (cumulative, delta) in enumerate(((123_457, 123_457), (400_001, 276_544)), start=1):
        trust_before = suite.balance(trust)
        suite.distributor.declareRound(SMALL_CLASS, cumulative, sender=trust)
        owed = [_owed(a, delta) for a in amounts]
        funded = _funding(sum(amounts), delta)
        r = _round(suite, round_id)
        assert (r["rateDelta"], r["totalAllowed"], r["funded"]) == (delta, sum(amounts), funded)
        assert suite.balance(trust) == trust_before - funded
        assert sum(owed) <= funded
        dust = funded - sum(owed)
        assert 0 <= dust <= len(claims)
        assert dust == -(-sum(a * delta % RATE_SCALE for a in amounts) // RATE_SCALE)  # ceil of the lost fractions
        for claim, share in zip(claims, owed, strict=True):
            assert suite.distributor.amountDue(round_id, claim, 0) == share
        before = {h.address: suite.balance(h) for h in holders}
        receipt = suite.distributor.payoutBatch(round_id, claims, [0] * len(claims), sender=stranger)
        paid = [int(e.amount) for e in receipt.decode_logs(suite.distributor.PayoutMade)]
        gained: dict[str, int] = {}
        for holder, share in zip(holders, owed, strict=True):
            gained[holder.address] = gained.get(holder.address, 0) + share
        assert {a: suite.balance(a) - b for a, b in before.items()} == gained  # exactly the share, nobody more
        assert paid == owed
        assert sum(paid) <= funded
        dust_so_far += dust
        assert suite.balance(suite.distributor) == dust_so_far  # only dust is left, and it stays


def test_threat_rounding_tiny_claims_get_zero_and_the_dust_is_bounded_by_the_claim_count(
    suite, trust, seller, stranger, validator
):
    suite.token.defineClass(SMALL_CLASS, 1, sender=validator)
    claims = [suite.mint(seller, 1, class_id=SMALL_CLASS) for _ in range(3)]
    suite.distributor.declareRound(SMALL_CLASS, 500_000, sender=trust)
    assert _round(suite, 1)["funded"] == 2  # ceil(3 * 0.5)
    seller_before = suite.balance(seller)
    receipt = suite.distributor.payout(1, claims[0], 0, sender=stranger)
    [made] = receipt.decode_logs(suite.distributor.PayoutMade)
    assert (made.claimId, made.holder, made.amount) == (claims[0], seller.address, 0)
    suite.distributor.payoutBatch(1, claims[1:], [0, 0], sender=stranger)
    assert suite.balance(seller) == seller_before
    assert all(suite.distributor.isSettled(1, c) for c in claims)
    assert suite.balance(suite.distributor) == 2 < len(claims)


def test_threat_rounding_dust_can_reach_the_claim_count(suite, trust, seller, stranger, validator):
    """The tight bound: a single claim of 1 base unit at 50% owes 0 and funds 1, so dust == claim count."""
    suite.token.defineClass(SMALL_CLASS, 1, sender=validator)
    claim = suite.mint(seller, 1, class_id=SMALL_CLASS)
    suite.distributor.declareRound(SMALL_CLASS, 500_000, sender=trust)
    assert _round(suite, 1)["funded"] == 1
    assert suite.distributor.amountDue(1, claim, 0) == 0
    suite.distributor.payout(1, claim, 0, sender=stranger)
    assert suite.balance(suite.distributor) == 1 == suite.token.classOf(SMALL_CLASS).claimCount


def test_threat_rounding_withheld_money_is_not_dust(suite, trust, seller, stranger, validator):
    suite.token.defineClass(SMALL_CLASS, 1, sender=validator)
    allowed = [suite.mint(seller, 333_333, class_id=SMALL_CLASS) for _ in range(2)]
    disputed = suite.mint(stranger, 777_777, class_id=SMALL_CLASS, status=DISPUTED)
    suite.distributor.declareRound(SMALL_CLASS, 333_333, sender=trust)
    r = _round(suite, 1)
    assert r["disputedAllowed"] == 777_777
    suite.distributor.payoutBatch(1, [*allowed, disputed], [0, 0, 0], sender=stranger)
    withheld = _owed(777_777, 333_333)
    dust = r["funded"] - 2 * _owed(333_333, 333_333) - withheld
    assert dust == 3  # fractions .888889 + .888889 + .740740 lost, rounded up: as many base units as claims
    assert suite.balance(suite.distributor) == withheld + dust
    assert suite.distributor.amountDue(1, disputed, 0) == withheld
    assert not suite.distributor.isSettled(1, disputed)


# ================================================================== double payout
def test_threat_double_payout_same_round_and_claim_pays_once(suite, reverts, trust, seller, stranger):
    claim = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 720_000, sender=trust)
    seller_before = suite.balance(seller)
    suite.distributor.payout(1, claim, 0, sender=stranger)
    assert suite.balance(seller) == seller_before + 72 * USD
    assert suite.distributor.amountDue(1, claim, 0) == 0
    before = (suite.balance(seller), suite.balance(suite.distributor), _round(suite, 1))
    for caller in (stranger, seller, trust):
        with reverts(suite.distributor.ClaimDistributorAlreadySettled, roundId=1, claimId=claim):
            suite.distributor.payout(1, claim, 0, sender=caller)
    receipt = suite.distributor.payoutBatch(1, [claim, claim], [0, 0], sender=stranger)
    assert [(e.claimId, e.reason) for e in receipt.decode_logs(suite.distributor.PayoutSkipped)] == [
        (claim, 2),
        (claim, 2),
    ]
    assert (suite.balance(seller), suite.balance(suite.distributor), _round(suite, 1)) == before


def test_threat_double_payout_batch_with_a_claim_twice_pays_it_once(suite, reverts, trust, seller, stranger):
    claim = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    seller_before = suite.balance(seller)
    receipt = suite.distributor.payoutBatch(1, [claim, claim], [0, 0], sender=stranger)
    assert [(e.claimId, e.amount) for e in receipt.decode_logs(suite.distributor.PayoutMade)] == [(claim, 50 * USD)]
    assert [(e.claimId, e.reason) for e in receipt.decode_logs(suite.distributor.PayoutSkipped)] == [(claim, 2)]
    assert suite.balance(seller) == seller_before + 50 * USD
    with reverts(suite.distributor.ClaimDistributorAlreadySettled, roundId=1, claimId=claim):
        suite.distributor.payout(1, claim, 0, sender=stranger)


def test_threat_double_payout_a_transfer_never_makes_a_paid_claim_payable_again(
    suite, reverts, trust, seller, buyer, resolver
):
    claim = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    suite.distributor.payout(1, claim, 0, sender=seller)
    ask = suite.ask(seller, claim, 40 * USD)
    suite.fill_ask(ask, buyer)  # the claim changes hands after its round-1 payout
    before = (suite.balance(buyer), suite.balance(seller), suite.balance(suite.distributor))
    with reverts(suite.distributor.ClaimDistributorAlreadySettled, roundId=1, claimId=claim):
        suite.distributor.payout(1, claim, 0, sender=buyer)
    # Not through the resolver's path either.
    with reverts(suite.distributor.ClaimDistributorAlreadySettled, roundId=1, claimId=claim):
        suite.distributor.release(1, claim, 0, sender=resolver)
    assert (suite.balance(buyer), suite.balance(seller), suite.balance(suite.distributor)) == before


# ================================================================== transfer between record date and payment
def test_threat_record_date_transfer_holder_of_record_is_paid_buyer_only_later_rounds(
    suite, reverts, trust, seller, buyer, stranger
):
    claim = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 720_000, sender=trust)  # record date of round 1: the seller holds it
    suite.fill_ask(suite.ask(seller, claim, 80 * USD), buyer)  # sold before anyone triggered the payout
    assert suite.token.recordCount(claim) == 1
    suite.distributor.declareRound(1, 900_000, sender=trust)  # round 2: the buyer holds it
    seller_before, buyer_before = suite.balance(seller), suite.balance(buyer)
    # The round-1 share goes to the seller, whoever triggers it (the buyer here).
    receipt = suite.distributor.payout(1, claim, 0, sender=buyer)
    [made] = receipt.decode_logs(suite.distributor.PayoutMade)
    assert (made.holder, made.amount) == (seller.address, 72 * USD)
    assert suite.balance(seller) == seller_before + 72 * USD
    assert suite.balance(buyer) == buyer_before
    suite.distributor.payout(2, claim, 0, sender=stranger)
    assert suite.balance(buyer) == buyer_before + 18 * USD
    assert suite.balance(seller) == seller_before + 72 * USD


def test_threat_record_date_transfer_many_trades_between_rounds_write_one_record(
    suite, trust, seller, buyer, buyer2, stranger
):
    claim = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    suite.token.transferFrom(seller, buyer, claim, sender=seller)
    suite.token.transferFrom(buyer, buyer2, claim, sender=buyer)
    suite.token.transferFrom(buyer2, stranger, claim, sender=buyer2)
    assert suite.token.recordCount(claim) == 1
    record = suite.token.recordOf(claim, 0)
    assert (record.holder, record.fromEpoch, record.toEpoch) == (seller.address, 0, 1)
    before = {w.address: suite.balance(w) for w in (seller, buyer, buyer2, stranger)}
    suite.distributor.payout(1, claim, 0, sender=stranger)
    assert {a: suite.balance(a) - b for a, b in before.items()} == {
        seller.address: 50 * USD,
        buyer.address: 0,
        buyer2.address: 0,
        stranger.address: 0,
    }


def test_threat_record_date_transfer_amount_of_record_and_hints(
    suite, reverts, trust, seller, buyer, validator, stranger
):
    claim = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    suite.token.amendAmount(claim, 40 * USD, sender=validator)  # amended after the record date of round 1
    suite.token.transferFrom(seller, buyer, claim, sender=seller)
    assert suite.token.recordCount(claim) == 1  # one record: round 1's (holder, amount) before both changes
    suite.distributor.declareRound(1, 750_000, sender=trust)
    with reverts(suite.token.ClaimTokenBadRecordHint, claimId=claim, roundId=1, hint=5):
        suite.distributor.payout(1, claim, 5, sender=stranger)
    seller_before, buyer_before = suite.balance(seller), suite.balance(buyer)
    suite.distributor.payout(1, claim, 0, sender=stranger)
    suite.distributor.payout(2, claim, 0, sender=stranger)
    assert suite.balance(seller) == seller_before + 50 * USD  # 50% of the 100 of record
    assert suite.balance(buyer) == buyer_before + 10 * USD  # 25% of the amended 40


def test_threat_record_date_transfer_claim_minted_after_a_round_is_not_paid_for_it(
    suite, reverts, trust, seller, stranger
):
    early = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    late = suite.mint(seller, 100 * USD)
    assert _round(suite, 1)["funded"] == 50 * USD  # the late claim was not funded ...
    with reverts(suite.token.ClaimTokenNotOfRecord, claimId=late, roundId=1):
        suite.distributor.payout(1, late, 0, sender=stranger)  # ... and is not paid
    suite.distributor.payout(1, early, 0, sender=stranger)
    assert suite.balance(suite.distributor) == 0


# ================================================================== disputed release by the wrong role
@pytest.fixture
def withheld(suite, trust, seller, stranger):
    """Round 1 of class 1 with one allowed claim (seller, 100) and one disputed claim (stranger, 200), 50%."""
    allowed = suite.mint(seller, 100 * USD)
    disputed = suite.mint(stranger, 200 * USD, status=DISPUTED)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    return allowed, disputed


def test_threat_disputed_release_wrong_role_only_the_resolver_releases(
    suite, reverts, withheld, owner, trust, pauser, validator, verifier, compliance, recovery, stranger, resolver
):
    _, disputed = withheld
    with reverts(suite.distributor.ClaimDistributorWithheld, roundId=1, claimId=disputed):
        suite.distributor.payout(1, disputed, 0, sender=stranger)
    suite.token.setStatus(disputed, ALLOWED, sender=validator)  # resolved in the creditor's favour
    role = suite.token.RESOLVER_ROLE()
    before = (suite.balance(stranger), suite.balance(suite.distributor))
    for intruder in (owner, trust, pauser, validator, verifier, compliance, recovery, stranger):
        with reverts(suite.distributor.ClaimDistributorUnauthorized, caller=intruder, role=role):
            suite.distributor.release(1, disputed, 0, sender=intruder)
        with reverts(suite.distributor.ClaimDistributorUnauthorized, caller=intruder, role=role):
            suite.distributor.returnWithheld(1, disputed, 0, sender=intruder)
    # Still withheld from the ordinary path, even now that the claim is allowed: the record says disputed.
    with reverts(suite.distributor.ClaimDistributorWithheld, roundId=1, claimId=disputed):
        suite.distributor.payout(1, disputed, 0, sender=stranger)
    assert (suite.balance(stranger), suite.balance(suite.distributor)) == before
    suite.distributor.release(1, disputed, 0, sender=resolver)
    assert suite.balance(stranger) == before[0] + 100 * USD
    assert suite.distributor.isSettled(1, disputed)


def test_threat_disputed_release_wrong_role_resolver_cannot_release_unresolved_or_expunged(
    suite, reverts, withheld, resolver, validator, trust
):
    _, disputed = withheld
    with reverts(suite.distributor.ClaimDistributorNotResolved, claimId=disputed, status=DISPUTED):
        suite.distributor.release(1, disputed, 0, sender=resolver)
    with reverts(suite.distributor.ClaimDistributorNotResolved, claimId=disputed, status=DISPUTED):
        suite.distributor.returnWithheld(1, disputed, 0, sender=resolver)
    suite.token.setStatus(disputed, EXPUNGED, sender=validator)
    with reverts(suite.distributor.ClaimDistributorNotResolved, claimId=disputed, status=EXPUNGED):
        suite.distributor.release(1, disputed, 0, sender=resolver)
    trust_before = suite.balance(trust)
    suite.distributor.returnWithheld(1, disputed, 0, sender=resolver)
    assert suite.balance(trust) == trust_before + 100 * USD  # back to the round's funder, nowhere else
    assert _round(suite, 1)["returned"] == 100 * USD


def test_threat_disputed_release_wrong_role_withheld_is_never_swept(suite, withheld, stranger):
    allowed, disputed = withheld
    receipt = suite.distributor.payoutBatch(1, [allowed, disputed], [0, 0], sender=stranger)
    assert [(e.claimId, e.reason) for e in receipt.decode_logs(suite.distributor.PayoutSkipped)] == [(disputed, 1)]
    assert suite.balance(suite.distributor) == 100 * USD  # exactly the withheld share, no dust at 50%
    # The distributor has no function that moves money anywhere but to a holder of record or back to the funder.
    mutating = {abi.name for abi in suite.distributor.contract_type.mutable_methods}
    assert mutating == {"declareRound", "payout", "payoutBatch", "release", "returnWithheld"}


def test_threat_disputed_release_wrong_role_release_pays_the_holder_of_record(
    suite, withheld, validator, stranger, buyer, resolver
):
    _, disputed = withheld
    suite.token.setStatus(disputed, ALLOWED, sender=validator)
    suite.fill_ask(suite.ask(stranger, disputed, 150 * USD), buyer)  # sold once the dispute was resolved
    stranger_before, buyer_before = suite.balance(stranger), suite.balance(buyer)
    suite.distributor.release(1, disputed, 0, sender=resolver)
    assert suite.balance(stranger) == stranger_before + 100 * USD
    assert suite.balance(buyer) == buyer_before


# ================================================================== unbounded loops
@pytest.fixture
def classes_10_and_300(suite, validator, seller, trust):
    """A class of 10 claims and a class of 300, all held by the seller (who already holds stablecoin), and one
    warm-up round on class 1 so that both measured rounds start from the same storage state."""
    suite.token.defineClass(SMALL_CLASS, 1, sender=validator)
    suite.token.defineClass(LARGE_CLASS, 1, sender=validator)
    small = _mint_many(suite, seller, SMALL_CLASS, [100 * USD + i for i in range(10)])
    large = _mint_many(suite, seller, LARGE_CLASS, [100 * USD + i for i in range(300)])
    suite.mint(seller, 1 * USD)
    suite.distributor.declareRound(1, 100_000, sender=trust)
    return small, large


def test_threat_unbounded_loops_declare_round_gas_is_flat_in_the_number_of_claims(suite, classes_10_and_300, trust):
    gas_small = suite.distributor.declareRound(SMALL_CLASS, 720_000, sender=trust).gas_used
    gas_large = suite.distributor.declareRound(LARGE_CLASS, 720_000, sender=trust).gas_used
    assert _round(suite, 3)["totalAllowed"] == sum(100 * USD + i for i in range(300))
    assert abs(gas_large - gas_small) <= 100, (gas_small, gas_large)


def test_threat_unbounded_loops_payout_gas_is_flat_in_the_number_of_claims(suite, classes_10_and_300, trust, stranger):
    small, large = classes_10_and_300
    suite.distributor.declareRound(SMALL_CLASS, 720_000, sender=trust)  # round 2
    suite.distributor.declareRound(LARGE_CLASS, 720_000, sender=trust)  # round 3
    # Like for like: the first and the second payout of each round in one settled-bit word (the first writes the
    # word from zero, about 17k gas more). The large class's last claims sit in a later word than the small's.
    assert large[-1] >> 8 == large[-2] >> 8 != small[0] >> 8  # settled bits live in 256-claim words
    first_small = suite.distributor.payout(2, small[0], 0, sender=stranger).gas_used
    first_large = suite.distributor.payout(3, large[-1], 0, sender=stranger).gas_used
    second_small = suite.distributor.payout(2, small[-1], 0, sender=stranger).gas_used
    second_large = suite.distributor.payout(3, large[-2], 0, sender=stranger).gas_used
    assert abs(first_large - first_small) <= 100, (first_small, first_large)
    assert abs(second_large - second_small) <= 100, (second_small, second_large)
    # Batches cost per claim paid, not per claim in the class.
    batch_small = suite.distributor.payoutBatch(2, small[1:9], [0] * 8, sender=stranger).gas_used
    batch_large = suite.distributor.payoutBatch(3, large[-10:-2], [0] * 8, sender=stranger).gas_used
    assert abs(batch_large - batch_small) <= 200, (batch_small, batch_large)
