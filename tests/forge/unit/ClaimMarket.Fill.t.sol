// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {UnitBase} from "./UnitBase.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {IClaimMarket} from "../../../contracts/interfaces/IClaimMarket.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {MockERC1271Wallet} from "../../../contracts/mocks/MockERC1271Wallet.sol";
import {Order, Fill, Permit, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Fills: asks, specific bids, class bids (partial fills), every order check, signatures (ECDSA low-s,
/// ERC-1271, chain and deployment binding), the permit path, non-canonical encodings, and all-or-nothing batches.
contract ClaimMarketFillTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = mintClaim(seller, 100_000e6);
    }

    // ================================================================== views
    function test_views_domainTypehashAndModules() public view {
        assertEq(market.domainSeparator(), marketDomain(), "domain separator");
        assertEq(market.ORDER_TYPEHASH(), ORDER_TYPEHASH, "typehash");
        assertEq(market.PRICE_SCALE(), 1e6, "price scale");
        assertEq(market.token(), address(token), "token");
        assertEq(market.stablecoin(), address(usdc), "stablecoin");
        assertEq(market.totalDeposits(), 0, "no deposits");
        assertEq(market.counterOf(seller), 0, "counter");
    }

    function test_hashOrder_matchesIndependentEncoder() public {
        Order memory o = classBidOrder(buyer, GENERAL, 650_000, 1_000e6);
        o.taker = seller;
        assertEq(market.hashOrder(o), orderStructHash(o), "struct hash");
    }

    function test_orderState_unknownOrderIsOpen() public view {
        (uint256 filled, bool cancelled) = market.orderState(keccak256("nothing"));
        assertEq(filled, 0, "filled");
        assertFalse(cancelled, "cancelled");
    }

    // ================================================================== fillAsk
    function test_fillAsk_movesClaimAndPaysFullPrice() public {
        Order memory ask = askOrder(seller, id, 60_000e6);
        bytes32 h = orderStructHash(ask);
        uint256 buyerBefore = usdc.balanceOf(buyer);
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC721.Transfer(seller, buyer, id);
        vm.expectEmit(true, true, true, true, address(market));
        emit IClaimMarket.OrderFilled(h, buyer, seller, id, 60_000e6);
        vm.prank(buyer);
        bytes32 ret = market.fillAsk(ask, signOrder(sellerKey, ask));
        assertEq(ret, h, "returns the order hash");
        assertEq(token.ownerOf(id), buyer, "claim to buyer");
        assertEq(usdc.balanceOf(seller), 60_000e6, "100% of the price to the seller");
        assertEq(buyerBefore - usdc.balanceOf(buyer), 60_000e6, "buyer paid the price, no fee");
        assertEq(usdc.balanceOf(address(market)), 0, "market keeps nothing");
        (uint256 filled,) = market.orderState(h);
        assertEq(filled, 1, "filled flag");
    }

    function test_fillAsk_revertsWhenFilledTwice() public {
        Order memory ask = askOrder(seller, id, 60_000e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        move(buyer, seller, id); // the claim comes back to the maker
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderFilled.selector, orderStructHash(ask)));
        vm.prank(buyer2);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenSideIsBid() public {
        Order memory bid = bidOrder(seller, id, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketWrongSide.selector, uint8(0), uint8(1)));
        vm.prank(buyer);
        market.fillAsk(bid, signOrder(sellerKey, bid));
    }

    function test_fillAsk_revertsWhenClaimIdZero() public {
        Order memory ask = askOrder(seller, 0, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "claimId"));
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(sellerKey, ask));
    }

    function test_fillAsk_revertsWhenClassIdSet() public {
        Order memory ask = askOrder(seller, id, 1e6);
        ask.classId = GENERAL;
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "classId"));
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(sellerKey, ask));
    }

    function test_fillAsk_revertsWhenMaxAmountSet() public {
        Order memory ask = askOrder(seller, id, 1e6);
        ask.maxAmount = 1;
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "maxAmount"));
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(sellerKey, ask));
    }

    function test_fillAsk_acceptsAtExpiryAndRevertsAfter() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.warp(ask.expiry + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderExpired.selector, orderStructHash(ask), ask.expiry)
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        vm.warp(ask.expiry);
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), buyer, "expiry is inclusive");
    }

    function test_fillAsk_takerBindsBuyer() public {
        Order memory ask = askOrder(seller, id, 1e6);
        ask.taker = buyer2;
        bytes memory sig = signOrder(sellerKey, ask);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketWrongTaker.selector, orderStructHash(ask), buyer2, buyer)
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        vm.prank(buyer2);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), buyer2, "only the named taker fills");
    }

    function test_fillAsk_revertsWhenCounterStale() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.prank(seller);
        market.incrementCounter();
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketStaleCounter.selector, orderStructHash(ask), uint64(0), uint256(1)
            )
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenCancelled() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        Order[] memory os = new Order[](1);
        os[0] = ask;
        vm.prank(seller);
        market.cancel(os);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderCancelled.selector, orderStructHash(ask)));
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenSignedByOther() public {
        Order memory ask = askOrder(seller, id, 1e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), seller)
        );
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(buyerKey, ask));
    }

    function test_fillAsk_revertsWhenPriceChangedBySubmitter() public {
        Order memory ask = askOrder(seller, id, 60_000e6);
        bytes memory sig = signOrder(sellerKey, ask);
        ask.price = 1e6; // a third party cannot change the price
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), seller)
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenHighS() public {
        Order memory ask = askOrder(seller, id, 1e6);
        (bytes memory sig,) = highS(signOrder(sellerKey, ask));
        assertEq(
            recoverOf(digestOf(marketDomain(), orderStructHash(ask)), sig), seller, "malleated signature recovers"
        );
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), seller)
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenSignatureLengthWrong() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = abi.encodePacked(signOrder(sellerKey, ask), uint8(0)); // 66 bytes
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), seller)
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsOnOtherChain() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        bytes32 domainBefore = market.domainSeparator();
        vm.chainId(block.chainid + 7);
        assertTrue(market.domainSeparator() != domainBefore, "domain follows the chain id");
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), seller)
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsOnOtherMarketDeployment() public {
        ClaimToken t2 = deploySuite(address(usdc));
        ClaimMarket m2 = ClaimMarket(t2.market());
        attestOn(t2, seller, 1, US);
        attestOn(t2, buyer, 2, DE);
        uint256 id2 = mintOn(t2, seller, 100_000e6, ClaimStatus.Allowed);
        assertEq(id2, id, "same claim id on both deployments");
        vm.prank(buyer);
        usdc.approve(address(m2), type(uint256).max);

        Order memory ask = askOrder(seller, id, 1e6); // counter 0 on both
        bytes memory sigForMarket1 = signOrder(sellerKey, ask);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), seller)
        );
        vm.prank(buyer);
        m2.fillAsk(ask, sigForMarket1);

        vm.prank(buyer);
        m2.fillAsk(ask, signOrderFor(m2, sellerKey, ask));
        assertEq(t2.ownerOf(id2), buyer, "a signature for the second market works there");
        assertEq(token.ownerOf(id), seller, "the first deployment is untouched");
    }

    function test_fillAsk_revertsWhenMakerNoLongerHolds() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        move(seller, buyer2, id);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, seller, id, buyer2));
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenBuyerIneligible() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        fund(stranger, 10e6);
        vm.prank(stranger);
        usdc.approve(address(market), 10e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, stranger));
        vm.prank(stranger);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenClaimDisputedAfterListing() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        setStatus(id, ClaimStatus.Disputed);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotTransferable.selector, id, uint8(1)));
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenBuyerCannotPayAndNothingMoves() public {
        Order memory ask = askOrder(seller, id, 60_000e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.expectRevert(
            abi.encodeWithSelector(
                MockUSDC.MockUSDCInsufficientAllowance.selector, buyer3, address(market), uint256(0), 60_000e6
            )
        );
        vm.prank(buyer3); // funded, never approved the market
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), seller, "claim did not move");
        (uint256 filled,) = market.orderState(orderStructHash(ask));
        assertEq(filled, 0, "order still open");
    }

    function test_fillAsk_stablecoinPausedRevertsThenWorks() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        usdc.pause();
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        (uint256 filled,) = market.orderState(orderStructHash(ask));
        assertEq(filled, 0, "no order state consumed");
        assertEq(market.counterOf(seller), 0, "no counter consumed");
        usdc.unpause();
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), buyer, "fills after unpause");
    }

    function test_fillAsk_revertsWhenSellerBlacklisted() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        usdc.blacklist(seller);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), seller, "nothing moved");
    }

    // ================================================================== ERC-1271 makers
    function test_fillAsk_contractWalletMaker() public {
        uint256 ownerKey = 0x0771;
        MockERC1271Wallet w = new MockERC1271Wallet(vm.addr(ownerKey));
        attest(address(w), 1, US);
        move(seller, address(w), id);
        Order memory ask = askOrder(address(w), id, 5_000e6);
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(ownerKey, ask));
        assertEq(token.ownerOf(id), buyer, "claim from the contract wallet");
        assertEq(usdc.balanceOf(address(w)), 5_000e6, "wallet paid");
    }

    function test_fillAsk_revertsWhenContractWalletRevokedHash() public {
        uint256 ownerKey = 0x0771;
        MockERC1271Wallet w = new MockERC1271Wallet(vm.addr(ownerKey));
        attest(address(w), 1, US);
        move(seller, address(w), id);
        Order memory ask = askOrder(address(w), id, 5_000e6);
        bytes memory sig = signOrder(ownerKey, ask);
        vm.prank(vm.addr(ownerKey));
        w.revoke(digestOf(marketDomain(), orderStructHash(ask)));
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), address(w))
        );
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_fillAsk_revertsWhenContractWalletSignedByStranger() public {
        MockERC1271Wallet w = new MockERC1271Wallet(vm.addr(0x0771));
        attest(address(w), 1, US);
        move(seller, address(w), id);
        Order memory ask = askOrder(address(w), id, 5_000e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidSignature.selector, orderStructHash(ask), address(w))
        );
        vm.prank(buyer);
        market.fillAsk(ask, signOrder(0x0772, ask));
    }

    // ================================================================== permit
    function test_fillAskWithPermit_usesPermit() public {
        Order memory ask = askOrder(seller, id, 7_000e6);
        Permit memory p = usdcPermit(buyer3Key, address(market), 7_000e6, block.timestamp + 1 hours);
        vm.prank(buyer3);
        bytes32 h = market.fillAskWithPermit(ask, signOrder(sellerKey, ask), p);
        assertEq(h, orderStructHash(ask), "hash");
        assertEq(token.ownerOf(id), buyer3, "bought with a permit");
        assertEq(usdc.balanceOf(seller), 7_000e6, "paid");
        assertEq(usdc.allowance(buyer3, address(market)), 0, "permit spent exactly");
    }

    function test_fillAskWithPermit_survivesFrontRunPermit() public {
        Order memory ask = askOrder(seller, id, 7_000e6);
        Permit memory p = usdcPermit(buyer3Key, address(market), 7_000e6, block.timestamp + 1 hours);
        // a griefer copies the permit from the mempool and submits it first
        vm.prank(stranger);
        usdc.permit(buyer3, address(market), p.value, p.deadline, p.v, p.r, p.s);
        vm.prank(buyer3);
        market.fillAskWithPermit(ask, signOrder(sellerKey, ask), p);
        assertEq(token.ownerOf(id), buyer3, "still fills");
    }

    function test_fillAskWithPermit_revertsWhenPermitExpired() public {
        Order memory ask = askOrder(seller, id, 7_000e6);
        uint256 deadline = block.timestamp - 1;
        Permit memory p = usdcPermit(buyer3Key, address(market), 7_000e6, deadline);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketPermitExpired.selector, deadline));
        vm.prank(buyer3);
        market.fillAskWithPermit(ask, signOrder(sellerKey, ask), p);
    }

    function test_fillAskWithPermit_revertsWhenPermitInvalidAndNoAllowance() public {
        Order memory ask = askOrder(seller, id, 7_000e6);
        // buyer2 signed this permit; buyer3 submits it as if it were theirs
        Permit memory p = usdcPermit(buyer2Key, address(market), 7_000e6, block.timestamp + 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketPermitFailed.selector, buyer3, uint256(0), 7_000e6)
        );
        vm.prank(buyer3);
        market.fillAskWithPermit(ask, signOrder(sellerKey, ask), p);
    }

    function test_fillAskWithPermit_revertsWhenPermitValueTooSmall() public {
        Order memory ask = askOrder(seller, id, 7_000e6);
        Permit memory p = usdcPermit(buyer3Key, address(market), 6_999e6, block.timestamp + 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketPermitFailed.selector, buyer3, 6_999e6, 7_000e6)
        );
        vm.prank(buyer3);
        market.fillAskWithPermit(ask, signOrder(sellerKey, ask), p);
    }

    // ================================================================== fillBid: specific
    function test_fillBid_specificBidPaysSellerFromBuyer() public {
        Order memory bid = bidOrder(buyer, id, 55_000e6);
        bytes32 h = orderStructHash(bid);
        uint256 buyerBefore = usdc.balanceOf(buyer);
        vm.expectEmit(true, true, true, true, address(market));
        emit IClaimMarket.OrderFilled(h, buyer, seller, id, 55_000e6);
        vm.prank(seller);
        bytes32 ret = market.fillBid(bid, signOrder(buyerKey, bid), id);
        assertEq(ret, h, "hash");
        assertEq(token.ownerOf(id), buyer, "claim to the bidder");
        assertEq(usdc.balanceOf(seller), 55_000e6, "seller paid in full");
        assertEq(buyerBefore - usdc.balanceOf(buyer), 55_000e6, "bidder paid");
        (uint256 filled,) = market.orderState(h);
        assertEq(filled, 1, "filled");
    }

    function test_fillBid_revertsWhenFilledTwice() public {
        Order memory bid = bidOrder(buyer, id, 1e6);
        bytes memory sig = signOrder(buyerKey, bid);
        vm.prank(seller);
        market.fillBid(bid, sig, id);
        move(buyer, seller, id);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderFilled.selector, orderStructHash(bid)));
        vm.prank(seller);
        market.fillBid(bid, sig, id);
    }

    function test_fillBid_revertsWhenSideIsAsk() public {
        Order memory ask = askOrder(buyer, id, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketWrongSide.selector, uint8(1), uint8(0)));
        vm.prank(seller);
        market.fillBid(ask, signOrder(buyerKey, ask), id);
    }

    function test_fillBid_revertsWhenOtherClaimSold() public {
        uint256 other = mintClaim(seller, 1e6);
        Order memory bid = bidOrder(buyer, id, 1e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketClaimMismatch.selector, orderStructHash(bid), other)
        );
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), other);
    }

    function test_fillBid_revertsWhenSpecificBidHasClassId() public {
        Order memory bid = bidOrder(buyer, id, 1e6);
        bid.classId = GENERAL;
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "classId"));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_fillBid_revertsWhenSpecificBidHasMaxAmount() public {
        Order memory bid = bidOrder(buyer, id, 1e6);
        bid.maxAmount = 5;
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "maxAmount"));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_fillBid_revertsWhenCallerDoesNotHoldClaim() public {
        Order memory bid = bidOrder(buyer, id, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, buyer2, id, seller));
        vm.prank(buyer2); // cannot sell somebody else's claim into a bid
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_fillBid_takerBindsSeller() public {
        Order memory bid = bidOrder(buyer, id, 1e6);
        bid.taker = buyer2;
        bytes memory sig = signOrder(buyerKey, bid);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketWrongTaker.selector, orderStructHash(bid), buyer2, seller)
        );
        vm.prank(seller);
        market.fillBid(bid, sig, id);
    }

    function test_fillBid_approvalRaceCannotFundOtherBuyer() public {
        // buyer3 signs a bid without approving the market; buyer2's unlimited allowance must not pay for it
        Order memory bid = bidOrder(buyer3, id, 1_000e6);
        uint256 buyer2Before = usdc.balanceOf(buyer2);
        vm.expectRevert(
            abi.encodeWithSelector(
                MockUSDC.MockUSDCInsufficientAllowance.selector, buyer3, address(market), uint256(0), 1_000e6
            )
        );
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyer3Key, bid), id);
        assertEq(usdc.balanceOf(buyer2), buyer2Before, "buyer2 untouched");
        assertEq(token.ownerOf(id), seller, "nothing moved");
    }

    // ================================================================== fillBid: class bids
    function test_fillBid_classBidPartialFillsUpToMaxAmount() public {
        uint256 a = mintClaim(seller, GENERAL, 400e6, ClaimStatus.Allowed);
        uint256 b = mintClaim(seller, GENERAL, 500e6, ClaimStatus.Allowed);
        uint256 c = mintClaim(seller, GENERAL, 100e6 + 1, ClaimStatus.Allowed);
        Order memory bid = classBidOrder(buyer, GENERAL, 650_000, 1_000e6);
        bytes32 h = orderStructHash(bid);
        bytes memory sig = signOrder(buyerKey, bid);
        vm.startPrank(seller);
        vm.expectEmit(true, true, true, true, address(market));
        emit IClaimMarket.OrderFilled(h, buyer, seller, a, 260e6);
        market.fillBid(bid, sig, a);
        market.fillBid(bid, sig, b);
        (uint256 filled,) = market.orderState(h);
        assertEq(filled, 900e6, "allowed amount bought so far");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketFillExceedsOrder.selector, h, 900e6, 100e6 + 1, 1_000e6
            )
        );
        market.fillBid(bid, sig, c);
        vm.stopPrank();
        assertEq(usdc.balanceOf(seller), 260e6 + 325e6, "65 cents on the dollar");
        assertEq(token.ownerOf(c), seller, "the over-size claim stayed");
    }

    function test_fillBid_classBidFillsExactlyToMax() public {
        uint256 a = mintClaim(seller, GENERAL, 600e6, ClaimStatus.Allowed);
        uint256 b = mintClaim(seller, GENERAL, 400e6, ClaimStatus.Allowed);
        Order memory bid = classBidOrder(buyer, GENERAL, 500_000, 1_000e6);
        bytes memory sig = signOrder(buyerKey, bid);
        vm.startPrank(seller);
        market.fillBid(bid, sig, a);
        market.fillBid(bid, sig, b);
        vm.stopPrank();
        (uint256 filled,) = market.orderState(orderStructHash(bid));
        assertEq(filled, 1_000e6, "filled to the cent");
    }

    function test_fillBid_classBidPaymentRoundsDown() public {
        uint256 a = mintClaim(seller, GENERAL, 1_000_001, ClaimStatus.Allowed);
        Order memory bid = classBidOrder(buyer, GENERAL, 650_000, 10e6);
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), a);
        // 1_000_001 * 650_000 / 1e6 = 650_000.65 -> 650_000
        assertEq(usdc.balanceOf(seller), 650_000, "floor(amount * price / 1e6)");
    }

    function test_fillBid_classBidRevertsWhenClaimOfOtherClass() public {
        uint256 conv = mintClaim(seller, CONVENIENCE, 10e6, ClaimStatus.Allowed);
        Order memory bid = classBidOrder(buyer, GENERAL, 650_000, 100e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimMarket.ClaimMarketClaimMismatch.selector, orderStructHash(bid), conv)
        );
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), conv);
        assertEq(token.ownerOf(conv), seller, "rolled back");
    }

    function test_fillBid_classBidRevertsWhenClassIdZero() public {
        Order memory bid = classBidOrder(buyer, 0, 650_000, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "classId"));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_fillBid_classBidRevertsWhenMaxAmountZero() public {
        Order memory bid = classBidOrder(buyer, GENERAL, 650_000, 0);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "maxAmount"));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_fillBid_classBidRevertsWhenMaxAmountAbove128Bits() public {
        Order memory bid = classBidOrder(buyer, GENERAL, 650_000, uint256(type(uint128).max) + 1);
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketInvalidOrder.selector, "maxAmount"));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), id);
    }

    function test_fillBid_classBidRevertsWhenClaimDisputed() public {
        uint256 d = mintDisputed(seller, 10e6);
        Order memory bid = classBidOrder(buyer, GENERAL, 650_000, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotTransferable.selector, d, uint8(1)));
        vm.prank(seller);
        market.fillBid(bid, signOrder(buyerKey, bid), d);
    }

    function testFuzz_fillBid_classBidPartialFillsNeverExceedMax(uint96[5] memory amounts, uint256 maxAmount) public {
        maxAmount = bound(maxAmount, 1, 1_000_000e6);
        Order memory bid = classBidOrder(buyer, GENERAL, 900_000, maxAmount);
        bytes memory sig = signOrder(buyerKey, bid);
        bytes32 h = orderStructHash(bid);
        uint256 paid;
        for (uint256 i = 0; i < amounts.length; ++i) {
            uint96 amount = uint96(bound(amounts[i], 1, 400_000e6));
            uint256 c = mintClaim(seller, GENERAL, amount, ClaimStatus.Allowed);
            (uint256 before,) = market.orderState(h);
            if (before + amount > maxAmount) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        IClaimMarket.ClaimMarketFillExceedsOrder.selector, h, before, uint256(amount), maxAmount
                    )
                );
            } else {
                paid += uint256(amount) * 900_000 / 1e6;
            }
            vm.prank(seller);
            market.fillBid(bid, sig, c);
        }
        (uint256 filled,) = market.orderState(h);
        assertLe(filled, maxAmount, "never past maxAmount");
        assertEq(usdc.balanceOf(seller), paid, "payments are the floors");
    }

    // ================================================================== fillBatch
    function test_fillBatch_fillsAsksAndBidsAsCaller() public {
        uint256 mine = mintClaim(buyer2, 10e6);
        uint256 forClass = mintClaim(buyer2, GENERAL, 20e6, ClaimStatus.Allowed);
        Order memory ask = askOrder(seller, id, 1_000e6);
        Order memory bid = bidOrder(buyer, mine, 5e6);
        Order memory cbid = classBidOrder(buyer, GENERAL, 500_000, 20e6);
        Fill[] memory fs = new Fill[](3);
        fs[0] = Fill({order: ask, signature: signOrder(sellerKey, ask), claimId: 0});
        fs[1] = Fill({order: bid, signature: signOrder(buyerKey, bid), claimId: mine});
        fs[2] = Fill({order: cbid, signature: signOrder(buyerKey, cbid), claimId: forClass});
        uint256 before = usdc.balanceOf(buyer2);
        vm.prank(buyer2);
        market.fillBatch(fs);
        assertEq(token.ownerOf(id), buyer2, "bought the ask");
        assertEq(token.ownerOf(mine), buyer, "sold into the bid");
        assertEq(token.ownerOf(forClass), buyer, "sold into the class bid");
        assertEq(before + 5e6 + 10e6 - usdc.balanceOf(buyer2), 1_000e6, "net cash of the batch");
    }

    function test_fillBatch_allOrNothing() public {
        Order memory ask = askOrder(seller, id, 1_000e6);
        uint256 other = mintClaim(seller, 1e6);
        Order memory expired = askOrder(seller, other, 1e6);
        expired.expiry = uint64(block.timestamp - 1);
        Fill[] memory fs = new Fill[](2);
        fs[0] = Fill({order: ask, signature: signOrder(sellerKey, ask), claimId: 0});
        fs[1] = Fill({order: expired, signature: signOrder(sellerKey, expired), claimId: 0});
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketOrderExpired.selector, orderStructHash(expired), expired.expiry
            )
        );
        vm.prank(buyer);
        market.fillBatch(fs);
        assertEq(token.ownerOf(id), seller, "the good fill was rolled back");
        (uint256 filled,) = market.orderState(orderStructHash(ask));
        assertEq(filled, 0, "order still open");
        assertEq(usdc.balanceOf(seller), 0, "no money moved");
    }

    function test_fillBatch_revertsWhenSameOrderTwice() public {
        Order memory ask = askOrder(seller, id, 1_000e6);
        Fill[] memory fs = new Fill[](2);
        fs[0] = Fill({order: ask, signature: signOrder(sellerKey, ask), claimId: 0});
        fs[1] = fs[0];
        vm.expectRevert(abi.encodeWithSelector(IClaimMarket.ClaimMarketOrderFilled.selector, orderStructHash(ask)));
        vm.prank(buyer);
        market.fillBatch(fs);
    }

    function test_fillBatch_classBidAccumulatesWithinBatch() public {
        uint256 a = mintClaim(seller, GENERAL, 60e6, ClaimStatus.Allowed);
        uint256 b = mintClaim(seller, GENERAL, 50e6, ClaimStatus.Allowed);
        Order memory cbid = classBidOrder(buyer, GENERAL, 500_000, 100e6);
        bytes memory sig = signOrder(buyerKey, cbid);
        Fill[] memory fs = new Fill[](2);
        fs[0] = Fill({order: cbid, signature: sig, claimId: a});
        fs[1] = Fill({order: cbid, signature: sig, claimId: b});
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimMarket.ClaimMarketFillExceedsOrder.selector, orderStructHash(cbid), 60e6, 50e6, 100e6
            )
        );
        vm.prank(seller);
        market.fillBatch(fs);
    }

    function test_fillBatch_revertsWhenEmpty() public {
        vm.expectRevert(IClaimMarket.ClaimMarketEmptyBatch.selector);
        market.fillBatch(new Fill[](0));
    }

    // ================================================================== non-canonical encodings
    function test_hashOrder_revertsWhenSideHasDirtyBits() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory data = abi.encodeCall(market.hashOrder, (ask));
        dirty(data, 2, 0x100); // side = 0 with bit 8 set
        (bool ok, bytes memory ret) = address(market).staticcall(data);
        assertFalse(ok, "rejected");
        assertEq(ret, abi.encodeWithSelector(IClaimMarket.ClaimMarketNonCanonicalOrder.selector), "custom error");
    }

    function test_cancel_revertsWhenSideHasDirtyBits() public {
        Order memory ask = askOrder(seller, id, 1e6);
        Order[] memory os = new Order[](1);
        os[0] = ask;
        bytes memory data = abi.encodeCall(market.cancel, (os));
        // cancel(Order[]): selector, offset, length, then the ten words of os[0]
        dirty(data, 2 + 2, 0x100);
        vm.prank(seller);
        (bool ok, bytes memory ret) = address(market).call(data);
        assertFalse(ok, "rejected");
        assertEq(ret, abi.encodeWithSelector(IClaimMarket.ClaimMarketNonCanonicalOrder.selector), "custom error");
        (, bool cancelled) = market.orderState(orderStructHash(ask));
        assertFalse(cancelled, "nothing cancelled");
    }

    function test_fillAsk_revertsWhenNarrowFieldsHaveDirtyBits() public {
        Order memory ask = askOrder(seller, id, 1e6);
        bytes memory sig = signOrder(sellerKey, ask);
        bytes memory clean = abi.encodeCall(market.fillAsk, (ask, sig));
        // word 0 maker, 1 taker, 7 expiry, 8 counter: dirty upper bits reach the hashing step
        uint256[4] memory words = [uint256(0), 1, 7, 8];
        uint256[4] memory bits = [uint256(1) << 160, uint256(1) << 160, uint256(1) << 64, uint256(1) << 64];
        for (uint256 i = 0; i < 4; ++i) {
            bytes memory data = bytes.concat(clean);
            dirty(data, words[i], bits[i]);
            vm.prank(buyer);
            (bool ok, bytes memory ret) = address(market).call(data);
            assertFalse(ok, "rejected");
            assertEq(ret, abi.encodeWithSelector(IClaimMarket.ClaimMarketNonCanonicalOrder.selector), "custom error");
        }
        // dirty `side` / `classId`: _fillAsk reads them before hashing, so solc's own calldata validation rejects
        // them first, with empty revert data (reported to the lead: hashing first would give the custom error).
        uint256[2] memory early = [uint256(2), 3];
        for (uint256 i = 0; i < 2; ++i) {
            bytes memory data = bytes.concat(clean);
            dirty(data, early[i], uint256(1) << 200);
            vm.prank(buyer);
            (bool ok, bytes memory ret) = address(market).call(data);
            assertFalse(ok, "rejected before anything moves");
            assertTrue(
                ret.length == 0
                    || keccak256(ret)
                        == keccak256(abi.encodeWithSelector(IClaimMarket.ClaimMarketNonCanonicalOrder.selector)),
                "solc validation or the custom error"
            );
        }
        assertEq(token.ownerOf(id), seller, "nothing filled");
        vm.prank(buyer);
        (bool okClean,) = address(market).call(clean);
        assertTrue(okClean, "the canonical encoding fills");
    }

    /// @dev ORs `bits` into ABI word `word` (counted after the selector) of `data`.
    function dirty(bytes memory data, uint256 word, uint256 bits) internal pure {
        uint256 offset = 4 + 32 * word;
        uint256 v;
        assembly {
            v := mload(add(add(data, 0x20), offset))
        }
        v |= bits;
        assembly {
            mstore(add(add(data, 0x20), offset), v)
        }
    }
}
