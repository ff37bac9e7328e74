"""Threats table, "Contracts": the settlement-market rows.

cross-chain / cross-contract replay, double fill, cancellation, front-running / griefing, approval race,
malleable signatures, contract wallets (ERC-1271), permit (EIP-2612).

Every revert is asserted as the exact custom error with its values, and every failed attempt is followed by a
check that nothing moved (claim holders, balances, deposits, order states, counters).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.backends.native import ecdsa
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from pyclaims import offers
from pyclaims.eip712 import (
    SECP256K1_N,
    LocalSigner,
    recover,
    struct_hash_attestation,
    token_domain,
)
from pyclaims.eip712 import digest as eip712_digest

USD = 1_000_000
FAR = 2**40 - 1
ZERO = "0x0000000000000000000000000000000000000000"


# ================================================================== cross-chain / cross-contract replay
def test_threat_cross_chain_replay_order_signed_for_another_chain_id_fails(suite, reverts, seller, buyer):
    claim = suite.mint(seller, 100 * USD)
    order = offers.ask(maker=seller.address, claim_id=claim, price=60 * USD, expiry=FAR)
    for foreign_chain in (1, 8453, 11155111):
        foreign = suite.sign(order, seller, chain_id=foreign_chain)
        before = suite.state(claims=[claim], orders=[foreign], wallets=[buyer])
        with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=foreign.hash, maker=seller):
            suite.fill_ask(foreign, buyer)
        assert suite.state(claims=[claim], orders=[foreign], wallets=[buyer]) == before
    # The same order signed for this chain settles: the failure above was the domain, nothing else.
    home = suite.sign(order, seller)
    suite.fill_ask(home, buyer)
    assert suite.holder(claim) == buyer.address


def test_threat_cross_chain_replay_domain_follows_the_node_chain_id(suite, chain, seller, buyer):
    """A chain that changes id (a fork) recomputes the market's domain: an order signed before no longer verifies.

    Ape keys its contract cache on the chain id, so under the foreign id the call goes through web3 directly and
    the revert data is compared byte for byte with the expected custom error."""
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    separator = bytes(suite.market.domainSeparator())
    assert separator == signed.domain.separator
    calldata = suite.market.fillAsk.encode_input(suite.t(signed.order), signed.signature)
    expected = keccak(text="ClaimMarketInvalidSignature(bytes32,address)")[:4] + abi_encode(
        ["bytes32", "address"], [signed.hash, seller.address]
    )
    provider = chain.provider
    web3 = provider.web3
    call = {"from": buyer.address, "to": suite.market.address, "data": "0x" + bytes(calldata).hex()}
    web3.eth.call(call)  # on the home chain the fill would go through (a call: nothing changes)
    provider.make_request("anvil_setChainId", [4242])
    try:
        moved = bytes(
            web3.eth.call({"to": suite.market.address, "data": suite.market.domainSeparator.encode_input().hex()})
        )
        assert moved == offers.SignedOrder(signed.order, signed.signature, suite.market.address, 4242).domain.separator
        with pytest.raises(ContractCustomError) as raised:
            web3.eth.call(call)
        assert bytes.fromhex(str(raised.value.data).removeprefix("0x")) == expected
    finally:
        provider.make_request("anvil_setChainId", [suite.chain_id])
    assert bytes(suite.market.domainSeparator()) == separator
    assert suite.holder(claim) == seller.address


def test_threat_cross_chain_replay_order_for_one_market_fails_on_another_deployment(
    suite, deploy_suite, usdc, reverts, seller, buyer
):
    other = deploy_suite(usdc)
    claim = suite.mint(seller, 100 * USD)
    other_claim = other.mint(seller, 100 * USD)
    assert claim == other_claim  # the same claim id exists in both deployments
    signed = suite.ask(seller, claim, 60 * USD)
    before = other.state(claims=[claim], orders=[signed], wallets=[buyer])
    with reverts(other.market.ClaimMarketInvalidSignature, orderHash=signed.hash, maker=seller):
        other.fill_ask(signed, buyer)
    assert other.state(claims=[claim], orders=[signed], wallets=[buyer]) == before
    suite.fill_ask(signed, buyer)
    assert suite.holder(claim) == buyer.address
    assert other.holder(claim) == seller.address


def test_threat_cross_chain_replay_attestation_for_one_token_fails_on_another(
    suite, deploy_suite, usdc, reverts, verifier, unverified
):
    other = deploy_suite(usdc)
    request = {
        "wallet": unverified.address,
        "entity_id": 9,
        "country": 840,
        "expiry": FAR,
        "flags": 0,
        "nonce": 0,
        "deadline": FAR,
    }
    struct_hash = struct_hash_attestation(**request)
    signature = LocalSigner(verifier.private_key).sign_digest(
        eip712_digest(token_domain(suite.chain_id, suite.token.address).separator, struct_hash)
    )
    req = (unverified.address, 9, 840, FAR, 0, 0, FAR)
    # On the other token the digest differs, so the signature recovers some unrelated key without the role.
    stray = recover(eip712_digest(token_domain(other.chain_id, other.token.address).separator, struct_hash), signature)
    with reverts(other.token.ClaimTokenUnauthorizedSigner, signer=stray, role=other.token.VERIFIER_ROLE()):
        other.token.attestBySig(req, signature, sender=unverified)
    assert not other.token.isEligible(unverified)
    suite.token.attestBySig(req, signature, sender=unverified)
    assert suite.token.isEligible(unverified)
    # ... and once used, the same signature does not replay on its own token either (the nonce moved on).
    with reverts(suite.token.ClaimTokenInvalidNonce, wallet=unverified, expected=1, given=0):
        suite.token.attestBySig(req, signature, sender=unverified)


# ================================================================== double fill
def test_threat_double_fill_ask_settles_once(suite, reverts, seller, buyer, buyer2):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    seller_before, buyer_before = suite.balance(seller), suite.balance(buyer)
    suite.fill_ask(signed, buyer)
    assert suite.balance(seller) == seller_before + 60 * USD
    assert suite.balance(buyer) == buyer_before - 60 * USD
    assert suite.order_state(signed) == (1, False)
    # The buyer lists it back: the claim is the seller's again, yet the old ask stays spent.
    back = suite.ask(buyer, claim, 60 * USD)
    suite.fill_ask(back, seller)
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer, buyer2, seller])
    for taker in (buyer, buyer2):
        with reverts(suite.market.ClaimMarketOrderFilled, orderHash=signed.hash):
            suite.fill_ask(signed, taker)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer, buyer2, seller]) == before


def test_threat_double_fill_escrowed_bid_pays_once_and_returns_the_rest(suite, reverts, seller, buyer):
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 100 * USD)
    seller_before = suite.balance(seller)
    suite.fill_bid(bid, seller, claim)
    assert suite.balance(seller) == seller_before + 70 * USD
    assert suite.escrow(bid) == 30 * USD
    assert suite.total_deposits() == 30 * USD
    suite.token.transferFrom(buyer, seller, claim, sender=buyer)  # the seller holds it again
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    with reverts(suite.market.ClaimMarketOrderFilled, orderHash=bid.hash):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before
    buyer_before = suite.balance(buyer)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.balance(buyer) == buyer_before + 30 * USD
    assert suite.balance(suite.market) == 0


def test_threat_double_fill_class_bid_partial_fills_never_sum_past_the_offer(
    suite, reverts, seller, seller_backup, stranger, buyer
):
    price = 650_000  # 65 cents per dollar of allowed amount
    bid = suite.class_bid(buyer, price, 300 * USD)
    suite.deposit(bid, 195 * USD)
    c1 = suite.mint(seller, 100 * USD)
    c2 = suite.mint(stranger, 150 * USD)
    c3 = suite.mint(seller_backup, 100 * USD)
    c4 = suite.mint(seller_backup, 50 * USD)
    suite.fill_bid(bid, seller, c1)
    suite.fill_bid(bid, stranger, c2)
    assert suite.order_state(bid) == (250 * USD, False)
    before = suite.state(claims=[c3, c4], orders=[bid], wallets=[seller_backup])
    with reverts(
        suite.market.ClaimMarketFillExceedsOrder,
        orderHash=bid.hash,
        filled=250 * USD,
        amount=100 * USD,
        maxAmount=300 * USD,
    ):
        suite.fill_bid(bid, seller_backup, c3)
    assert suite.state(claims=[c3, c4], orders=[bid], wallets=[seller_backup]) == before
    suite.fill_bid(bid, seller_backup, c4)  # exactly to the limit
    assert suite.order_state(bid) == (300 * USD, False)
    assert suite.escrow(bid) == 0  # 65 + 97.5 + 32.5 = 195
    assert {suite.holder(c) for c in (c1, c2, c4)} == {buyer.address}
    assert suite.holder(c3) == seller_backup.address


def test_threat_double_fill_same_order_twice_in_a_batch_reverts_everything(suite, reverts, seller, buyer):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    fill = (suite.t(signed.order), signed.signature, 0)
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer])
    with reverts(suite.market.ClaimMarketOrderFilled, orderHash=signed.hash):
        suite.market.fillBatch([fill, fill], sender=buyer)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer]) == before


# ================================================================== cancellation
def test_threat_cancellation_cancelled_order_cannot_settle(suite, reverts, seller, buyer):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    suite.market.cancel([suite.t(signed.order)], sender=seller)
    assert suite.order_state(signed) == (0, True)
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer])
    with reverts(suite.market.ClaimMarketOrderCancelled, orderHash=signed.hash):
        suite.fill_ask(signed, buyer)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer]) == before


def test_threat_cancellation_only_the_signer_can_cancel(suite, reverts, seller, buyer, stranger, owner):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    for intruder in (buyer, stranger, owner):
        with reverts(suite.market.ClaimMarketNotMaker, orderHash=signed.hash, maker=seller, caller=intruder):
            suite.market.cancel([suite.t(signed.order)], sender=intruder)
    assert suite.order_state(signed) == (0, False)
    suite.fill_ask(signed, buyer)  # still alive
    assert suite.holder(claim) == buyer.address


def test_threat_cancellation_counter_bump_kills_every_open_order(suite, reverts, seller, buyer, stranger):
    c1, c2 = suite.mint(seller, 100 * USD), suite.mint(seller, 50 * USD)
    a1, a2 = suite.ask(seller, c1, 60 * USD), suite.ask(seller, c2, 30 * USD)
    # Only the maker moves its own counter: a stranger's bump does not touch the seller's orders.
    suite.market.incrementCounter(sender=stranger)
    assert suite.counter(seller) == 0
    suite.market.incrementCounter(sender=seller)
    assert suite.counter(seller) == 1
    before = suite.state(claims=[c1, c2], orders=[a1, a2], wallets=[buyer])
    for signed in (a1, a2):
        with reverts(suite.market.ClaimMarketStaleCounter, orderHash=signed.hash, orderCounter=0, makerCounter=1):
            suite.fill_ask(signed, buyer)
    assert suite.state(claims=[c1, c2], orders=[a1, a2], wallets=[buyer]) == before
    fresh = suite.ask(seller, c1, 60 * USD)
    assert fresh.order.counter == 1
    suite.fill_ask(fresh, buyer)
    assert suite.holder(c1) == buyer.address


def test_threat_cancellation_of_an_escrowed_bid_keeps_the_deposit_withdrawable(suite, reverts, seller, buyer):
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    suite.market.cancel([suite.t(bid.order)], sender=buyer)
    with reverts(suite.market.ClaimMarketOrderCancelled, orderHash=bid.hash):
        suite.fill_bid(bid, seller, claim)
    with reverts(suite.market.ClaimMarketOrderCancelled, orderHash=bid.hash):
        suite.deposit(bid, 1 * USD)
    assert suite.escrow(bid) == 70 * USD
    buyer_before = suite.balance(buyer)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.balance(buyer) == buyer_before + 70 * USD
    assert suite.balance(suite.market) == 0


def test_threat_cancellation_withdrawing_a_deposit_cancels_the_bid(suite, reverts, seller, buyer):
    """A buyer who takes the escrow back is not left with a live bid paid from the wallet allowance."""
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.order_state(bid) == (0, True)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    with reverts(suite.market.ClaimMarketOrderCancelled, orderHash=bid.hash):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before


def test_threat_cancellation_expired_or_counter_killed_escrowed_bid_refunds_in_full(
    suite, reverts, chain, seller, buyer, buyer2
):
    c1, c2 = suite.mint(seller, 100 * USD), suite.mint(seller, 100 * USD)
    expiry = chain.pending_timestamp + 600
    expiring = suite.bid(buyer, c1, 70 * USD, expiry=expiry)
    killed = suite.bid(buyer2, c2, 70 * USD)
    suite.deposit(expiring, 70 * USD)
    suite.deposit(killed, 80 * USD)
    suite.market.incrementCounter(sender=buyer2)
    chain.mine(timestamp=expiry + 1)
    before = suite.state(claims=[c1, c2], orders=[expiring, killed], wallets=[buyer, buyer2, seller])
    with reverts(suite.market.ClaimMarketOrderExpired, orderHash=expiring.hash, expiry=expiry):
        suite.fill_bid(expiring, seller, c1)
    with reverts(suite.market.ClaimMarketStaleCounter, orderHash=killed.hash, orderCounter=0, makerCounter=1):
        suite.fill_bid(killed, seller, c2)
    assert suite.state(claims=[c1, c2], orders=[expiring, killed], wallets=[buyer, buyer2, seller]) == before
    buyer_before, buyer2_before = suite.balance(buyer), suite.balance(buyer2)
    suite.market.withdraw(expiring.hash, sender=buyer)
    suite.market.withdraw(killed.hash, sender=buyer2)
    assert suite.balance(buyer) == buyer_before + 70 * USD
    assert suite.balance(buyer2) == buyer2_before + 80 * USD
    assert suite.balance(suite.market) == suite.total_deposits() == 0


# ================================================================== front-running / griefing
def test_threat_front_running_bound_taker_only_the_named_taker_fills(suite, reverts, seller, buyer, stranger):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD, taker=buyer)
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer, stranger])
    with reverts(suite.market.ClaimMarketWrongTaker, orderHash=signed.hash, taker=buyer, caller=stranger):
        suite.fill_ask(signed, stranger)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer, stranger]) == before
    suite.fill_ask(signed, buyer)
    assert suite.holder(claim) == buyer.address


def test_threat_front_running_relayer_cannot_change_price_taker_or_claim(suite, reverts, seller, buyer, stranger):
    claim = suite.mint(seller, 100 * USD)
    other_claim = suite.mint(seller, 500 * USD)
    signed = suite.ask(seller, claim, 60 * USD, taker=buyer)
    order = signed.order
    tampered = [
        offers.Order(order.maker, order.taker, order.side, 0, claim, 1, 0, order.expiry, 0, order.salt),
        offers.Order(order.maker, stranger.address, order.side, 0, claim, order.price, 0, order.expiry, 0, order.salt),
        offers.Order(order.maker, ZERO, order.side, 0, claim, order.price, 0, order.expiry, 0, order.salt),
        offers.Order(order.maker, order.taker, order.side, 0, other_claim, order.price, 0, order.expiry, 0, order.salt),
    ]
    before = suite.state(claims=[claim, other_claim], orders=[signed], wallets=[buyer, stranger])
    for changed in tampered:
        changed_hash = offers.order_hash(changed)
        # Sent by whoever the changed order lets through the taker check, so the signature check is what stops it.
        relayer = buyer if changed.taker == buyer.address else stranger
        with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=changed_hash, maker=seller):
            suite.market.fillAsk(suite.t(changed), signed.signature, sender=relayer)
    assert suite.state(claims=[claim, other_claim], orders=[signed], wallets=[buyer, stranger]) == before


def test_threat_front_running_third_party_cannot_sell_into_a_bid_with_someone_elses_claim(
    suite, reverts, seller, buyer, stranger, token
):
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller, stranger])
    with reverts(token.ERC721IncorrectOwner, sender=stranger, tokenId=claim, owner=seller):
        suite.fill_bid(bid, stranger, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller, stranger]) == before
    seller_before = suite.balance(seller)
    suite.fill_bid(bid, seller, claim)
    assert suite.balance(seller) == seller_before + 70 * USD


def test_threat_front_running_deverified_buyer_mid_flight_reverts_and_escrow_unchanged(
    suite, reverts, seller, buyer, verifier, token
):
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    token.revokeAttestation(buyer, sender=verifier)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    with reverts(token.ClaimTokenNotAttested, wallet=buyer):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before
    assert suite.escrow(bid) == 70 * USD
    token.attest(buyer, 1, 840, FAR, 0, sender=verifier)
    suite.fill_bid(bid, seller, claim)
    assert suite.holder(claim) == buyer.address
    assert suite.escrow(bid) == 0


def test_threat_front_running_deverified_seller_mid_flight_reverts_and_escrow_unchanged(
    suite, reverts, seller, buyer, verifier, token
):
    claim = suite.mint(seller, 100 * USD)
    ask = suite.ask(seller, claim, 60 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    token.revokeAttestation(seller, sender=verifier)
    before = suite.state(claims=[claim], orders=[ask, bid], wallets=[buyer, seller])
    with reverts(token.ClaimTokenNotAttested, wallet=seller):
        suite.fill_ask(ask, buyer)
    with reverts(token.ClaimTokenNotAttested, wallet=seller):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[ask, bid], wallets=[buyer, seller]) == before


def test_threat_front_running_freeze_mid_flight_pause_or_dispute_reverts_and_escrow_unchanged(
    suite, reverts, seller, buyer, pauser, validator, token
):
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    token.pause(sender=pauser)
    with reverts(token.ClaimTokenPaused):
        suite.fill_bid(bid, seller, claim)
    token.unpause(sender=pauser)
    token.setStatus(claim, 1, sender=validator)  # disputed: frozen in place
    with reverts(token.ClaimTokenNotTransferable, claimId=claim, status=1):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before
    token.setStatus(claim, 0, sender=validator)
    suite.fill_bid(bid, seller, claim)
    assert suite.holder(claim) == buyer.address


# ================================================================== approval race
def test_threat_approval_race_forged_bid_cannot_spend_another_buyers_allowance(suite, reverts, seller, buyer, stranger):
    """The buyer has approved the market for everything; a bid naming the buyer but signed by someone else
    cannot spend it."""
    assert int(suite.stablecoin.allowance(buyer, suite.market)) == 2**256 - 1
    claim = suite.mint(seller, 100 * USD)
    forged = offers.bid_for_claim(maker=buyer.address, claim_id=claim, price=99 * USD, expiry=FAR)
    signature = suite.raw_signature(forged, stranger)
    forged_hash = offers.order_hash(forged)
    before = suite.state(claims=[claim], wallets=[buyer, seller, stranger])
    with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=forged_hash, maker=buyer):
        suite.market.fillBid(suite.t(forged), signature, claim, sender=seller)
    assert suite.state(claims=[claim], wallets=[buyer, seller, stranger]) == before


def test_threat_approval_race_market_pulls_only_from_the_caller_of_a_fill(
    suite, reverts, seller, buyer, stranger, usdc
):
    """An ask is paid by whoever calls fillAsk: the stranger, with no allowance of its own, cannot ride on the
    buyer's."""
    usdc.approve(suite.market, 0, sender=stranger)
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer, stranger, seller])
    with reverts(
        usdc.MockUSDCInsufficientAllowance, owner=stranger, spender=suite.market, allowance=0, needed=60 * USD
    ):
        suite.fill_ask(signed, stranger)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer, stranger, seller]) == before


