// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Vm} from "../utils/Test.sol";
import {UnitBase} from "./UnitBase.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {IClaimMarket} from "../../../contracts/interfaces/IClaimMarket.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {MockERC1271Wallet} from "../../../contracts/mocks/MockERC1271Wallet.sol";
import {FeeOnTransferToken} from "../../../contracts/mocks/FeeOnTransferToken.sol";
import {CallbackToken} from "../../../contracts/mocks/CallbackToken.sol";
import {ReentrantReceiver} from "../../../contracts/mocks/ReentrantReceiver.sol";
import {Order, Permit, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Escrowed (firm) bids: deposit, fill from escrow, withdraw, and every way the deposit must stay put.
contract ClaimMarketEscrowTest is UnitBase {
    uint256 internal id;
    Order internal bid;
    bytes32 internal h;

    function setUp() public override {
        super.setUp();
        id = mintClaim(seller, 100_000e6);
        bid = bidOrder(buyer, id, 55_000e6);
        h = orderStructHash(bid);
    }

    // ================================================================== deposit
    function test_deposit_creditsAndEmits() public {
        uint256 before = usdc.balanceOf(buyer);
        vm.expectEmit(true, true, false, true, address(market));
        emit IClaimMarket.Deposited(h, buyer, 40_000e6, 40_000e6);
        vm.prank(buyer);
        bytes32 ret = market.deposit(bid, 40_000e6);
        assertEq(ret, h, "returns the order hash");
        vm.expectEmit(true, true, false, true, address(market));
        emit IClaimMarket.Deposited(h, buyer, 20_000e6, 60_000e6);
        vm.prank(buyer);
        market.deposit(bid, 20_000e6);
        (address who, uint256 amount) = market.depositOf(h);
        assertEq(who, buyer, "depositor");
        assertEq(amount, 60_000e6, "total");
        assertEq(market.totalDeposits(), 60_000e6, "totalDeposits");
        assertEq(usdc.balanceOf(address(market)), 60_000e6, "market holds it");
        assertEq(before - usdc.balanceOf(buyer), 60_000e6, "from the buyer");
    }

    function test_deposit_ignoresTakerOfBid() public {
        bid.taker = seller;
        vm.prank(buyer);
        market.deposit(bid, 1e6);
        (, uint256 amount) = market.depositOf(orderStructHash(bid));
        assertEq(amount, 1e6, "the maker funds a bid that names its taker");
    }

    function test_deposit_revertsWhenOrderIsAsk() public {
        Order memory ask = askOrder(buyer, id, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketWrongSide.selector, uint8(1), uint8(0)));
        vm.prank(buyer);
        market.deposit(ask, 1e6);
    }

    function test_deposit_revertsWhenShapeInvalid() public {
        Order memory cbid = classBidOrder(buyer, GENERAL, 500_000, 0);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "maxAmount"));
        vm.prank(buyer);
        market.deposit(cbid, 1e6);
    }

    function test_deposit_revertsWhenCallerNotMaker() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketNotMaker.selector, h, buyer, buyer2));
        vm.prank(buyer2);
        market.deposit(bid, 1e6);
    }

    function test_deposit_revertsWhenAmountZero() public {
        vm.expectRevert(IClaimMarket.ClaimMarketZeroDeposit.selector);
        vm.prank(buyer);
        market.deposit(bid, 0);
    }

    function test_deposit_revertsWhenBidExpired() public {
        vm.warp(bid.expiry + 1);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderExpired.selector, h, bid.expiry));
        vm.prank(buyer);
        market.deposit(bid, 1e6);
    }

    function test_deposit_revertsWhenBidCancelled() public {
        cancelBid();
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderCancelled.selector, h));
        vm.prank(buyer);
        market.deposit(bid, 1e6);
    }

    function test_deposit_revertsWhenCounterStale() public {
        vm.prank(buyer);
        market.incrementCounter();
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketStaleCounter.selector, h, uint64(0), uint256(1))
        );
        vm.prank(buyer);
        market.deposit(bid, 1e6);
    }

    function test_deposit_revertsWhenSpecificBidFilled() public {
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderFilled.selector, h));
        vm.prank(buyer);
        market.deposit(bid, 1e6);
    }

    function test_deposit_revertsWhenTotalOverflows96Bits() public {
        fund(buyer, uint256(type(uint96).max));
        vm.prank(buyer);
        market.deposit(bid, type(uint96).max - 5);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketDepositOverflow.selector, h));
        vm.prank(buyer);
        market.deposit(bid, 6);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, type(uint96).max - 5, "unchanged");
    }

    function test_deposit_revertsWhenStablecoinPaused() public {
        usdc.pause();
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        vm.prank(buyer);
        market.deposit(bid, 1e6);
    }

    // ================================================================== fill from escrow
    function test_fillBid_paysSellerFromEscrow() public {
        depositFor(55_000e6);
        uint256 buyerBefore = usdc.balanceOf(buyer);
        vm.expectEmit(true, false, false, true, address(market));
        emit IClaimMarket.DepositSpent(h, 55_000e6, 0);
        vm.expectEmit(true, true, true, true, address(market));
        emit IClaimMarket.OrderFilled(h, buyer, seller, id, 55_000e6);
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        assertEq(token.ownerOf(id), buyer, "claim to the bidder");
        assertEq(usdc.balanceOf(seller), 55_000e6, "seller paid from escrow");
        assertEq(usdc.balanceOf(buyer), buyerBefore, "buyer's wallet untouched");
        (, uint256 left) = market.depositOf(h);
        assertEq(left, 0, "escrow used");
        assertEq(market.totalDeposits(), 0, "total");
        assertEq(usdc.balanceOf(address(market)), 0, "market empty");
    }

    function test_fillBid_escrowLeftoverIsWithdrawable() public {
        depositFor(60_000e6);
        vm.expectEmit(true, false, false, true, address(market));
        emit IClaimMarket.DepositSpent(h, 55_000e6, 5_000e6);
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        (, uint256 left) = market.depositOf(h);
        assertEq(left, 5_000e6, "leftover");
        uint256 before = usdc.balanceOf(buyer);
        vm.prank(buyer);
        uint256 back = market.withdraw(h);
        assertEq(back, 5_000e6, "returned");
        assertEq(usdc.balanceOf(buyer) - before, 5_000e6, "to the buyer");
        assertEq(usdc.balanceOf(address(market)), 0, "market empty");
    }

    function test_fillBid_revertsWhenDepositTooSmall() public {
        depositFor(54_999e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketDepositTooSmall.selector, h, 54_999e6, 55_000e6)
        );
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, 54_999e6, "escrow unchanged");
        assertEq(token.ownerOf(id), seller, "claim stayed");
    }

    function test_fillBid_classBidDrawsEachFillFromEscrow() public {
        uint256 a = mintClaim(seller, GENERAL, 400e6, ClaimStatus.Allowed);
        uint256 b = mintClaim(seller, GENERAL, 500e6, ClaimStatus.Allowed);
        Order memory cbid = classBidOrder(buyer, GENERAL, 650_000, 1_000e6);
        bytes32 ch = orderStructHash(cbid);
        vm.prank(buyer);
        market.deposit(cbid, 650e6);
        bytes memory sig = signOrder(buyerKey, cbid);
        uint256 buyerBefore = usdc.balanceOf(buyer);
        vm.startPrank(seller);
        vm.expectEmit(true, false, false, true, address(market));
        emit IClaimMarket.DepositSpent(ch, 260e6, 390e6);
        market.fillBid(cbid, sig, a);
        vm.expectEmit(true, false, false, true, address(market));
        emit IClaimMarket.DepositSpent(ch, 325e6, 65e6);
        market.fillBid(cbid, sig, b);
        vm.stopPrank();
        (, uint256 left) = market.depositOf(ch);
        assertEq(left, 650e6 - 260e6 - 325e6, "escrow minus both payments");
        assertEq(market.totalDeposits(), 65e6, "total follows");
        assertEq(usdc.balanceOf(buyer), buyerBefore, "wallet untouched");
        assertEq(usdc.balanceOf(address(market)), 65e6, "balance covers deposits");
    }

    /// @dev Pins current behaviour: once a class bid's deposit is spent to exactly zero, later fills of the same
    /// signed bid are paid from the bidder's wallet (allowance), like any unescrowed bid the bidder signed.
    function test_fillBid_classBidPaysFromWalletOnceEscrowIsSpent() public {
        uint256 a = mintClaim(seller, GENERAL, 400e6, ClaimStatus.Allowed);
        uint256 b = mintClaim(seller, GENERAL, 500e6, ClaimStatus.Allowed);
        Order memory cbid = classBidOrder(buyer, GENERAL, 650_000, 1_000e6);
        vm.prank(buyer);
        market.deposit(cbid, 260e6);
        bytes memory sig = signOrder(buyerKey, cbid);
        uint256 buyerBefore = usdc.balanceOf(buyer);
        vm.prank(seller);
        market.fillBid(cbid, sig, a);
        vm.recordLogs();
        vm.prank(seller);
        market.fillBid(cbid, sig, b);
        assertEq(buyerBefore - usdc.balanceOf(buyer), 325e6, "second fill from the wallet");
        assertEq(countLogs(vm.getRecordedLogs(), IClaimMarket.DepositSpent.selector), 0, "no DepositSpent");
    }

    function test_fillBid_revertsWhenBuyerDeverifiedMidFlightAndEscrowStays() public {
        depositFor(55_000e6);
        bytes memory sig = signOrder(buyerKey, bid);
        vm.prank(verifier);
        token.revokeAttestation(buyer);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, buyer));
        vm.prank(seller);
        market.fillBid(bid, sig, id);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, 55_000e6, "escrow unchanged");
        vm.prank(buyer);
        market.withdraw(h);
        assertEq(usdc.balanceOf(address(market)), 0, "de-verified buyer still withdraws");
    }

    function test_fillBid_blacklistedSellerRevertsAndBuyerWithdraws() public {
        depositFor(55_000e6);
        usdc.blacklist(seller);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, 55_000e6, "escrow unchanged");
        vm.prank(buyer);
        assertEq(market.withdraw(h), 55_000e6, "buyer takes the deposit back");
    }

    function test_fillBid_tokenPausedRevertsAndEscrowStays() public {
        depositFor(55_000e6);
        vm.prank(pauser);
        token.pause();
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, 55_000e6, "escrow unchanged");
    }

    // ================================================================== withdraw
    function test_withdraw_returnsAllCancelsAndEmits() public {
        depositFor(30_000e6);
        uint256 before = usdc.balanceOf(buyer);
        vm.expectEmit(true, true, false, true, address(market));
        emit IClaimMarket.OrderCancelled(h, buyer);
        vm.expectEmit(true, true, false, true, address(market));
        emit IClaimMarket.Withdrawn(h, buyer, 30_000e6);
        vm.prank(buyer);
        uint256 back = market.withdraw(h);
        assertEq(back, 30_000e6, "amount");
        assertEq(usdc.balanceOf(buyer) - before, 30_000e6, "returned");
        (address who, uint256 amount) = market.depositOf(h);
        assertEq(who, buyer, "depositor kept");
        assertEq(amount, 0, "emptied");
        assertEq(market.totalDeposits(), 0, "total");
        (, bool cancelled) = market.orderState(h);
        assertTrue(cancelled, "withdrawing cancels the bid");
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderCancelled.selector, h));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_withdraw_afterCancelEmitsNoSecondCancel() public {
        depositFor(1e6);
        cancelBid();
        vm.recordLogs();
        vm.prank(buyer);
        market.withdraw(h);
        assertEq(vm.getRecordedLogs().length, 2, "Transfer and Withdrawn only");
    }

    function test_withdraw_revertsWhenCallerNotDepositor() public {
        depositFor(1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketNotDepositor.selector, h, seller));
        vm.prank(seller);
        market.withdraw(h);
    }

    function test_withdraw_revertsWhenNoDepositEver() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketNotDepositor.selector, h, buyer));
        vm.prank(buyer);
        market.withdraw(h);
    }

    function test_withdraw_revertsWhenAlreadyWithdrawn() public {
        depositFor(1e6);
        vm.prank(buyer);
        market.withdraw(h);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketNothingToWithdraw.selector, h));
        vm.prank(buyer);
        market.withdraw(h);
    }

    function test_withdraw_revertsWhenFillUsedItAll() public {
        depositFor(55_000e6);
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketNothingToWithdraw.selector, h));
        vm.prank(buyer);
        market.withdraw(h);
    }

    function test_withdraw_noRoleCanTakeEscrow() public {
        depositFor(10e6);
        address[6] memory roles = [admin, pauser, trust, resolver, recovery, address(token)];
        for (uint256 i = 0; i < roles.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketNotDepositor.selector, h, roles[i]));
            vm.prank(roles[i]);
            market.withdraw(h);
        }
        assertEq(usdc.balanceOf(address(market)), 10e6, "escrow intact");
    }

    function test_withdraw_worksWhileTokenPaused() public {
        depositFor(10e6);
        vm.prank(pauser);
        token.pause();
        vm.prank(buyer);
        assertEq(market.withdraw(h), 10e6, "pausing never traps a deposit");
    }

    function test_withdraw_worksAfterExpiryAndCounterBump() public {
        depositFor(10e6);
        vm.prank(buyer);
        market.incrementCounter();
        vm.warp(bid.expiry + 30 days);
        vm.prank(buyer);
        assertEq(market.withdraw(h), 10e6, "expired, stale bid still refunds");
    }

    function test_withdraw_worksWhenBuyerDeverified() public {
        depositFor(10e6);
        vm.prank(verifier);
        token.revokeAttestation(buyer);
        vm.prank(buyer);
        assertEq(market.withdraw(h), 10e6, "identity is not needed to get money back");
    }

    /// @dev Known limitation (docs/DESIGN.md): a buyer blacklisted by the stablecoin waits for the issuer.
    function test_withdraw_blacklistedBuyerWaitsAndNobodyElseTakesIt() public {
        depositFor(10e6);
        usdc.blacklist(buyer);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, buyer));
        vm.prank(buyer);
        market.withdraw(h);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, 10e6, "still escrowed");
        usdc.unBlacklist(buyer);
        vm.prank(buyer);
        assertEq(market.withdraw(h), 10e6, "after the issuer lifts it");
    }

    function test_withdraw_stablecoinPausedRevertsThenWorks() public {
        depositFor(10e6);
        usdc.pause();
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        vm.prank(buyer);
        market.withdraw(h);
        (, bool cancelled) = market.orderState(h);
        assertFalse(cancelled, "nothing consumed");
        usdc.unpause();
        vm.prank(buyer);
        assertEq(market.withdraw(h), 10e6, "after unpause");
    }

    // ================================================================== permit
    function test_depositWithPermit_usesPermit() public {
        Order memory b3 = bidOrder(buyer3, id, 1_000e6);
        Permit memory p = usdcPermit(buyer3Key, address(market), 1_000e6, block.timestamp + 1 hours);
        vm.prank(buyer3);
        bytes32 ret = market.depositWithPermit(b3, 1_000e6, p);
        (address who, uint256 amount) = market.depositOf(ret);
        assertEq(who, buyer3, "depositor");
        assertEq(amount, 1_000e6, "credited");
    }

    function test_depositWithPermit_survivesFrontRunPermit() public {
        Order memory b3 = bidOrder(buyer3, id, 1_000e6);
        Permit memory p = usdcPermit(buyer3Key, address(market), 1_000e6, block.timestamp + 1 hours);
        vm.prank(stranger);
        usdc.permit(buyer3, address(market), p.value, p.deadline, p.v, p.r, p.s);
        vm.prank(buyer3);
        market.depositWithPermit(b3, 1_000e6, p);
        (, uint256 amount) = market.depositOf(orderStructHash(b3));
        assertEq(amount, 1_000e6, "deposit went through");
    }

    function test_depositWithPermit_revertsWhenPermitExpired() public {
        Order memory b3 = bidOrder(buyer3, id, 1_000e6);
        uint256 deadline = block.timestamp - 1;
        Permit memory p = usdcPermit(buyer3Key, address(market), 1_000e6, deadline);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketPermitExpired.selector, deadline));
        vm.prank(buyer3);
        market.depositWithPermit(b3, 1_000e6, p);
    }

    function test_depositWithPermit_revertsWhenPermitFailed() public {
        Order memory b3 = bidOrder(buyer3, id, 1_000e6);
        Permit memory p = usdcPermit(buyer3Key, address(market), 1_000e6, block.timestamp + 1 hours);
        p.s = bytes32(uint256(p.s) ^ 1); // corrupted
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketPermitFailed.selector, buyer3, uint256(0), 1_000e6)
        );
        vm.prank(buyer3);
        market.depositWithPermit(b3, 1_000e6, p);
    }

    // ================================================================== contract-wallet bidder
    function test_deposit_contractWalletBidFillsFromEscrowAndRevocationHonoured() public {
        uint256 ownerKey = 0x0999;
        address owner = vm.addr(ownerKey);
        MockERC1271Wallet w = new MockERC1271Wallet(owner);
        attest(address(w), 8, DE);
        fund(address(w), 100e6);
        uint256 other = mintClaim(seller, 10e6);
        Order memory wb = bidOrder(address(w), id, 40e6);
        Order memory wb2 = bidOrder(address(w), other, 40e6);
        vm.startPrank(owner);
        w.execute(address(usdc), abi.encodeCall(IERC20.approve, (address(market), 100e6)));
        w.execute(address(market), abi.encodeCall(market.deposit, (wb, 40e6)));
        w.execute(address(market), abi.encodeCall(market.deposit, (wb2, 40e6)));
        w.revoke(digestOf(marketDomain(), orderStructHash(wb2)));
        vm.stopPrank();

        vm.prank(seller);
        market.fillBid(wb, signOrder(ownerKey, wb), id);
        assertEq(token.ownerOf(id), address(w), "contract wallet bought from escrow");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(wb2), address(w)
            )
        );
        vm.prank(seller);
        market.fillBid(wb2, signOrder(ownerKey, wb2), other);
        vm.prank(owner);
        w.execute(address(market), abi.encodeCall(market.withdraw, (orderStructHash(wb2))));
        assertEq(usdc.balanceOf(address(w)), 60e6, "revoked bid's deposit back to the wallet");
    }

    // ================================================================== hostile stablecoins
    function test_deposit_creditsWhatArrivesWithFeeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100); // 1%
        ClaimToken t = deploySuite(address(fot));
        ClaimMarket m = ClaimMarket(t.market());
        attestOn(t, buyer, 2, DE);
        fot.mint(buyer, 1_000e6);
        vm.prank(buyer);
        fot.approve(address(m), type(uint256).max);
        Order memory b = bidOrder(buyer, 1, 500e6);
        bytes32 bh = orderStructHash(b);
        vm.expectEmit(true, true, false, true, address(m));
        emit IClaimMarket.Deposited(bh, buyer, 990e6, 990e6);
        vm.prank(buyer);
        m.deposit(b, 1_000e6);
        (, uint256 amount) = m.depositOf(bh);
        assertEq(amount, 990e6, "credited what arrived");
        assertEq(m.totalDeposits(), fot.balanceOf(address(m)), "escrow balance == open deposits");
    }

    function test_deposit_revertsWhenNothingArrives() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(10_000); // takes everything
        ClaimToken t = deploySuite(address(fot));
        ClaimMarket m = ClaimMarket(t.market());
        fot.mint(buyer, 1_000e6);
        vm.prank(buyer);
        fot.approve(address(m), type(uint256).max);
        Order memory b = bidOrder(buyer, 1, 500e6);
        vm.expectRevert(IClaimMarket.ClaimMarketZeroDeposit.selector);
        vm.prank(buyer);
        m.deposit(b, 1_000e6);
    }

    /// @dev A seller whose stablecoin hook re-enters the market: the guard stops the nested call, and with the
    /// revert bubbled the whole fill rolls back.
    function test_fillBid_reentryFromPaymentHookReverts() public {
        (ClaimToken t, ClaimMarket m, CallbackToken cb, ReentrantReceiver r, uint256 rid) = callbackSuite();
        Order memory b = bidOrder(buyer, rid, 5e6);
        bytes memory sig = signOrderFor(m, buyerKey, b);
        Order memory ask = askOrder(seller, 2, 1e6);
        r.arm(address(m), abi.encodeCall(m.fillAsk, (ask, signOrderFor(m, sellerKey, ask))), true);
        vm.expectRevert(
            abi.encodeWithSelector(
                ReentrantReceiver.ReentrantReceiverCallFailed.selector,
                abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
            )
        );
        r.execute(address(m), abi.encodeCall(m.fillBid, (b, sig, rid)));
        assertEq(t.ownerOf(rid), address(r), "rolled back");
        assertEq(cb.balanceOf(address(r)), 0, "no payment");

        // swallowed: the outer fill completes, the nested one never ran
        r.arm(address(m), abi.encodeCall(m.withdraw, (bytes32(0))), false);
        r.execute(address(m), abi.encodeCall(m.fillBid, (b, sig, rid)));
        assertTrue(r.attempted(), "hook fired");
        assertFalse(r.reentered(), "nested call failed");
        assertEq(
            r.lastError(), abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector), "guard"
        );
        assertEq(cb.balanceOf(address(r)), 5e6, "paid once");
        assertEq(t.ownerOf(rid), buyer, "claim moved once");
    }

    // ================================================================== helpers
    function countLogs(Vm.Log[] memory logs, bytes32 topic0) internal view returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(market) && logs[i].topics[0] == topic0) ++n;
        }
    }

    function depositFor(uint256 amount) internal {
        vm.prank(buyer);
        market.deposit(bid, amount);
    }

    function cancelBid() internal {
        Order[] memory os = new Order[](1);
        os[0] = bid;
        vm.prank(buyer);
        market.cancel(os);
    }

    /// @dev A suite on CallbackToken with a ReentrantReceiver (owned by this test) holding claim 1 and the seller
    /// holding claim 2; the buyer holds and has approved the callback token.
    function callbackSuite()
        internal
        returns (ClaimToken t, ClaimMarket m, CallbackToken cb, ReentrantReceiver r, uint256 rid)
    {
        cb = new CallbackToken();
        t = deploySuite(address(cb));
        m = ClaimMarket(t.market());
        r = new ReentrantReceiver();
        attestOn(t, address(r), 60, DE);
        attestOn(t, buyer, 2, DE);
        attestOn(t, seller, 1, US);
        rid = mintOn(t, address(r), 10e6, ClaimStatus.Allowed);
        mintOn(t, seller, 10e6, ClaimStatus.Allowed);
        cb.mint(buyer, 1_000e6);
        vm.prank(buyer);
        cb.approve(address(m), type(uint256).max);
    }
}
