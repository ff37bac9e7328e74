// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Fixture} from "./utils/Fixture.sol";
import {Order, ClaimStatus} from "../../contracts/types/ClaimTypes.sol";

contract SmokeTest is Fixture {
    function test_fillAsk_movesClaimAndExactPrice() public {
        uint256 id = mintClaim(seller, 100_000e6);
        Order memory ask = askOrder(seller, id, 60_000e6);
        bytes memory sig = signOrder(sellerKey, ask);
        assertEq(market.hashOrder(ask), orderStructHash(ask), "struct hash");
        uint256 before = usdc.balanceOf(buyer);
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), buyer, "owner");
        assertEq(usdc.balanceOf(seller), 60_000e6, "seller paid in full");
        assertEq(before - usdc.balanceOf(buyer), 60_000e6, "buyer paid");
    }

    function test_payout_holderOfRecord() public {
        uint256 id = mintClaim(seller, GENERAL, 100_000e6, ClaimStatus.Allowed);
        vm.prank(trust);
        uint32 r = distributor.declareRound(GENERAL, 720_000);
        Order memory ask = askOrder(seller, id, 60_000e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        distributor.payout(r, id, 0);
        assertEq(usdc.balanceOf(seller), 60_000e6 + 72_000e6, "seller is holder of record");
    }
}