def test_threat_approval_race_deposits_are_per_bid_and_per_maker(suite, reverts, seller, buyer, buyer2, usdc):
    """One bid's deposit never pays for another bid, of the same buyer or of anyone else; only a bid's maker
    can fund its escrow."""
    c1, c2, c3 = (suite.mint(seller, 100 * USD) for _ in range(3))
    escrowed = suite.bid(buyer, c1, 70 * USD)
    suite.deposit(escrowed, 70 * USD)
    usdc.approve(suite.market, 0, sender=buyer)  # the buyer's wallet allowance is gone: only the escrow is left
    plain = suite.bid(buyer, c2, 70 * USD)
    other = suite.bid(buyer2, c3, 70 * USD)
    usdc.approve(suite.market, 0, sender=buyer2)
    with reverts(suite.market.ClaimMarketNotMaker, orderHash=escrowed.hash, maker=buyer, caller=buyer2):
        suite.deposit(escrowed, 10 * USD, sender=buyer2)
    before = suite.state(claims=[c1, c2, c3], orders=[escrowed, plain, other], wallets=[buyer, buyer2, seller])
    with reverts(usdc.MockUSDCInsufficientAllowance, owner=buyer, spender=suite.market, allowance=0, needed=70 * USD):
        suite.fill_bid(plain, seller, c2)
    with reverts(usdc.MockUSDCInsufficientAllowance, owner=buyer2, spender=suite.market, allowance=0, needed=70 * USD):
        suite.fill_bid(other, seller, c3)
    assert suite.state(claims=[c1, c2, c3], orders=[escrowed, plain, other], wallets=[buyer, buyer2, seller]) == before
    suite.fill_bid(escrowed, seller, c1)  # the escrowed one settles from its own deposit
    assert suite.holder(c1) == buyer.address
    assert suite.escrow(escrowed) == 0


