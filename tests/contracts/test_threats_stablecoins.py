"""Threats table, "Contracts": the rows about hostile stablecoins and re-entry.

reentrancy (CallbackToken + ReentrantReceiver: re-entry into settle, refund and payout), fee-on-transfer / short
delivery (FeeOnTransferToken, NoReturnToken), stablecoin blacklist / pause (MockUSDC, FiatToken-like).

Each hostile token gets a whole suite of its own (a second ClaimToken, with its market and distributor).
"""

from __future__ import annotations

import pytest
from eth_utils import keccak

USD = 1_000_000
FEE_BPS = 250  # the fee-on-transfer token burns 2.5% of every transfer
REENTRANT_CALL = keccak(text="ReentrancyGuardReentrantCall()")[:4]
ZERO = "0x0000000000000000000000000000000000000000"


def _after_fee(amount: int) -> int:
    return amount - amount * FEE_BPS // 10_000


@pytest.fixture(scope="module")
def fot_suite(project, owner, deploy_suite):
    return deploy_suite(project.FeeOnTransferToken.deploy(FEE_BPS, sender=owner))


@pytest.fixture(scope="module")
def noreturn_suite(project, owner, deploy_suite):
    return deploy_suite(project.NoReturnToken.deploy(sender=owner))


@pytest.fixture(scope="module")
def callback_suite(project, owner, deploy_suite):
    return deploy_suite(project.CallbackToken.deploy(sender=owner))


@pytest.fixture(scope="module")
def receiver(project, owner, callback_suite, verifier):
    """A hostile contract wallet (operated by ``owner``), attested so it may hold claims in the callback suite."""
    contract = project.ReentrantReceiver.deploy(sender=owner)
    callback_suite.token.attest(contract, 8, 840, 2**40 - 1, 0, sender=verifier)
    return contract


@pytest.fixture(scope="module", autouse=True)
def _deploy_everything_first(suite, fot_suite, noreturn_suite, callback_suite, receiver):
    """Every deployment of this module happens before its first test, so Ape's module snapshot holds them all
    (a module fixture first requested mid-module makes Ape rebase its snapshots, which it reports as a warning)."""


# ================================================================== reentrancy
def _settlement_into_a_hostile_seller(suite, receiver, owner, buyer):
    """The receiver holds two claims; the buyer has signed a bid for each. Selling the first one pays the receiver
    through the token's hook, from which the receiver tries to sell the second one in the same transaction."""
    c1, c2 = suite.mint(receiver, 100 * USD), suite.mint(receiver, 100 * USD)
    b1, b2 = suite.bid(buyer, c1, 60 * USD), suite.bid(buyer, c2, 50 * USD)
    reentry = suite.market.fillBid.encode_input(suite.t(b2.order), b2.signature, c2)
    sell_first = suite.market.fillBid.encode_input(suite.t(b1.order), b1.signature, c1)
    return c1, c2, b1, b2, reentry, sell_first


def test_threat_reentrancy_seller_hook_reentering_settle_reverts_the_whole_settlement(
    callback_suite, receiver, reverts, owner, buyer
):
    suite = callback_suite
    c1, c2, b1, b2, reentry, sell_first = _settlement_into_a_hostile_seller(suite, receiver, owner, buyer)
    receiver.arm(suite.market, reentry, True, sender=owner)  # bubble: the hook reverts with the guard's error
    before = suite.state(claims=[c1, c2], orders=[b1, b2], wallets=[buyer, receiver])
    with reverts(receiver.ReentrantReceiverCallFailed, reason=REENTRANT_CALL):
        receiver.execute(suite.market, sell_first, sender=owner)
    assert suite.state(claims=[c1, c2], orders=[b1, b2], wallets=[buyer, receiver]) == before


def test_threat_reentrancy_swallowed_reentry_into_settle_changes_nothing_extra(callback_suite, receiver, owner, buyer):
    suite = callback_suite
    c1, c2, b1, b2, reentry, sell_first = _settlement_into_a_hostile_seller(suite, receiver, owner, buyer)
    receiver.arm(suite.market, reentry, False, sender=owner)  # swallow: the outer fill goes on
    buyer_before = suite.balance(buyer)
    receiver.execute(suite.market, sell_first, sender=owner)
    assert receiver.attempted()
    assert not receiver.reentered()
    assert bytes(receiver.lastError()) == REENTRANT_CALL
    # Exactly the first settlement happened, once.
    assert suite.holder(c1) == buyer.address
    assert suite.holder(c2) == receiver.address
    assert suite.order_state(b1) == (1, False)
    assert suite.order_state(b2) == (0, False)
    assert suite.balance(receiver) == 60 * USD
    assert suite.balance(buyer) == buyer_before - 60 * USD
    # The re-entry payload was a valid fill: the guard is what stopped it. Outside a fill it goes through.
    receiver.execute(suite.market, reentry, sender=owner)
    assert suite.holder(c2) == buyer.address
    assert suite.balance(receiver) == 110 * USD


