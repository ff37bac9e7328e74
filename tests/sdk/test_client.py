"""The typed client on anvil: the checks before any signature, every operation, every revert decoded.

Each test gets a fresh anvil with a suite deployed by the SDK itself (``sdk_suite.deploy``); dev account 0
holds every role and owns MockUSDC.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import coincurve
import pytest
from anvil import Anvil, dev_account
from eth_account.signers.local import LocalAccount
from sdk_suite import FAR_FUTURE, RESTRICTED_COUNTRY, US, Suite, deploy, ref

from pyclaims import errors, offers
from pyclaims.client import Client, sign_attestation, sign_validation
from pyclaims.deployments import Deployment
from pyclaims.eip712 import LocalSigner
from pyclaims.errors import ContractError, DeploymentError, PyclaimsError
from pyclaims.models import FLAG_ACCREDITED, MintRequest, PayoutKind
from pyclaims.tx import WrongChainError, WrongCodeError
from pyclaims.types import BaseUnits, ClaimStatus

pytestmark = pytest.mark.slow

USD = 1_000_000


@pytest.fixture
def suite() -> Iterator[Suite]:
    with Anvil() as node:
        yield deploy(node)


def _no_signing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every signing path record and fail: proves nothing was signed."""
    calls: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append("signed")
        raise AssertionError("something was signed")

    monkeypatch.setattr(LocalAccount, "sign_transaction", refuse)
    monkeypatch.setattr(LocalSigner, "sign_digest", refuse)
    # The sender's fast path signs with libsecp256k1 directly: refuse there too.
    monkeypatch.setattr(coincurve.PrivateKey, "sign_recoverable", refuse)
    monkeypatch.setattr(coincurve.PrivateKey, "sign", refuse)
    return calls


# ------------------------------------------------------------------------------------------------ connect checks


def test_wrong_chain_id_is_refused_before_any_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    with Anvil(chain_id=4242) as other, Anvil() as node:
        suite = deploy(other)  # recorded for chain 4242
        calls = _no_signing(monkeypatch)
        with pytest.raises(WrongChainError) as info:
            Client.connect(node.url, suite.deployment, account=dev_account(0))
        assert (info.value.expected, info.value.actual) == (4242, 31337)
        assert calls == []
        assert node.web3().eth.get_transaction_count(dev_account(0).address) == 0


