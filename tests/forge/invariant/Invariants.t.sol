// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "../utils/Test.sol";
import {Handler} from "./Handler.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {ClaimDistributor} from "../../../contracts/ClaimDistributor.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {FeeOnTransferToken} from "../../../contracts/mocks/FeeOnTransferToken.sol";
import {CallbackToken} from "../../../contracts/mocks/CallbackToken.sol";
import {NoReturnToken} from "../../../contracts/mocks/NoReturnToken.sol";
import {ClaimView, ClassView, RoundView, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice The four invariants of the suite, over random sequences of every action (see Handler):
/// (1) the market's stablecoin covers all open deposits, and each deposit ends at its buyer or at the seller of its
///     fill; (2) payout conservation: paid + returned + held == funded, per round paid + returned <= funded, and the
///     dust of a round is at most the number of its claims; (3) no ineligible wallet ever receives a claim;
///     (4) no (round, claim) is settled twice, and nobody is paid above the exact share.
/// Each concrete suite runs them on another stablecoin: USDC-like (pause, blacklist), fee-on-transfer, with
/// re-entering transfer hooks, and returning no boolean.
abstract contract InvariantSuite is Test {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    ClaimToken internal token;
    ClaimMarket internal market;
    ClaimDistributor internal distributor;
    IERC20 internal stable;
    Handler internal handler;

    address internal constant ADMIN = address(0xAD);
    address internal constant VALIDATOR = address(0x7A1);
    address internal constant VERIFIER = address(0x7E2);
    address internal constant COMPLIANCE = address(0xC0);
    address internal constant RECOVERY = address(0x5EC);
    address internal constant PAUSER = address(0x9A);
    address internal constant TRUST = address(0x7257);
    address internal constant RESOLVER = address(0x2E5);

    function _deployStable() internal virtual returns (IERC20 stable_, bool exact);

    function setUp() public {
        vm.warp(1_750_000_000);
        bool exact;
        (stable, exact) = _deployStable();
        token = new ClaimToken(address(stable), ADMIN);
        market = ClaimMarket(token.market());
        distributor = ClaimDistributor(token.distributor());
        vm.startPrank(ADMIN);
        token.grantRole(token.VALIDATOR_ROLE(), VALIDATOR);
        token.grantRole(token.VERIFIER_ROLE(), VERIFIER);
        token.grantRole(token.COMPLIANCE_ROLE(), COMPLIANCE);
        token.grantRole(token.RECOVERY_ROLE(), RECOVERY);
        token.grantRole(token.PAUSER_ROLE(), PAUSER);
        token.grantRole(token.DISTRIBUTOR_ROLE(), TRUST);
        token.grantRole(token.RESOLVER_ROLE(), RESOLVER);
        vm.stopPrank();
        vm.startPrank(VALIDATOR);
        token.defineClass(1, 1);
        token.defineClass(2, 1);
        vm.stopPrank();

        uint256[] memory keys = new uint256[](6);
        for (uint256 i = 0; i < keys.length; ++i) {
            keys[i] = 0xA000 + i;
        }
        handler = new Handler(
            token,
            stable,
            exact,
            [VALIDATOR, VERIFIER, COMPLIANCE, RECOVERY, PAUSER, TRUST, RESOLVER, address(this)],
            keys
        );
        // The stablecoin's owner (mint, pause, blacklist) is this test contract; the handler acts as it by prank.
        for (uint256 i = 0; i < keys.length; ++i) {
            address a = vm.addr(keys[i]);
            vm.prank(VERIFIER);
            token.attest(a, uint64(i / 2 + 1), 840, uint40(block.timestamp + 200 days), 0);
        }
        _mintStable(TRUST, type(uint128).max);
        vm.prank(TRUST);
        (bool ok,) = address(stable).call(abi.encodeCall(IERC20.approve, (address(distributor), type(uint256).max)));
        assertTrue(ok, "trust approves the distributor");
    }

    function _mintStable(address to, uint256 amount) internal {
        (bool ok,) = address(stable).call(abi.encodeWithSignature("mint(address,uint256)", to, amount));
        assertTrue(ok, "mint stable");
    }

    function targetContracts() public view returns (address[] memory list) {
        list = new address[](1);
        list[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory list) {
        bytes4[] memory s = new bytes4[](27);
        s[0] = handler.attest.selector;
        s[1] = handler.revoke.selector;
        s[2] = handler.restrict.selector;
        s[3] = handler.warp.selector;
        s[4] = handler.pause.selector;
        s[5] = handler.stablecoinPause.selector;
        s[6] = handler.stablecoinBlacklist.selector;
        s[7] = handler.mint.selector;
        s[8] = handler.mint.selector;
        s[9] = handler.amend.selector;
        s[10] = handler.setStatus.selector;
        s[11] = handler.transfer.selector;
        s[12] = handler.recover.selector;
        s[13] = handler.fillAsk.selector;
        s[14] = handler.fillAsk.selector;
        s[15] = handler.placeEscrowedBid.selector;
        s[16] = handler.placeEscrowedBid.selector;
        s[17] = handler.fillBid.selector;
        s[18] = handler.withdraw.selector;
        s[19] = handler.cancel.selector;
        s[20] = handler.incrementCounter.selector;
        s[21] = handler.rolesRaidEscrow.selector;
        s[22] = handler.declareRound.selector;
        s[23] = handler.payout.selector;
        s[24] = handler.payoutBatch.selector;
        s[25] = handler.release.selector;
        s[26] = handler.returnWithheld.selector;
        list = new FuzzSelector[](3);
        list[0] = FuzzSelector({addr: address(handler), selectors: s});
        bytes4[] memory hostile = new bytes4[](2);
        hostile[0] = handler.mintToReentrant.selector;
        hostile[1] = handler.armReentrant.selector;
        list[1] = FuzzSelector({addr: address(handler), selectors: hostile});
        bytes4[] memory payouts = new bytes4[](3);
        payouts[0] = handler.payout.selector;
        payouts[1] = handler.fillBid.selector;
        payouts[2] = handler.declareRound.selector;
        list[2] = FuzzSelector({addr: address(handler), selectors: payouts});
    }

    // ------------------------------------------------------------------ (1) escrow
    function invariant_escrowCoversOpenDeposits() public view {
        uint256 deposits = market.totalDeposits();
        assertGe(stable.balanceOf(address(market)), deposits, "market balance >= open deposits");
        assertEq(
            handler.ghostCredited(),
            handler.ghostWithdrawn() + handler.ghostEscrowPaid() + deposits,
            "every credited unit is withdrawn to its buyer, paid to a fill's seller, or still escrowed"
        );
        assertFalse(handler.escrowLeak(), "escrow left to someone other than its buyer or its fill's seller");
    }

    // ------------------------------------------------------------------ (2) conservation
    function invariant_payoutConservation() public view {
        uint32 n = token.epoch();
        uint256 funded;
        uint256 paid;
        uint256 returned;
        for (uint32 r = 1; r <= n; ++r) {
            RoundView memory v = distributor.roundOf(r);
            uint256 paidInRound = handler.ghostPaidInRound(r);
            assertLe(paidInRound + v.returned, v.funded, "round pays out at most its funding");
            funded += v.funded;
            paid += paidInRound;
            returned += v.returned;
        }
        assertEq(funded, handler.ghostFunded(), "funded");
        assertEq(paid, handler.ghostPaid(), "paid");
        assertEq(returned, handler.ghostReturned(), "returned");
        assertEq(stable.balanceOf(address(distributor)), funded - paid - returned, "distributor holds the rest");
    }

    /// Dust of a round = funding minus the exact shares of the claims of record; 0 <= dust <= number of claims.
    /// O(rounds x claims), so it runs once at the end of every sequence rather than after every call.
    function afterInvariant() public view {
        uint32 n = token.epoch();
        uint256 claims = token.claimCount();
        for (uint32 r = 1; r <= n; ++r) {
            RoundView memory v = distributor.roundOf(r);
            uint256 owed;
            uint256 count;
            for (uint256 id = 1; id <= claims; ++id) {
                (bool ok, uint256 share) = _shareOfRecord(r, id, v);
                if (ok) {
                    owed += share;
                    count += 1;
                }
            }
            assertLe(owed, v.funded, "shares of record never exceed the funding");
            assertLe(v.funded - owed, count, "dust at most one base unit per claim");
        }
    }

    // ------------------------------------------------------------------ (3) eligibility
    function invariant_noIneligibleReceiver() public view {
        assertFalse(handler.ineligibleReceiver(), "a claim reached an ineligible wallet");
    }

    function invariant_classTotalsExact() public view {
        uint256 claims = token.claimCount();
        for (uint32 k = 1; k <= 2; ++k) {
            uint256 total;
            uint256 disputed;
            for (uint256 id = 1; id <= claims; ++id) {
                ClaimView memory c = token.claimOf(id);
                if (c.classId != k || c.status == ClaimStatus.Expunged) continue;
                total += c.amount;
                if (c.status == ClaimStatus.Disputed) disputed += c.amount;
            }
            ClassView memory v = token.classOf(k);
            assertEq(v.totalAllowed, total, "class total");
            assertEq(v.disputedAllowed, disputed, "class disputed total");
        }
    }

    // ------------------------------------------------------------------ (4) payouts
    function invariant_noDoublePayout() public view {
        assertFalse(handler.doubleSettled(), "a (round, claim) settled twice");
        assertFalse(handler.overPaid(), "paid above the exact share");
        assertFalse(handler.wrongPayee(), "money went to someone other than the holder of record");
    }

    function _shareOfRecord(uint32 r, uint256 id, RoundView memory v) private view returns (bool, uint256) {
        uint256 count = token.recordCount(id);
        uint256 hint;
        for (uint256 i = 0; i < count; ++i) {
            if (token.recordOf(id, i).fromEpoch < r && r <= token.recordOf(id, i).toEpoch) hint = i;
        }
        try token.recordAt(id, r, hint) returns (address, uint96 amount, uint8 status, uint8, uint32 classId) {
            if (classId != v.classId || status == uint8(ClaimStatus.Expunged)) return (false, 0);
            return (true, uint256(amount) * v.rateDelta / 1e6);
        } catch {
            return (false, 0);
        }
    }
}

/// forge-config: default.invariant.runs = 130
/// forge-config: default.invariant.depth = 400
contract InvariantsUSDCTest is InvariantSuite {
    function _deployStable() internal override returns (IERC20, bool) {
        return (IERC20(address(new MockUSDC())), true);
    }
}

/// forge-config: default.invariant.runs = 40
/// forge-config: default.invariant.depth = 400
contract InvariantsFeeOnTransferTest is InvariantSuite {
    function _deployStable() internal override returns (IERC20, bool) {
        return (IERC20(address(new FeeOnTransferToken(100))), false);
    }
}

/// forge-config: default.invariant.runs = 40
/// forge-config: default.invariant.depth = 400
contract InvariantsCallbackTokenTest is InvariantSuite {
    function _deployStable() internal override returns (IERC20, bool) {
        return (IERC20(address(new CallbackToken())), true);
    }
}

/// forge-config: default.invariant.runs = 40
/// forge-config: default.invariant.depth = 400
contract InvariantsNoReturnTokenTest is InvariantSuite {
    function _deployStable() internal override returns (IERC20, bool) {
        return (IERC20(address(new NoReturnToken())), true);
    }
}