# ================================================================== malleable signatures
def _high_s_twin(signature: bytes) -> bytes:
    """The other valid ECDSA signature of the same digest and key: (r, n - s) with the recovery bit flipped."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def _key_bytes(account: Any) -> bytes:
    key = account.private_key
    return bytes(key) if isinstance(key, bytes) else bytes.fromhex(key.removeprefix("0x"))


def _sign_with_nonce(private_key: bytes, digest: bytes, k: int) -> bytes:
    """An ECDSA signature with a chosen nonce ``k``, normalised to low-s: a second valid encoding of a signature
    over the same digest (RFC 6979 signers always produce one and the same)."""
    x, y = ecdsa.fast_multiply(ecdsa.G, k)
    r = x % SECP256K1_N
    z = int.from_bytes(digest, "big")
    d = int.from_bytes(private_key, "big")
    s = pow(k, -1, SECP256K1_N) * (z + r * d) % SECP256K1_N
    recid = y & 1
    if s > SECP256K1_N // 2:
        s, recid = SECP256K1_N - s, recid ^ 1
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recid])


def test_threat_malleable_signatures_high_s_twin_is_rejected(suite, reverts, seller, buyer):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    twin = _high_s_twin(signed.signature)
    # The twin is a mathematically valid signature by the seller (plain ecrecover would accept it) ...
    assert Account._recover_hash(signed.digest, signature=twin) == seller.address
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer])
    with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=signed.hash, maker=seller):
        suite.fill_ask(signed, buyer, signature=twin)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer]) == before
    # ... and compact (EIP-2098, 64 bytes) or v in {0, 1} encodings are not accepted either.
    r, s, v = signed.signature[:32], signed.signature[32:64], signed.signature[64]
    compact = r + ((v - 27) << 255 | int.from_bytes(s, "big")).to_bytes(32, "big")
    for other in (compact, r + s + bytes([v - 27])):
        with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=signed.hash, maker=seller):
            suite.fill_ask(signed, buyer, signature=other)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer]) == before


def test_threat_malleable_signatures_high_s_attestation_is_rejected(suite, reverts, verifier, unverified, token):
    struct_hash = struct_hash_attestation(
        wallet=unverified.address, entity_id=9, country=840, expiry=FAR, flags=0, nonce=0, deadline=FAR
    )
    good = LocalSigner(verifier.private_key).sign_digest(
        eip712_digest(token_domain(suite.chain_id, token.address).separator, struct_hash)
    )
    twin = _high_s_twin(good)
    req = (unverified.address, 9, 840, FAR, 0, 0, FAR)
    with reverts(token.ECDSAInvalidSignatureS, s=twin[32:64]):
        token.attestBySig(req, twin, sender=unverified)
    assert token.attestationOf(unverified).nonce == 0
    token.attestBySig(req, good, sender=unverified)
    assert token.isEligible(unverified)


def test_threat_malleable_signatures_replay_keys_on_the_order_hash_not_the_signature(
    suite, reverts, seller, buyer, buyer2
):
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    other = _sign_with_nonce(_key_bytes(seller), signed.digest, k=0xC0FFEE)
    assert other != signed.signature
    assert recover(signed.digest, other) == seller.address  # a second valid, low-s encoding
    suite.fill_ask(signed, buyer, signature=other)  # the contract accepts it ...
    suite.token.transferFrom(buyer, seller, claim, sender=buyer)
    before = suite.state(claims=[claim], orders=[signed], wallets=[buyer, buyer2, seller])
    for signature in (signed.signature, other):  # ... once: the order hash is spent, whatever the bytes
        with reverts(suite.market.ClaimMarketOrderFilled, orderHash=signed.hash):
            suite.fill_ask(signed, buyer2, signature=signature)
    assert suite.state(claims=[claim], orders=[signed], wallets=[buyer, buyer2, seller]) == before


def test_threat_malleable_signatures_non_canonical_order_encoding_is_rejected(suite, reverts, seller, buyer, buyer2):
    """The same order with dirty upper bits in a narrow field would hash to a new order hash if the market hashed
    the raw words: it is refused, so an order cannot be replayed under a second encoding."""
    claim = suite.mint(seller, 100 * USD)
    signed = suite.ask(seller, claim, 60 * USD)
    suite.fill_ask(signed, buyer)
    suite.token.transferFrom(buyer, seller, claim, sender=buyer)
    calldata = bytearray(suite.market.fillAsk.encode_input(suite.t(signed.order), signed.signature))
    # Words after the 4-byte selector: the order is static, so it sits in the first ten words, in field order.
    for word, what in ((0, "maker"), (2, "side"), (7, "expiry")):
        dirty = bytearray(calldata)
        dirty[4 + 32 * word] = 0x01
        before = suite.state(claims=[claim], orders=[signed], wallets=[buyer2, seller])
        with reverts(suite.market.ClaimMarketNonCanonicalOrder):
            buyer2.transfer(suite.market, 0, data=bytes(dirty))
        assert suite.state(claims=[claim], orders=[signed], wallets=[buyer2, seller]) == before, what


# ================================================================== contract wallets (ERC-1271)
def _contract_wallet(suite, project, verifier, stranger, entity: int = 7):
    wallet = project.MockERC1271Wallet.deploy(stranger, sender=stranger)
    suite.token.attest(wallet, entity, 840, FAR, 0, sender=verifier)
    return wallet


def test_threat_contract_wallets_erc1271_ask_signed_by_a_contract_wallet_settles(
    suite, reverts, project, verifier, stranger, buyer, seller
):
    wallet = _contract_wallet(suite, project, verifier, stranger)
    claim = suite.mint(wallet, 100 * USD)
    order = offers.ask(maker=wallet.address, claim_id=claim, price=60 * USD, expiry=FAR)
    signature = suite.raw_signature(order, stranger)  # the wallet's owner key signs for the wallet
    # A key that is not the wallet's owner is refused.
    bogus = suite.raw_signature(order, seller)
    with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=offers.order_hash(order), maker=wallet):
        suite.market.fillAsk(suite.t(order), bogus, sender=buyer)
    buyer_before = suite.balance(buyer)
    suite.market.fillAsk(suite.t(order), signature, sender=buyer)
    assert suite.holder(claim) == buyer.address
    assert suite.balance(wallet) == 60 * USD
    assert suite.balance(buyer) == buyer_before - 60 * USD


def test_threat_contract_wallets_erc1271_revocation_is_honoured_at_settlement(
    suite, reverts, project, verifier, stranger, buyer
):
    wallet = _contract_wallet(suite, project, verifier, stranger)
    claim = suite.mint(wallet, 100 * USD)
    order = offers.ask(maker=wallet.address, claim_id=claim, price=60 * USD, expiry=FAR)
    signature = suite.raw_signature(order, stranger)
    domain_digest = keccak(b"\x19\x01" + bytes(suite.market.domainSeparator()) + offers.order_hash(order))
    wallet.revoke(domain_digest, sender=stranger)
    h = offers.order_hash(order)
    before = {
        "holder": suite.holder(claim),
        "buyer": suite.balance(buyer),
        "wallet": suite.balance(wallet),
        "state": tuple(suite.market.orderState(h)),
    }
    with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=h, maker=wallet):
        suite.market.fillAsk(suite.t(order), signature, sender=buyer)
    assert {
        "holder": suite.holder(claim),
        "buyer": suite.balance(buyer),
        "wallet": suite.balance(wallet),
        "state": tuple(suite.market.orderState(h)),
    } == before


def test_threat_contract_wallets_erc1271_class_bid_from_a_contract_wallet(
    suite, reverts, project, verifier, stranger, seller, usdc
):
    wallet = _contract_wallet(suite, project, verifier, stranger)
    usdc.mint(wallet, 1_000 * USD, sender=suite.owner)
    wallet.execute(usdc, usdc.approve.encode_input(suite.market.address, 2**256 - 1), sender=stranger)
    order = offers.class_bid(
        maker=wallet.address, class_id=1, price_per_million=500_000, max_amount=400 * USD, expiry=FAR
    )
    signature = suite.raw_signature(order, stranger)
    claim = suite.mint(seller, 200 * USD)
    seller_before = suite.balance(seller)
    suite.market.fillBid(suite.t(order), signature, claim, sender=seller)
    assert suite.holder(claim) == wallet.address
    assert suite.balance(seller) == seller_before + 100 * USD
    assert suite.balance(wallet) == 900 * USD
    # High-s is refused through ERC-1271 as well.
    claim2 = suite.mint(seller, 100 * USD)
    with reverts(suite.market.ClaimMarketInvalidSignature, orderHash=offers.order_hash(order), maker=wallet):
        suite.market.fillBid(suite.t(order), _high_s_twin(signature), claim2, sender=seller)
    assert suite.holder(claim2) == seller.address


# ================================================================== permit (EIP-2612)
def _permit(
    suite, owner: Any, value: int, deadline: int, spender: Any | None = None
) -> tuple[int, int, int, bytes, bytes]:
    """A MockUSDC permit signed by ``owner`` (eth-account's own EIP-712 encoder): (value, deadline, v, r, s)."""
    token = suite.stablecoin
    message = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "USD Coin", "version": "2", "chainId": suite.chain_id, "verifyingContract": token.address},
        "message": {
            "owner": owner.address,
            "spender": (spender or suite.market).address,
            "value": value,
            "nonce": int(token.nonces(owner)),
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=message), owner.private_key)
    return (value, deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))