def test_threat_reentrancy_hook_reentering_any_market_entry_point_during_a_settlement_is_blocked(
    callback_suite, receiver, reverts, owner, buyer
):
    """From inside a fill, the market's other money paths (withdraw, batch fill, deposit) are closed by the same
    guard: each attempt fails with the guard's own error, and the whole settlement with it."""
    suite = callback_suite
    c1, c2, b1, b2, _, sell_first = _settlement_into_a_hostile_seller(suite, receiver, owner, buyer)
    for payload in (
        suite.market.withdraw.encode_input(b1.hash),
        suite.market.fillBatch.encode_input([(suite.t(b2.order), b2.signature, c2)]),
        suite.market.deposit.encode_input(suite.t(b1.order), 1),
    ):
        receiver.arm(suite.market, payload, True, sender=owner)
        with reverts(receiver.ReentrantReceiverCallFailed, reason=REENTRANT_CALL):
            receiver.execute(suite.market, sell_first, sender=owner)
    assert suite.holder(c1) == receiver.address
    assert suite.order_state(b1) == (0, False)


def test_threat_reentrancy_depositor_hook_reentering_withdraw_pays_once(
    callback_suite, receiver, reverts, owner, seller
):
    """The refund path: a depositor whose hook calls withdraw again while its refund arrives."""
    suite = callback_suite
    claim = suite.mint(seller, 100 * USD)
    suite.stablecoin.mint(receiver, 100 * USD, sender=owner)
    receiver.execute(
        suite.stablecoin, suite.stablecoin.approve.encode_input(suite.market.address, 2**256 - 1), sender=owner
    )
    # The receiver's own bid (a contract needs no signature to deposit: it is the bid's maker and the caller).
    own = (receiver.address, ZERO, 1, 0, claim, 60 * USD, 0, 2**40 - 1, 0, 7)
    receiver.execute(suite.market, suite.market.deposit.encode_input(own, 100 * USD), sender=owner)
    h = bytes(suite.market.hashOrder(own))
    withdraw = suite.market.withdraw.encode_input(h)
    receiver.arm(suite.market, withdraw, True, sender=owner)
    with reverts(receiver.ReentrantReceiverCallFailed, reason=REENTRANT_CALL):
        receiver.execute(suite.market, withdraw, sender=owner)
    assert tuple(suite.market.depositOf(h)) == (receiver.address, 100 * USD)
    assert suite.balance(suite.market) == suite.total_deposits() == 100 * USD
    assert suite.balance(receiver) == 0
    receiver.arm(suite.market, withdraw, False, sender=owner)
    receiver.execute(suite.market, withdraw, sender=owner)
    assert not receiver.reentered()
    assert bytes(receiver.lastError()) == REENTRANT_CALL
    assert suite.balance(receiver) == 100 * USD  # once
    assert suite.balance(suite.market) == suite.total_deposits() == 0


def test_threat_reentrancy_holder_hook_reentering_payout_pays_once(
    callback_suite, receiver, reverts, owner, trust, seller, stranger
):
    """The payout path: a holder of record whose hook calls payout again (alone, and inside a batch)."""
    suite = callback_suite
    claim = suite.mint(receiver, 100 * USD)
    other = suite.mint(seller, 100 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    again = suite.distributor.payout.encode_input(1, claim, 0)
    receiver.arm(suite.distributor, again, True, sender=owner)
    with reverts(suite.distributor.ReentrancyGuardReentrantCall):
        suite.distributor.payout(1, claim, 0, sender=stranger)
    assert not suite.distributor.isSettled(1, claim)
    # In a batch the hostile holder is passed over (reason 5: the transfer failed) and blocks nobody else.
    receiver.arm(suite.distributor, again, True, sender=owner)
    seller_before = suite.balance(seller)
    receipt = suite.distributor.payoutBatch(1, [claim, other], [0, 0], sender=stranger)
    assert [(e.claimId, e.reason) for e in receipt.decode_logs(suite.distributor.PayoutSkipped)] == [(claim, 5)]
    assert suite.balance(seller) == seller_before + 50 * USD
    assert not suite.distributor.isSettled(1, claim)
    assert suite.balance(receiver) == 0
    # Swallowing the failed re-entry, it is paid exactly once.
    receiver.arm(suite.distributor, again, False, sender=owner)
    suite.distributor.payout(1, claim, 0, sender=stranger)
    assert suite.balance(receiver) == 50 * USD
    assert not receiver.reentered()
    assert bytes(receiver.lastError()) == REENTRANT_CALL
    assert suite.distributor.isSettled(1, claim)
    assert suite.balance(suite.distributor) == 0


# ================================================================== fee-on-transfer / short delivery
def test_threat_fee_on_transfer_deposit_credits_what_actually_arrived(fot_suite, buyer, seller):
    suite = fot_suite
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 90 * USD)
    buyer_before = suite.balance(buyer)
    receipt = suite.deposit(bid, 100 * USD)
    credited = _after_fee(100 * USD)
    assert credited == 97_500_000
    assert suite.balance(buyer) == buyer_before - 100 * USD
    assert suite.escrow(bid) == credited
    assert suite.total_deposits() == credited
    assert suite.balance(suite.market) == credited
    [event] = receipt.decode_logs(suite.market.Deposited)
    assert (event.amount, event.total) == (credited, credited)
    suite.deposit(bid, 10 * USD)
    assert suite.escrow(bid) == credited + _after_fee(10 * USD)
    assert suite.balance(suite.market) == suite.total_deposits()