def test_wrong_code_is_refused_by_the_recorded_hash_and_by_the_shipped_code(
    suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = suite.deployment
    Client.connect(suite.w3, d)  # fine as deployed
    other_code = suite.node.rpc("eth_getCode", d.stablecoin, "latest")
    original = suite.node.rpc("eth_getCode", d.market, "latest")
    suite.node.rpc("anvil_setCode", d.market, other_code)
    calls = _no_signing(monkeypatch)
    with pytest.raises(WrongCodeError) as info:
        Client.connect(suite.w3, d, account=dev_account(0))
    assert info.value.address == d.market
    # Without recorded hashes the shipped-code comparison still refuses it...
    bare = dict(d.document)
    bare["contracts"] = {}
    unrecorded = Deployment.from_dict(bare)
    with pytest.raises(WrongCodeError):
        Client.connect(suite.w3, unrecorded, account=dev_account(0))
    assert calls == []
    # ... and a byte-for-byte copy of our market (other immutables are fine) passes it.
    suite.node.rpc("anvil_setCode", d.market, original)
    Client.connect(suite.w3, unrecorded)


def test_wiring_must_match_the_token(suite: Suite) -> None:
    second = deploy_second(suite)
    doc = dict(suite.deployment.to_dict())
    doc["addresses"] = dict(doc["addresses"], market=second.market)
    doc["contracts"] = dict(doc["contracts"], ClaimMarket=second.to_dict()["contracts"]["ClaimMarket"])
    mixed = Deployment.from_dict(doc)
    with pytest.raises(DeploymentError) as info:
        Client.connect(suite.w3, mixed)
    assert info.value.field == "addresses.market"


def deploy_second(suite: Suite) -> Deployment:
    from pyclaims.deployments import deploy_suite
    from pyclaims.tx import TxSender

    return deploy_suite(suite.w3, TxSender(suite.w3, dev_account(7)), stablecoin=suite.deployment.stablecoin)


def test_read_only_client_refuses_to_send(suite: Suite) -> None:
    reader = Client.connect(suite.w3, suite.deployment)
    assert reader.claim_count() == 0
    with pytest.raises(PyclaimsError, match="read-only"):
        reader.define_class(1, 1)


# ------------------------------------------------------------------------------------------------ identity


def test_identity_attest_sign_offline_revoke_and_restrict(suite: Suite) -> None:
    admin = suite.admin
    wallet = dev_account(1).address
    assert not admin.is_eligible(wallet)
    admin.attest(wallet, entity_id=11, country=US, expiry=FAR_FUTURE, flags=FLAG_ACCREDITED)
    a = admin.attestation_of(wallet)
    assert (a.entity_id, a.country, a.expiry, a.flags, a.nonce) == (11, US, FAR_FUTURE, FLAG_ACCREDITED, 1)
    assert a.attested and admin.is_eligible(wallet)

    # A verifier signs offline (deployment only, no connection); a stranger submits.
    other = dev_account(2).address
    signed = sign_attestation(
        suite.deployment,
        dev_account(0),
        wallet=other,
        entity_id=22,
        country=US,
        expiry=FAR_FUTURE,
        nonce=0,
        deadline=FAR_FUTURE,
    )
    stranger = suite.client(5)
    receipt = stranger.attest_by_sig(signed)
    assert receipt.named("Attested")[0].args["wallet"] == other
    assert admin.attestation_of(other).nonce == 1
    with pytest.raises(errors.ClaimTokenInvalidNonce) as replay:
        stranger.attest_by_sig(signed)
    assert (replay.value.wallet, replay.value.expected, replay.value.given) == (other, 1, 0)
    # Signed by a key without VERIFIER_ROLE: the token recovers exactly that signer.
    forged = stranger.sign_attestation(wallet=dev_account(6).address, entity_id=6, country=US, expiry=FAR_FUTURE)
    with pytest.raises(errors.ClaimTokenUnauthorizedSigner) as unauthorized:
        stranger.attest_by_sig(forged)
    assert unauthorized.value.signer == dev_account(5).address
    assert unauthorized.value.role == bytes.fromhex(
        "0ce23c3e399818cfee81a7ab0880f714e53d7672b08df0fa62f2843416e1ea09"
    )  # keccak256("VERIFIER_ROLE")
    expired = sign_attestation(
        suite.deployment,
        dev_account(0),
        wallet=dev_account(6).address,
        entity_id=6,
        country=US,
        expiry=FAR_FUTURE,
        nonce=0,
        deadline=1,
    )
    with pytest.raises(errors.ClaimTokenSignatureExpired):
        stranger.attest_by_sig(expired)
    # Only a verifier attests; only compliance restricts.
    with pytest.raises(errors.AccessControlUnauthorizedAccount) as denied:
        stranger.attest(dev_account(6).address, entity_id=6, country=US, expiry=FAR_FUTURE)
    assert denied.value.account == dev_account(5).address
    with pytest.raises(errors.ClaimTokenInvalidCountry):
        admin.attest(dev_account(6).address, entity_id=6, country=1000, expiry=FAR_FUTURE)
    with pytest.raises(errors.ClaimTokenInvalidExpiry):
        admin.attest(dev_account(6).address, entity_id=6, country=US, expiry=1)

    admin.set_restricted([US])
    assert admin.is_restricted(US) and not admin.is_eligible(wallet)
    admin.set_restricted([US], restricted=False)
    assert admin.is_eligible(wallet)
    admin.revoke(wallet)
    revoked = admin.attestation_of(wallet)
    assert not revoked.attested and revoked.entity_id == 11 and revoked.nonce == 2
    with pytest.raises(errors.ClaimTokenNotAttested) as again:
        admin.revoke(wallet)
    assert again.value.wallet == wallet


# ------------------------------------------------------------------------------------------------ claims


def test_classes_and_claims(suite: Suite) -> None:
    admin = suite.admin
    suite.onboard(1, 2)
    suite.onboard(3, country=RESTRICTED_COUNTRY)
    admin.set_restricted([RESTRICTED_COUNTRY])
    admin.define_class(1, 1)
    with pytest.raises(errors.ClaimTokenClassExists) as exists:
        admin.define_class(1, 1)
    assert exists.value.class_id == 1
    with pytest.raises(errors.ClaimTokenInvalidClass):
        admin.define_class(0, 1)

    one = admin.mint(suite.request("c-1", 1, 100))
    assert one.claim_id == 1 and one.claim_refs == (ref("c-1"),)
    batch = admin.mint_batch([suite.request("c-2", 2, 200), suite.request("c-3", 3, 300, status=ClaimStatus.Disputed)])
    assert batch.claim_ids == (2, 3)
    assert admin.claim_id_of(ref("c-3")) == 3 and admin.claim_ids_of([ref("c-1"), ref("none")]) == [1, 0]
    claim = admin.claim_of(2)
    assert (claim.holder, claim.class_id, claim.estate_id, claim.amount, claim.status) == (
        dev_account(2).address,
        1,
        1,
        200 * USD,
        ClaimStatus.Allowed,
    )
    assert claim.evidence == ref("evidence c-2")
    totals = admin.class_of(1)
    assert (totals.claim_count, totals.total_allowed, totals.disputed_allowed) == (3, 600 * USD, 300 * USD)
    assert (
        admin.claim_count() == 3 and admin.amount_of(3) == 300 * USD and admin.balance_of(dev_account(2).address) == 1
    )

    with pytest.raises(errors.ClaimTokenClaimExists) as dup:
        admin.mint(suite.request("c-1", 1, 5))
    assert (dup.value.claim_ref, dup.value.claim_id) == (ref("c-1"), 1)
    with pytest.raises(errors.ClaimTokenJurisdictionRestricted) as restricted:
        admin.mint(suite.request("c-4", 3, 5))
    assert (restricted.value.wallet, restricted.value.country) == (dev_account(3).address, RESTRICTED_COUNTRY)
    with pytest.raises(errors.ClaimTokenNotAttested):
        admin.mint(suite.request("c-5", 8, 5))
    with pytest.raises(errors.ClaimTokenUnknownClass):
        admin.mint(suite.request("c-6", 1, 5, class_id=9))
    with pytest.raises(errors.ERC721NonexistentToken) as missing:
        admin.claim_of(99)
    assert missing.value.token_id == 99

    # A validator-signed mint submitted by anyone.
    request = suite.request("c-7", 1, 70)
    signed = sign_validation(suite.deployment, dev_account(0), request, deadline=FAR_FUTURE)
    assert suite.client(4).mint_by_sig(signed).claim_id == 4
    with pytest.raises(errors.ClaimTokenUnauthorizedSigner):
        suite.client(4).mint_by_sig(suite.client(4).sign_validation(suite.request("c-8", 1, 1)))

    admin.amend_amount(1, 150 * USD)
    assert admin.class_of(1).total_allowed == (100 + 200 + 300 + 70 - 100 + 150) * USD
    admin.set_status(3, ClaimStatus.Allowed)
    assert admin.class_of(1).disputed_allowed == 0
    admin.set_status(1, ClaimStatus.Expunged)
    with pytest.raises(errors.ClaimTokenClaimExpunged):
        admin.set_status(1, ClaimStatus.Allowed)
    with pytest.raises(errors.ClaimTokenInvalidStatus):
        admin.set_status(2, ClaimStatus.Allowed)

    # Transfers, pause, recovery.
    holder = suite.client(2)
    holder.transfer_claim(2, dev_account(1).address)
    assert admin.owner_of(2) == dev_account(1).address
    admin.pause()
    assert admin.paused()
    with pytest.raises(errors.ClaimTokenPaused):
        suite.client(1).transfer_claim(2, dev_account(2).address)
    admin.unpause()
    with pytest.raises(errors.ClaimTokenNotPaused):
        admin.unpause()
    with pytest.raises(errors.ERC721IncorrectOwner):
        suite.client(2).transfer_claim(2, dev_account(2).address)
    with pytest.raises(errors.ClaimTokenEntityMismatch):
        admin.recover(2, dev_account(2).address)
    suite.onboard(9, entity=101)  # a second wallet of account 1's entity
    admin.recover(2, dev_account(9).address)
    assert admin.owner_of(2) == dev_account(9).address


# ------------------------------------------------------------------------------------------------ market


def _ask(suite: Suite, seller: int, claim_id: int, price: int) -> offers.SignedOrder:
    client = suite.client(seller)
    order = offers.ask(
        maker=client.address,
        claim_id=claim_id,
        price=price,
        expiry=FAR_FUTURE,
        counter=client.counter_of(client.address),
    )
    return client.sign_order(order)


def test_market_fills_escrow_cancel_and_permit(suite: Suite) -> None:
    admin = suite.admin
    suite.onboard(1, 2, 3)
    suite.fund(2, 3)
    admin.define_class(1, 1)
    ids = suite.mint([suite.request(f"m-{i}", 1, 1000) for i in range(6)])
    seller, buyer, bidder = suite.client(1), suite.client(2), suite.client(3)

    # Ask, filled by a buyer who approved.
    signed = _ask(suite, 1, ids[0], 650 * USD)
    assert buyer.hash_order(signed.order) == offers.order_hash(signed.order)
    buyer.approve(suite.deployment.market, 10_000 * USD)
    before = buyer.stablecoin_balance(seller.address)
    record = buyer.fill_ask(signed)
    assert (record.buyer, record.seller, record.claim_id, record.price) == (
        buyer.address,
        seller.address,
        ids[0],
        650 * USD,
    )
    assert record.allowed_amount == 1000 * USD and not record.escrowed and record.gas_used > 0
    assert record.order_hash == signed.hash and record.price_ppm_of_allowed == 650_000
    assert buyer.stablecoin_balance(seller.address) - before == 650 * USD
    assert admin.owner_of(ids[0]) == buyer.address
    assert buyer.order_state(signed.hash).filled_amount == 1
    with pytest.raises(errors.ClaimMarketOrderFilled) as filled:
        buyer.fill_ask(signed)
    assert filled.value.order_hash == signed.hash

    # Ask with a permit instead of an approval.
    permit_buyer = suite.client(3)
    assert permit_buyer.allowance(permit_buyer.address, suite.deployment.market) == 0
    record = permit_buyer.fill_ask_with_permit(_ask(suite, 1, ids[1], 600 * USD))
    assert record.buyer == permit_buyer.address and admin.owner_of(ids[1]) == permit_buyer.address

    # A specific bid, escrowed with a permit, filled by the seller; the deposit pays.
    bid = bidder.sign_order(
        offers.bid_for_claim(maker=bidder.address, claim_id=ids[2], price=700 * USD, expiry=FAR_FUTURE)
    )
    bidder.deposit_with_permit(bid.order, 700 * USD)
    assert bidder.deposit_of(bid.hash).amount == 700 * USD and admin.total_deposits() == 700 * USD
    record = seller.fill_bid(bid, ids[2])
    assert record.escrowed and record.price == 700 * USD and record.seller == seller.address
    assert bidder.deposit_of(bid.hash).amount == 0

    # A class bid, deposited then withdrawn; only the depositor may withdraw.
    cbid = bidder.sign_order(
        offers.class_bid(
            maker=bidder.address, class_id=1, price_per_million=500_000, max_amount=2000 * USD, expiry=FAR_FUTURE
        )
    )
    bidder.approve(suite.deployment.market, 1000 * USD)
    bidder.deposit(cbid.order, 1000 * USD)
    with pytest.raises(errors.ClaimMarketNotDepositor):
        buyer.withdraw(cbid.hash)
    receipt = bidder.withdraw(cbid.hash)
    assert receipt.named("Withdrawn")[0].args["amount"] == 1000 * USD
    with pytest.raises(errors.ClaimMarketOrderCancelled):
        seller.fill_bid(cbid, ids[3])
    with pytest.raises(errors.ClaimMarketNothingToWithdraw):
        bidder.withdraw(cbid.hash)
    # A batch: two asks at once, all or nothing.
    asks = [_ask(suite, 1, ids[3], 500 * USD), _ask(suite, 1, ids[4], 400 * USD)]
    records = buyer.fill_batch([(a, 0) for a in asks])
    assert [r.claim_id for r in records] == [ids[3], ids[4]] and len({r.tx_hash for r in records}) == 1
    with pytest.raises(errors.ClaimMarketEmptyBatch):
        buyer.transact("ClaimMarket", "fillBatch", [])

    # Cancel and counter bump.
    last = _ask(suite, 1, ids[5], 300 * USD)
    with pytest.raises(errors.ClaimMarketNotMaker):
        buyer.cancel([last.order])
    seller.cancel([last.order])
    with pytest.raises(errors.ClaimMarketOrderCancelled):
        buyer.fill_ask(last)
    bumped = _ask(suite, 1, ids[5], 301 * USD)
    seller.increment_counter()
    assert seller.counter_of(seller.address) == 1
    with pytest.raises(errors.ClaimMarketStaleCounter) as stale:
        buyer.fill_ask(bumped)
    assert (stale.value.order_counter, stale.value.maker_counter) == (0, 1)
    # The buyer's allowance is short: the stablecoin's own error comes through the market.
    buyer.approve(suite.deployment.market, 1)
    with pytest.raises(errors.MockUSDCInsufficientAllowance) as short:
        buyer.fill_ask(_ask(suite, 1, ids[5], 299 * USD))
    assert short.value.needed == 299 * USD
    # An offer signed for another market is refused before sending.
    foreign = offers.sign_order(last.order, seller.signer, market=suite.deployment.token, chain_id=31337)
    with pytest.raises(DeploymentError):
        buyer.fill_ask(foreign)


def test_a_mined_failure_is_decoded_with_its_transaction(suite: Suite) -> None:
    suite.onboard(1, 2)
    suite.fund(2)
    suite.admin.define_class(1, 1)
    (claim_id,) = suite.mint([suite.request("x", 1, 10)])
    signed = _ask(suite, 1, claim_id, 5 * USD)
    buyer = suite.client(2)
    buyer.approve(suite.deployment.market, 100 * USD)
    # Two fills of one ask in flight together: both estimate fine, the second fails when mined.
    results = buyer.send_all([buyer.fill_request(signed), buyer.fill_request(signed)])
    assert not isinstance(results[0], Exception)
    failure = results[1]
    assert isinstance(failure, errors.ClaimMarketOrderFilled)
    assert failure.tx_hash is not None and failure.order_hash == signed.hash
    assert suite.w3.eth.get_transaction_receipt(failure.tx_hash)["status"] == 0


# ------------------------------------------------------------------------------------------------ distributions


def test_rounds_payouts_withheld_release_and_return(suite: Suite) -> None:
    admin = suite.admin
    suite.onboard(1, 2, 3)
    suite.fund(0)
    admin.define_class(1, 1)
    ids = suite.mint(
        [
            suite.request("d-1", 1, 100),
            suite.request("d-2", 2, 333),
            suite.request("d-3", 3, 50, status=ClaimStatus.Disputed),
            suite.request("d-4", 3, 70, status=ClaimStatus.Disputed),
        ]
    )
    funding = admin.funding_for(1, 250_000)
    assert funding == -(-(553 * USD) * 250_000 // 1_000_000)
    with pytest.raises(errors.ClaimDistributorUnauthorized):
        suite.client(2).transact("ClaimDistributor", "declareRound", 1, 250_000)
    declared = admin.declare_round(1, 250_000)
    r = declared.round
    assert (r.round_id, r.class_id, r.rate_delta, r.cumulative_rate, r.funded) == (1, 1, 250_000, 250_000, funding)
    assert (r.total_allowed, r.disputed_allowed, r.returned) == (553 * USD, 120 * USD, 0)
    with pytest.raises(errors.ClaimDistributorRateNotIncreasing):
        admin.declare_round(1, 250_000, approve=False)

    paid = suite.client(5).payout(1, ids[0])  # anyone may call; the holder of record is paid
    assert (paid.kind, paid.recipient, paid.amount) == (PayoutKind.PAID, dev_account(1).address, 25 * USD)
    with pytest.raises(errors.ClaimDistributorAlreadySettled):
        admin.payout(1, ids[0])
    with pytest.raises(errors.ClaimDistributorWithheld) as withheld:
        admin.payout(1, ids[2])
    assert (withheld.value.round_id, withheld.value.claim_id) == (1, ids[2])
    # The holder moves between rounds: the old holder is paid for round 1 (hint from the record history).
    suite.client(2).transfer_claim(ids[1], dev_account(1).address)
    assert admin.record_hint(ids[1], 1) == 0 and admin.record_count(ids[1]) == 1
    rec = admin.record_at(ids[1], 1)
    assert rec.holder == dev_account(2).address and rec.amount == 333 * USD
    batch = admin.payout_batch(1, [ids[1], ids[2], ids[0]])
    kinds = [(p.claim_id, p.kind, p.skip_reason) for p in batch]
    assert kinds == [(ids[1], "paid", None), (ids[2], "skipped", 1), (ids[0], "skipped", 2)]
    assert batch[0].recipient == dev_account(2).address and batch[0].amount == 83_250_000
    assert admin.is_settled(1, ids[1]) and admin.settled(1, [ids[2], ids[3]]) == [False, False]
    assert admin.amount_due(1, ids[2]) == 12_500_000

    # Disputes resolved: one released to its holder, one expunged and returned to the funder.
    with pytest.raises(errors.ClaimDistributorNotResolved):
        admin.release(1, ids[2])
    admin.set_status(ids[2], ClaimStatus.Allowed)
    released = admin.release(1, ids[2])
    assert (released.kind, released.recipient, released.amount) == ("released", dev_account(3).address, 12_500_000)
    admin.set_status(ids[3], ClaimStatus.Expunged)
    with pytest.raises(errors.ClaimDistributorUnauthorized):
        suite.client(3).return_withheld(1, ids[3])
    returned = admin.return_withheld(1, ids[3])
    assert (returned.kind, returned.recipient, returned.amount) == ("returned", admin.address, 17_500_000)
    assert admin.round_of(1).returned == 17_500_000
    with pytest.raises(errors.ClaimDistributorUnknownRound):
        admin.round_of(9)
    assert [x.round_id for x in admin.rounds()] == [1]
    assert admin.epoch() == 1 and admin.cumulative_rate_of(1) == 250_000


def test_mint_request_validation() -> None:
    good: dict[str, Any] = {
        "claim_ref": ref("a"),
        "class_id": 1,
        "holder": dev_account(1).address.lower(),
        "amount": BaseUnits(1),
        "status": ClaimStatus.Allowed,
        "evidence": ref("e"),
    }
    assert MintRequest(**good).holder == dev_account(1).address
    for key, value, match in (
        ("claim_ref", bytes(32), "claim_ref"),
        ("class_id", 0, "class_id"),
        ("amount", 0, "amount"),
        ("amount", 2**96, "amount"),
        ("status", ClaimStatus.Expunged, "never Expunged"),
        ("evidence", b"x", "evidence"),
    ):
        with pytest.raises(ValueError, match=match):
            MintRequest(**{**good, key: value})


def test_contract_errors_keep_their_cause(suite: Suite) -> None:
    with pytest.raises(ContractError) as info:
        suite.admin.define_class(0, 1)
    assert isinstance(info.value, errors.ClaimTokenInvalidClass)
    assert info.value.__cause__ is not None  # the TxError it came from (here: gas estimation reverted)


def test_a_burst_overflowing_a_block_still_completes_on_a_local_node(suite: Suite) -> None:
    """anvil's automine puts as many ready transactions in a block as fit and mines the rest only when another
    transaction arrives; the client's senders kick a local node (``evm_mine``) when nothing is mined."""
    suite.onboard(1)
    suite.admin.define_class(1, 1)
    batches = [[suite.request(f"burst-{b}-{i}", 1, 1 + i) for i in range(45)] for b in range(6)]
    txs = [suite.admin.tx_request("ClaimToken", "mintBatch", [r.as_tuple() for r in batch]) for batch in batches]
    results = suite.admin.send_all(txs)  # ~6 M gas each: more than one 30 M block's worth, all at once
    assert all(not isinstance(r, Exception) for r in results)
    blocks = {r.block_number for r in results if not isinstance(r, Exception)}
    assert len(blocks) >= 2  # they did not all fit in one block
    assert suite.admin.claim_count() == 270