def test_threat_permit_front_run_permit_does_not_break_the_deposit(
    suite, reverts, seller, buyer, stranger, usdc, chain
):
    usdc.approve(suite.market, 0, sender=buyer)
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    deadline = chain.pending_timestamp + 3600
    permit = _permit(suite, buyer, 70 * USD, deadline)
    # The permit leaks from the mempool; someone submits it first.
    usdc.permit(buyer, suite.market, 70 * USD, deadline, permit[2], permit[3], permit[4], sender=stranger)
    assert int(usdc.allowance(buyer, suite.market)) == 70 * USD
    buyer_before = suite.balance(buyer)
    suite.market.depositWithPermit(suite.t(bid.order), 70 * USD, permit, sender=buyer)
    assert suite.escrow(bid) == 70 * USD
    assert suite.balance(buyer) == buyer_before - 70 * USD
    assert suite.balance(suite.market) == 70 * USD


def test_threat_permit_front_run_permit_does_not_break_fill_ask(suite, seller, buyer, stranger, usdc, chain):
    usdc.approve(suite.market, 0, sender=buyer)
    claim = suite.mint(seller, 100 * USD)
    ask = suite.ask(seller, claim, 60 * USD)
    permit = _permit(suite, buyer, 60 * USD, chain.pending_timestamp + 3600)
    usdc.permit(buyer, suite.market, *permit, sender=stranger)
    seller_before = suite.balance(seller)
    suite.market.fillAskWithPermit(suite.t(ask.order), ask.signature, permit, sender=buyer)
    assert suite.holder(claim) == buyer.address
    assert suite.balance(seller) == seller_before + 60 * USD