def test_threat_fee_on_transfer_escrow_pays_at_most_what_it_holds(fot_suite, reverts, buyer, seller):
    suite = fot_suite
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 100 * USD)
    suite.deposit(bid, 100 * USD)  # 97.5 arrives
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    with reverts(suite.market.ClaimMarketDepositTooSmall, orderHash=bid.hash, deposit=97_500_000, payment=100 * USD):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before
    suite.assert_escrow_covered()
    # The buyer takes back everything that was credited; the market is left holding nothing it owes nobody.
    buyer_before = suite.balance(buyer)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.balance(buyer) == buyer_before + _after_fee(97_500_000)
    assert suite.balance(suite.market) == suite.total_deposits() == 0


def test_threat_fee_on_transfer_escrow_covers_open_deposits_through_fills(fot_suite, buyer, buyer2, seller):
    suite = fot_suite
    c1, c2 = suite.mint(seller, 100 * USD), suite.mint(seller, 100 * USD)
    b1 = suite.bid(buyer, c1, 80 * USD)
    b2 = suite.bid(buyer2, c2, 50 * USD)
    suite.deposit(b1, 100 * USD)
    suite.deposit(b2, 60 * USD)
    suite.assert_escrow_covered()
    seller_before = suite.balance(seller)
    suite.fill_bid(b1, seller, c1)
    assert suite.balance(seller) == seller_before + _after_fee(80 * USD)  # the token's fee, never the market's
    assert suite.escrow(b1) == _after_fee(100 * USD) - 80 * USD
    suite.assert_escrow_covered()
    assert suite.balance(suite.market) == suite.total_deposits() == suite.escrow(b1) + suite.escrow(b2)


def test_threat_fee_on_transfer_round_funding_short_delivery_reverts(fot_suite, reverts, trust, seller):
    suite = fot_suite
    suite.mint(seller, 100 * USD)
    trust_before = suite.balance(trust)
    with reverts(suite.distributor.ClaimDistributorShortFunding, expected=50 * USD, received=_after_fee(50 * USD)):
        suite.distributor.declareRound(1, 500_000, sender=trust)
    assert suite.balance(trust) == trust_before
    assert suite.balance(suite.distributor) == 0
    assert suite.token.epoch() == 0


def test_threat_fee_on_transfer_no_return_token_settles_refunds_and_pays(noreturn_suite, buyer, seller, trust):
    """A USDT-like token (no boolean returned) works on every money path through SafeERC20."""
    suite = noreturn_suite
    c1, c2 = suite.mint(seller, 100 * USD), suite.mint(seller, 100 * USD)
    ask = suite.ask(seller, c1, 60 * USD)
    bid = suite.bid(buyer, c2, 70 * USD)
    seller_before, buyer_before = suite.balance(seller), suite.balance(buyer)
    suite.fill_ask(ask, buyer)
    suite.deposit(bid, 100 * USD)
    suite.fill_bid(bid, seller, c2)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.balance(seller) == seller_before + 130 * USD
    assert suite.balance(buyer) == buyer_before - 130 * USD
    assert suite.balance(suite.market) == suite.total_deposits() == 0
    suite.distributor.declareRound(1, 500_000, sender=trust)
    suite.distributor.payout(1, c1, 0, sender=seller)
    assert suite.balance(buyer) == buyer_before - 130 * USD + 50 * USD


def test_threat_fee_on_transfer_no_return_token_short_balance_moves_nothing(
    noreturn_suite, reverts, buyer, seller, unverified
):
    suite = noreturn_suite
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    ask = suite.ask(seller, claim, 60 * USD)
    balance = suite.balance(buyer)
    before = suite.state(claims=[claim], orders=[bid, ask], wallets=[buyer, seller])
    with reverts("balance"):
        suite.deposit(bid, balance + 1)
    suite.stablecoin.approve(suite.market, 59 * USD, sender=buyer)
    with reverts("allowance"):
        suite.fill_ask(ask, buyer)
    after = suite.state(claims=[claim], orders=[bid, ask], wallets=[buyer, seller])
    assert after == before


