// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {UnitBase} from "./UnitBase.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {Record, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Holder of record: the epoch, recordAt for current values and for history via hint, NotOfRecord,
/// BadRecordHint, and that trading between rounds writes no history.
contract ClaimTokenRecordTest is UnitBase {
    uint8 internal constant ALLOWED = 0;
    uint8 internal constant DISPUTED = 1;

    function test_epoch_startsAtZeroAndCountsRoundsOfEveryClass() public {
        assertEq(token.epoch(), 0, "start");
        mintClaim(seller, 100e6);
        mintClaim(seller, CONVENIENCE, 10e6, ClaimStatus.Allowed);
        declare(GENERAL, 100_000);
        assertEq(token.epoch(), 1, "after one");
        declare(CONVENIENCE, 100_000);
        assertEq(token.epoch(), 2, "global across classes");
    }

    function test_beginRound_emitsRoundOpenedWithTotalsOfRecord() public {
        mintClaim(seller, 100e6);
        mintDisputed(buyer, 30e6);
        vm.expectEmit(true, true, false, true, address(token));
        emit IClaimToken.RoundOpened(1, GENERAL, 130e6, 30e6);
        declare(GENERAL, 500_000);
    }

    function test_beginRound_revertsWhenClassUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenUnknownClass.selector, uint32(42)));
        declare(42, 500_000);
    }

    function test_recordAt_currentValuesWhenUnchangedSinceRound() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 720_000);
        (address holder, uint96 amount, uint8 rs, uint8 cs, uint32 classId) = token.recordAt(id, 1, 999);
        assertEq(holder, seller, "holder");
        assertEq(amount, 100e6, "amount");
        assertEq(rs, ALLOWED, "record status");
        assertEq(cs, ALLOWED, "current status");
        assertEq(classId, GENERAL, "class");
        assertEq(token.recordCount(id), 0, "no history needed");
    }

    function test_recordAt_historyEntryAfterSaleFollowingRound() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 720_000);
        move(seller, buyer, id);
        assertEq(token.recordCount(id), 1, "one entry");
        Record memory r = token.recordOf(id, 0);
        assertEq(r.holder, seller, "entry holder");
        assertEq(r.amount, 100e6, "entry amount");
        assertEq(r.status, ALLOWED, "entry status");
        assertEq(r.fromEpoch, 0, "from");
        assertEq(r.toEpoch, 1, "to");

        (address holder,,,,) = token.recordAt(id, 1, 0);
        assertEq(holder, seller, "seller is of record for round 1");
        declare(GENERAL, 900_000);
        (holder,,,,) = token.recordAt(id, 2, 0);
        assertEq(holder, buyer, "buyer is of record for round 2");
    }

    function test_recordAt_walksSeveralEntriesByHint() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 100_000); // round 1: seller, 100, Allowed
        move(seller, buyer, id);
        declare(GENERAL, 200_000); // round 2: buyer, 100, Allowed
        vm.prank(validator);
        token.amendAmount(id, 60e6);
        declare(GENERAL, 300_000); // round 3: buyer, 60, Allowed
        setStatus(id, ClaimStatus.Disputed);
        declare(GENERAL, 400_000); // round 4: buyer, 60, Disputed (current values)
        assertEq(token.recordCount(id), 3, "three entries");

        (address h, uint96 a, uint8 rs, uint8 cs,) = token.recordAt(id, 1, 0);
        assertEq(h, seller, "r1 holder");
        assertEq(a, 100e6, "r1 amount");
        assertEq(cs, DISPUTED, "current status is reported beside the record");
        (h, a, rs,,) = token.recordAt(id, 2, 1);
        assertEq(h, buyer, "r2 holder");
        assertEq(a, 100e6, "r2 amount");
        (h, a, rs,,) = token.recordAt(id, 3, 2);
        assertEq(a, 60e6, "r3 amount");
        assertEq(rs, ALLOWED, "r3 status");
        (h, a, rs,,) = token.recordAt(id, 4, 0);
        assertEq(rs, DISPUTED, "r4 status from current values");
        assertEq(a, 60e6, "r4 amount");
    }

    function test_recordAt_oneEntryCoversSeveralRounds() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 100_000);
        declare(GENERAL, 200_000);
        declare(GENERAL, 300_000);
        move(seller, buyer, id);
        assertEq(token.recordCount(id), 1, "one entry for rounds 1..3");
        Record memory r = token.recordOf(id, 0);
        assertEq(r.fromEpoch, 0, "from");
        assertEq(r.toEpoch, 3, "to");
        for (uint32 round = 1; round <= 3; ++round) {
            (address h,,,,) = token.recordAt(id, round, 0);
            assertEq(h, seller, "seller of record");
        }
    }

    function test_recordAt_revertsWhenMintedAfterRound() public {
        mintClaim(seller, 100e6);
        declare(GENERAL, 100_000);
        uint256 late = mintClaim(buyer, 50e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotOfRecord.selector, late, uint32(1)));
        token.recordAt(late, 1, 0);
        // still not of record once the late claim has history of its own
        declare(GENERAL, 200_000);
        move(buyer, seller, late);
        assertEq(token.recordCount(late), 1, "late claim has history now");
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotOfRecord.selector, late, uint32(1)));
        token.recordAt(late, 1, 0);
        (address h,,,,) = token.recordAt(late, 2, 0);
        assertEq(h, buyer, "of record for round 2");
    }

    function test_recordAt_revertsWhenRoundZero() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotOfRecord.selector, id, uint32(0)));
        token.recordAt(id, 0, 0);
    }

    function test_recordAt_revertsWhenHintOutOfRange() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 100_000);
        move(seller, buyer, id);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenBadRecordHint.selector, id, uint32(1), uint256(1))
        );
        token.recordAt(id, 1, 1);
    }

    function test_recordAt_revertsWhenHintPointsAtOtherEntry() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 100_000);
        move(seller, buyer, id);
        declare(GENERAL, 200_000);
        move(buyer, seller, id);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenBadRecordHint.selector, id, uint32(2), uint256(0))
        );
        token.recordAt(id, 2, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenBadRecordHint.selector, id, uint32(1), uint256(1))
        );
        token.recordAt(id, 1, 1);
    }

    function test_recordAt_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(4)));
        token.recordAt(4, 1, 0);
    }

    function test_recordOf_revertsWhenIndexOutOfRange() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", uint256(0x32)));
        token.recordOf(id, 0);
    }

    function test_transferFrom_manyTradesBetweenRoundsWriteNoHistory() public {
        uint256 id = mintClaim(seller, 100e6);
        for (uint256 i = 0; i < 4; ++i) {
            move(seller, buyer, id);
            move(buyer, seller, id);
        }
        assertEq(token.recordCount(id), 0, "no round yet: no history");
        declare(GENERAL, 100_000);
        move(seller, buyer, id);
        assertEq(token.recordCount(id), 1, "first change after a round records once");
        for (uint256 i = 0; i < 5; ++i) {
            move(buyer, buyer2, id);
            move(buyer2, buyer, id);
        }
        assertEq(token.recordCount(id), 1, "ten more trades in the same epoch: recordCount stays");
        (address h,,,,) = token.recordAt(id, 1, 0);
        assertEq(h, seller, "the round's holder of record is unchanged");
    }

    function test_amendAmount_afterRoundKeepsAmountOfRecord() public {
        uint256 id = mintClaim(seller, 100e6);
        declare(GENERAL, 100_000);
        vm.prank(validator);
        token.amendAmount(id, 40e6);
        (, uint96 a,,,) = token.recordAt(id, 1, 0);
        assertEq(a, 100e6, "amount of record");
        assertEq(token.claimOf(id).amount, 40e6, "current amount");
    }

    function test_recordAt_roundOfOtherClassStillReportsClass() public {
        uint256 conv = mintClaim(seller, CONVENIENCE, 10e6, ClaimStatus.Allowed);
        mintClaim(seller, 100e6);
        declare(GENERAL, 100_000); // a round of another class bumps the epoch too
        (address h,,,, uint32 classId) = token.recordAt(conv, 1, 0);
        assertEq(h, seller, "current values");
        assertEq(classId, CONVENIENCE, "the distributor rejects it by class");
    }
}
