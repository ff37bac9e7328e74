// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Handler} from "./Handler.sol";
import {InvariantSuite} from "./Invariants.t.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";

/// @notice The invariants are only as strong as the sequences behind them: this walks the handler through a
/// scripted lifecycle and requires every kind of action to succeed at least once, so a handler whose actions all
/// revert (and whose invariants would then hold trivially) fails here. (It inherits the suite's invariant
/// functions; the campaigns that count are the Invariants*Test contracts', so this one's is minimal.)
/// forge-config: default.invariant.runs = 1
/// forge-config: default.invariant.depth = 2
contract HandlerCoverageTest is InvariantSuite {
    function _deployStable() internal override returns (IERC20, bool) {
        return (IERC20(address(new MockUSDC())), true);
    }

    function test_handler_everyActionSucceedsOnAScriptedLifecycle() public {
        Handler h = handler;
        // Claims for actors 0..5 in both classes, one of them disputed.
        for (uint256 i = 0; i < 6; ++i) {
            h.mint(i, 100_000e6 + i, i, false);
        }
        h.mint(1, 50_000e6, 1, true);
        h.transfer(0, 2); // claim 1: actor 0 -> actor 2
        h.recover(0); // claim 1: actor 2 -> actor 3 (same entity)
        h.fillAsk(1, 5, 60_000e6); // claim 2: actor 1 sells to actor 5
        h.placeEscrowedBid(4, 2, 55_000e6, 70_000e6, false); // specific bid for claim 3
        h.fillBid(0, 0);
        h.placeEscrowedBid(5, 0, 700_000, 200_000e6, true); // class bid, class 1
        h.withdraw(1, false);
        h.declareRound(1, 720_000);
        h.declareRound(0, 540_000);
        h.setStatus(4, 2); // claim 5 (class 1) -> expunged after round 2: its share is withheld
        h.payout(0, 3); // round 1 (class 2), claim 4
        h.payoutBatch(1); // round 2 (class 1): pays claims 2, 3, 6, passes over the expunged claim 5
        h.setStatus(6, 0); // claim 7 (disputed) -> allowed
        h.release(0, 6, true);
        h.returnWithheld(1, 4); // claim 5's round-2 share goes back to the trust

        bytes4[12] memory done = [
            h.mint.selector,
            h.transfer.selector,
            h.recover.selector,
            h.fillAsk.selector,
            h.placeEscrowedBid.selector,
            h.fillBid.selector,
            h.withdraw.selector,
            h.declareRound.selector,
            h.payout.selector,
            h.payoutBatch.selector,
            h.release.selector,
            h.returnWithheld.selector
        ];
        for (uint256 i = 0; i < done.length; ++i) {
            if (h.successes(done[i]) == 0) revert AssertionFailed("action (index into done) never succeeded", i, 0);
        }
        invariant_escrowCoversOpenDeposits();
        invariant_payoutConservation();
        invariant_noDoublePayout();
        invariant_noIneligibleReceiver();
        invariant_classTotalsExact();
        afterInvariant();
    }
}
