// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {UnitBase} from "./UnitBase.sol";
import {IClaimMarket} from "../../../contracts/interfaces/IClaimMarket.sol";
import {MockERC1271Wallet} from "../../../contracts/mocks/MockERC1271Wallet.sol";
import {Order, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Cancellation: one order, many orders, every order of a maker by counter; only the maker can.
contract ClaimMarketCancelTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = mintClaim(seller, 100_000e6);
    }

    function test_cancel_marksOrdersAndEmits() public {
        Order[] memory os = new Order[](2);
        os[0] = askOrder(seller, id, 1e6);
        os[1] = askOrder(seller, id, 2e6);
        vm.expectEmit(true, true, false, true, address(market));
        emit IClaimMarket.OrderCancelled(orderStructHash(os[0]), seller);
        vm.expectEmit(true, true, false, true, address(market));
        emit IClaimMarket.OrderCancelled(orderStructHash(os[1]), seller);
        vm.prank(seller);
        market.cancel(os);
        (, bool c0) = market.orderState(orderStructHash(os[0]));
        (, bool c1) = market.orderState(orderStructHash(os[1]));
        assertTrue(c0 && c1, "both cancelled");
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderCancelled.selector, orderStructHash(os[1]))
        );
        vm.prank(buyer);
        market.fillAsk(os[1], signOrder(sellerKey, os[1]));
    }

    function test_cancel_revertsWhenCallerNotMaker() public {
        Order[] memory os = new Order[](1);
        os[0] = askOrder(seller, id, 1e6);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketNotMaker.selector, orderStructHash(os[0]), seller, buyer
            )
        );
        vm.prank(buyer);
        market.cancel(os);
    }

    function test_cancel_revertsWholeListWhenOneOrderIsForeign() public {
        Order[] memory os = new Order[](2);
        os[0] = askOrder(seller, id, 1e6);
        os[1] = bidOrder(buyer, id, 1e6);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketNotMaker.selector, orderStructHash(os[1]), buyer, seller
            )
        );
        vm.prank(seller);
        market.cancel(os);
        (, bool c0) = market.orderState(orderStructHash(os[0]));
        assertFalse(c0, "the maker's own order was not cancelled either");
    }

    function test_cancel_emptyListIsNoOp() public {
        vm.recordLogs();
        vm.prank(seller);
        market.cancel(new Order[](0));
        assertEq(vm.getRecordedLogs().length, 0, "no events");
    }

    function test_cancel_classBidAfterPartialFillStopsFurtherFills() public {
        uint256 a = mintClaim(seller, GENERAL, 10e6, ClaimStatus.Allowed);
        uint256 b = mintClaim(seller, GENERAL, 10e6, ClaimStatus.Allowed);
        Order memory cbid = classBidOrder(buyer, GENERAL, 500_000, 100e6);
        bytes memory sig = signOrder(buyerKey, cbid);
        vm.prank(seller);
        market.fillBid(cbid, sig, a);
        Order[] memory os = new Order[](1);
        os[0] = cbid;
        vm.prank(buyer);
        market.cancel(os);
        (uint256 filled, bool cancelled) = market.orderState(orderStructHash(cbid));
        assertEq(filled, 10e6, "partial fill kept");
        assertTrue(cancelled, "cancelled");
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderCancelled.selector, orderStructHash(cbid)));
        vm.prank(seller);
        market.fillBid(cbid, sig, b);
    }

    function test_cancel_afterFillOnlySetsFlag() public {
        Order memory ask = askOrder(seller, id, 1e6);
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(sellerKey, ask));
        Order[] memory os = new Order[](1);
        os[0] = ask;
        vm.prank(seller);
        market.cancel(os);
        (uint256 filled, bool cancelled) = market.orderState(orderStructHash(ask));
        assertEq(filled, 1, "fill stands");
        assertTrue(cancelled, "flag set");
    }

    function test_cancel_escrowedBidKeepsDepositForWithdraw() public {
        Order memory bid = bidOrder(buyer, id, 10e6);
        bytes32 h = orderStructHash(bid);
        vm.prank(buyer);
        market.deposit(bid, 10e6);
        Order[] memory os = new Order[](1);
        os[0] = bid;
        vm.prank(buyer);
        market.cancel(os);
        (, uint256 amount) = market.depositOf(h);
        assertEq(amount, 10e6, "cancel moves no money");
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderCancelled.selector, h));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
        vm.prank(buyer);
        assertEq(market.withdraw(h), 10e6, "withdrawn in full");
    }

    function test_cancel_byContractWalletMaker() public {
        address owner = vm.addr(0x0771);
        MockERC1271Wallet w = new MockERC1271Wallet(owner);
        Order[] memory os = new Order[](1);
        os[0] = bidOrder(address(w), id, 1e6);
        vm.prank(owner);
        w.execute(address(market), abi.encodeCall(market.cancel, (os)));
        (, bool cancelled) = market.orderState(orderStructHash(os[0]));
        assertTrue(cancelled, "the wallet cancels its own order");
    }

    // ================================================================== counters
    function test_incrementCounter_bumpsEmitsAndReturns() public {
        vm.expectEmit(true, false, false, true, address(market));
        emit IClaimMarket.CounterIncremented(seller, 1);
        vm.prank(seller);
        uint256 c = market.incrementCounter();
        assertEq(c, 1, "returns new counter");
        vm.prank(seller);
        assertEq(market.incrementCounter(), 2, "again");
        assertEq(market.counterOf(seller), 2, "counterOf");
        assertEq(market.counterOf(buyer), 0, "only the caller's counter");
    }

    function test_incrementCounter_cancelsAllOldOrdersAndNewOnesWork() public {
        uint256 other = mintClaim(seller, 1e6);
        Order memory a1 = askOrder(seller, id, 1e6);
        Order memory a2 = askOrder(seller, other, 1e6);
        bytes memory s1 = signOrder(sellerKey, a1);
        bytes memory s2 = signOrder(sellerKey, a2);
        vm.prank(seller);
        market.incrementCounter();
        vm.startPrank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketStaleCounter.selector, orderStructHash(a1), uint64(0), uint256(1)
            )
        );
        market.fillAsk(a1, s1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketStaleCounter.selector, orderStructHash(a2), uint64(0), uint256(1)
            )
        );
        market.fillAsk(a2, s2);
        vm.stopPrank();
        Order memory fresh = askOrder(seller, id, 1e6); // counter 1
        assertEq(fresh.counter, 1, "helper reads the counter");
        vm.prank(buyer);
        market.fillAsk(fresh, signOrder(sellerKey, fresh));
        assertEq(token.ownerOf(id), buyer, "new order fills");
    }

    function test_incrementCounter_onlyAffectsCaller() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.prank(buyer); // someone else bumping their own counter
        market.incrementCounter();
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), buyer, "seller's order unaffected");
    }

    function test_incrementCounter_orderSignedForFutureCounterIsStale() public {
        Order memory ask = askOrder(seller, id, 1e6);
        ask.counter = 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketStaleCounter.selector, orderStructHash(ask), uint64(1), uint256(0)
            )
        );
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(sellerKey, ask));
    }
}