def test_threat_permit_unused_permit_works(suite, seller, buyer, usdc, chain):
    usdc.approve(suite.market, 0, sender=buyer)
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    permit = _permit(suite, buyer, 70 * USD, chain.pending_timestamp + 3600)
    suite.market.depositWithPermit(suite.t(bid.order), 70 * USD, permit, sender=buyer)
    assert suite.escrow(bid) == 70 * USD
    assert int(usdc.nonces(buyer)) == 1


def test_threat_permit_expired_permit_fails_and_nothing_moves(suite, reverts, seller, buyer, usdc, chain):
    usdc.approve(suite.market, 0, sender=buyer)
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    ask = suite.ask(seller, claim, 60 * USD)
    deadline = chain.pending_timestamp + 60
    permit = _permit(suite, buyer, 70 * USD, deadline)
    chain.mine(timestamp=deadline + 1)
    before = suite.state(claims=[claim], orders=[bid, ask], wallets=[buyer, seller])
    with reverts(suite.market.ClaimMarketPermitExpired, deadline=deadline):
        suite.market.depositWithPermit(suite.t(bid.order), 70 * USD, permit, sender=buyer)
    with reverts(suite.market.ClaimMarketPermitExpired, deadline=deadline):
        suite.market.fillAskWithPermit(suite.t(ask.order), ask.signature, permit, sender=buyer)
    assert suite.state(claims=[claim], orders=[bid, ask], wallets=[buyer, seller]) == before
    assert int(usdc.nonces(buyer)) == 0


def test_threat_permit_someone_elses_permit_funds_nothing(suite, reverts, seller, buyer, stranger, usdc, chain):
    """The market applies a permit to the caller only: the stranger cannot deposit with the buyer's permit."""
    usdc.approve(suite.market, 0, sender=buyer)
    usdc.approve(suite.market, 0, sender=stranger)
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(stranger, claim, 70 * USD)
    permit = _permit(suite, buyer, 70 * USD, chain.pending_timestamp + 3600)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, stranger])
    with reverts(suite.market.ClaimMarketPermitFailed, owner=stranger, allowance=0, needed=70 * USD):
        suite.market.depositWithPermit(suite.t(bid.order), 70 * USD, permit, sender=stranger)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, stranger]) == before
    assert int(usdc.allowance(buyer, suite.market)) == 0