# ================================================================== stablecoin blacklist / pause
def test_threat_stablecoin_blacklist_pause_blacklisted_seller_cannot_settle_buyer_takes_deposit_back(
    suite, reverts, usdc, owner, buyer, seller
):
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    usdc.blacklist(seller, sender=owner)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    with reverts(usdc.MockUSDCBlacklisted, account=seller):
        suite.fill_bid(bid, seller, claim)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before
    buyer_before = suite.balance(buyer)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.balance(buyer) == buyer_before + 70 * USD
    assert suite.balance(suite.market) == suite.total_deposits() == 0


def test_threat_stablecoin_blacklist_pause_blacklisted_buyer_deposit_waits_for_the_issuer(
    suite, reverts, usdc, owner, buyer, seller
):
    """Known limitation (docs/DESIGN.md): a blacklisted buyer's deposit is frozen, never sent anywhere else."""
    claim = suite.mint(seller, 100 * USD)
    bid = suite.bid(buyer, claim, 70 * USD)
    suite.deposit(bid, 70 * USD)
    usdc.blacklist(buyer, sender=owner)
    before = suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller])
    with reverts(usdc.MockUSDCBlacklisted, account=buyer):
        suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.state(claims=[claim], orders=[bid], wallets=[buyer, seller]) == before
    usdc.unBlacklist(buyer, sender=owner)
    suite.market.withdraw(bid.hash, sender=buyer)
    assert suite.escrow(bid) == 0


def test_threat_stablecoin_blacklist_pause_paused_stablecoin_reverts_everything_and_consumes_nothing(
    suite, reverts, usdc, owner, buyer, buyer2, seller, trust
):
    c1, c2 = suite.mint(seller, 100 * USD), suite.mint(seller, 100 * USD)
    ask = suite.ask(seller, c1, 60 * USD)
    bid = suite.bid(buyer, c2, 70 * USD)
    suite.deposit(bid, 70 * USD)
    fresh = suite.bid(buyer2, c1, 65 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    usdc.pause(sender=owner)
    orders = [ask, bid, fresh]
    before = suite.state(claims=[c1, c2], orders=orders, wallets=[buyer, buyer2, seller, trust])
    paused = usdc.MockUSDCPaused
    with reverts(paused):
        suite.fill_ask(ask, buyer)
    with reverts(paused):
        suite.fill_bid(bid, seller, c2)
    with reverts(paused):
        suite.deposit(fresh, 65 * USD)
    with reverts(paused):
        suite.market.withdraw(bid.hash, sender=buyer)
    with reverts(paused):
        suite.distributor.payout(1, c1, 0, sender=seller)
    with reverts(paused):
        suite.distributor.declareRound(1, 600_000, sender=trust)
    assert suite.state(claims=[c1, c2], orders=orders, wallets=[buyer, buyer2, seller, trust]) == before
    assert not suite.distributor.isSettled(1, c1)
    assert suite.token.epoch() == 1
    # After the issuer unpauses, the very same signed orders go through.
    usdc.unpause(sender=owner)
    suite.fill_ask(ask, buyer)
    suite.fill_bid(bid, seller, c2)
    suite.distributor.payout(1, c1, 0, sender=seller)
    assert suite.holder(c1) == suite.holder(c2) == buyer.address
    assert suite.distributor.isSettled(1, c1)


def test_threat_stablecoin_blacklist_pause_blacklisted_holder_cannot_block_other_payouts(
    suite, usdc, owner, seller, stranger, trust
):
    c1, c2 = suite.mint(seller, 100 * USD), suite.mint(stranger, 200 * USD)
    suite.distributor.declareRound(1, 500_000, sender=trust)
    usdc.blacklist(seller, sender=owner)
    stranger_before = suite.balance(stranger)
    receipt = suite.distributor.payoutBatch(1, [c1, c2], [0, 0], sender=stranger)
    skipped = receipt.decode_logs(suite.distributor.PayoutSkipped)
    assert [(e.claimId, e.reason) for e in skipped] == [(c1, 5)]  # 5: the stablecoin refused the transfer
    made = receipt.decode_logs(suite.distributor.PayoutMade)
    assert [(e.claimId, e.holder, e.amount) for e in made] == [(c2, stranger.address, 100 * USD)]
    assert suite.balance(stranger) == stranger_before + 100 * USD
    assert not suite.distributor.isSettled(1, c1)
    assert suite.distributor.isSettled(1, c2)
    assert suite.balance(suite.distributor) == 50 * USD  # the blacklisted holder's share, still owed
    usdc.unBlacklist(seller, sender=owner)
    seller_before = suite.balance(seller)
    suite.distributor.payout(1, c1, 0, sender=stranger)
    assert suite.balance(seller) == seller_before + 50 * USD
