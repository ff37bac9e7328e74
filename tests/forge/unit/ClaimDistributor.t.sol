// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Vm} from "../utils/Test.sol";
import {UnitBase} from "./UnitBase.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimDistributor} from "../../../contracts/ClaimDistributor.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {IClaimDistributor} from "../../../contracts/interfaces/IClaimDistributor.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {FeeOnTransferToken} from "../../../contracts/mocks/FeeOnTransferToken.sol";
import {ReentrantReceiver} from "../../../contracts/mocks/ReentrantReceiver.sol";
import {Order, RoundView, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @dev A 6-decimal token that calls `onTokenReceived` only on recipients that opted in, so the distributor (which
/// has no hook) can be funded while a hostile holder still gets a callback on its payout.
contract OptInHookToken is ERC20 {
    mapping(address => bool) public hooked;

    constructor() ERC20("Opt-in Hook USD", "OHUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function optIn(address who) external {
        hooked[who] = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && hooked[to]) ReentrantReceiver(to).onTokenReceived(from, value);
    }
}

/// @notice Distribution rounds: declaring and exact funding, holder-of-record payouts, withheld disputed shares,
/// release and return by the resolver, batch payouts and their skip reasons, conservation and rounding.
contract ClaimDistributorTest is UnitBase {
    // Amounts chosen so every share rounds: at 333,333 ppm the shares are 333,333 / 666,666 / 166,666,502 and the
    // round is funded ceil(503,000,011 * 0.333333) = 167,666,503, leaving 2 base units of dust.
    uint96 internal constant A = 1_000_001;
    uint96 internal constant B = 2_000_003;
    uint96 internal constant D = 500_000_007;
    uint64 internal constant RATE = 333_333;
    uint128 internal constant FUNDED = 167_666_503;
    uint256 internal constant SHARE_A = 333_333;
    uint256 internal constant SHARE_B = 666_666;
    uint256 internal constant SHARE_D = 166_666_502;

    uint8 internal constant SKIP_WITHHELD = 1;
    uint8 internal constant SKIP_SETTLED = 2;
    uint8 internal constant SKIP_NOT_ENTITLED = 3;
    uint8 internal constant SKIP_WRONG_CLASS = 4;
    uint8 internal constant SKIP_TRANSFER_FAILED = 5;

    uint256 internal a; // seller, Allowed
    uint256 internal b; // buyer, Allowed
    uint256 internal d; // buyer2, Disputed

    function setUp() public override {
        super.setUp();
        a = mintClaim(seller, GENERAL, A, ClaimStatus.Allowed);
        b = mintClaim(buyer, GENERAL, B, ClaimStatus.Allowed);
        d = mintClaim(buyer2, GENERAL, D, ClaimStatus.Disputed);
    }

    // ================================================================== declareRound
    function test_declareRound_pullsCeilFundingAndRecordsRound() public {
        uint256 trustBefore = usdc.balanceOf(trust);
        vm.expectEmit(true, true, false, true, address(token));
        emit IClaimToken.RoundOpened(1, GENERAL, A + B + D, D);
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.RoundDeclared(1, GENERAL, trust, RATE, RATE, A + B + D, D, FUNDED);
        uint32 r = declare(GENERAL, RATE);
        assertEq(r, 1, "first round id");
        assertEq(trustBefore - usdc.balanceOf(trust), FUNDED, "pulled exactly ceil(total * delta / 1e6)");
        assertEq(usdc.balanceOf(address(distributor)), FUNDED, "held by the distributor");
        RoundView memory v = distributor.roundOf(r);
        assertEq(v.classId, GENERAL, "class");
        assertEq(v.rateDelta, RATE, "delta");
        assertEq(v.cumulativeRate, RATE, "cumulative");
        assertEq(v.declaredAt, block.timestamp, "declaredAt");
        assertEq(v.funder, trust, "funder");
        assertEq(v.totalAllowed, A + B + D, "total of record, disputed included");
        assertEq(v.disputedAllowed, D, "disputed of record");
        assertEq(v.funded, FUNDED, "funded");
        assertEq(v.returned, 0, "returned");
        assertEq(distributor.cumulativeRateOf(GENERAL), RATE, "cumulativeRateOf");
        assertEq(distributor.cumulativeRateOf(CONVENIENCE), 0, "other class untouched");
    }

    function test_declareRound_laterRoundFundsOnlyTheDelta() public {
        declare(GENERAL, 720_000);
        uint256 before = usdc.balanceOf(trust);
        uint32 r2 = declare(GENERAL, 1_260_000); // "54% more"
        RoundView memory v = distributor.roundOf(r2);
        assertEq(v.rateDelta, 540_000, "delta");
        assertEq(v.cumulativeRate, 1_260_000, "cumulative");
        // ceil(503,000,011 * 0.54) = 271,620,006 (exactly 271,620,005.94)
        assertEq(before - usdc.balanceOf(trust), 271_620_006, "funded the delta only");
        assertEq(distributor.amountDue(r2, a, 0), uint256(A) * 540_000 / 1e6, "share of the delta");
    }

    function test_declareRound_revertsWhenRateEqual() public {
        declare(GENERAL, 720_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimDistributor.ClaimDistributorRateNotIncreasing.selector, GENERAL, uint64(720_000), uint64(720_000)
            )
        );
        declare(GENERAL, 720_000);
    }

    function test_declareRound_revertsWhenRateLower() public {
        declare(GENERAL, 720_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimDistributor.ClaimDistributorRateNotIncreasing.selector, GENERAL, uint64(720_000), uint64(1)
            )
        );
        declare(GENERAL, 1);
    }

    function test_declareRound_revertsWhenRateZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimDistributor.ClaimDistributorRateNotIncreasing.selector, GENERAL, uint64(0), uint64(0)
            )
        );
        declare(GENERAL, 0);
    }

    function test_declareRound_revertsWhenCallerNotDistributor() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimDistributor.ClaimDistributorUnauthorized.selector, admin, keccak256("DISTRIBUTOR_ROLE")
            )
        );
        vm.prank(admin);
        distributor.declareRound(GENERAL, RATE);
    }

    function test_declareRound_revertsWhenClassUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenUnknownClass.selector, uint32(77)));
        declare(77, RATE);
    }

    function test_declareRound_revertsWhenFunderCannotPayAndNothingChanges() public {
        vm.prank(trust);
        usdc.approve(address(distributor), FUNDED - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                MockUSDC.MockUSDCInsufficientAllowance.selector, trust, address(distributor), FUNDED - 1, FUNDED
            )
        );
        declare(GENERAL, RATE);
        assertEq(token.epoch(), 0, "epoch rolled back");
        assertEq(distributor.cumulativeRateOf(GENERAL), 0, "rate rolled back");
    }

    function test_declareRound_emptyClassFundsZero() public {
        uint32 r = declare(CONVENIENCE, 720_000);
        assertEq(distributor.roundOf(r).funded, 0, "nothing owed");
    }

    function test_declareRound_revertsWhenFundingArrivesShort() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100); // 1%
        ClaimToken t = deploySuite(address(fot));
        ClaimDistributor dist = ClaimDistributor(t.distributor());
        attestOn(t, seller, 1, US);
        mintOn(t, seller, 100e6, ClaimStatus.Allowed);
        fot.mint(trust, 1_000e6);
        vm.prank(trust);
        fot.approve(address(dist), type(uint256).max);
        // funded = 72e6; 1% burnt in transit
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorShortFunding.selector, 72e6, 71.28e6)
        );
        vm.prank(trust);
        dist.declareRound(GENERAL, 720_000);
    }

    /// @dev Threat row "unbounded loops": declaring costs the same whatever the number of claims in the class.
    function test_declareRound_gasFlatInNumberOfClaims() public {
        vm.startPrank(validator);
        token.defineClass(3, ESTATE);
        token.defineClass(4, ESTATE);
        vm.stopPrank();
        mintClaim(seller, 3, 10e6, ClaimStatus.Allowed);
        for (uint256 i = 0; i < 60; ++i) {
            mintClaim(seller, 4, 10e6, ClaimStatus.Allowed);
        }
        declare(GENERAL, 500_000); // warm-up: the first round ever writes the epoch from zero
        uint256 g0 = gasleft();
        declare(3, 500_000);
        uint256 oneClaim = g0 - gasleft();
        g0 = gasleft();
        declare(4, 500_000);
        uint256 manyClaims = g0 - gasleft();
        assertLe(manyClaims, oneClaim + 100, "60 claims cost what 1 claim costs");
        assertLe(oneClaim, manyClaims + 100, "and the other way");
    }

    // ================================================================== payout
    function test_payout_paysHolderOfRecordAndEmits() public {
        uint32 r = declare(GENERAL, RATE);
        assertEq(distributor.amountDue(r, a, 0), SHARE_A, "amountDue before");
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.PayoutMade(r, a, seller, SHARE_A);
        vm.prank(stranger); // anyone may trigger it
        uint256 paid = distributor.payout(r, a, 0);
        assertEq(paid, SHARE_A, "returns the amount");
        assertEq(usdc.balanceOf(seller), SHARE_A, "to the holder, not the caller");
        assertEq(usdc.balanceOf(stranger), 0, "caller gets nothing");
        assertTrue(distributor.isSettled(r, a), "settled");
        assertFalse(distributor.isSettled(r, b), "others not");
        assertEq(distributor.amountDue(r, a, 0), 0, "amountDue after");
        assertEq(usdc.balanceOf(address(distributor)), FUNDED - SHARE_A, "left the distributor");
    }

    function test_payout_revertsWhenAlreadySettled() public {
        uint32 r = declare(GENERAL, RATE);
        distributor.payout(r, a, 0);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorAlreadySettled.selector, r, a));
        distributor.payout(r, a, 0);
    }

    /// @dev Threat rows "transfer between record date and payment" and "double payout".
    function test_payout_sellerAfterDeclarationIsPaidBuyerOnlyNextRound() public {
        uint32 r1 = declare(GENERAL, RATE);
        Order memory ask = askOrder(seller, a, 1e6);
        vm.prank(buyer2);
        market.fillAsk(ask, signOrder(sellerKey, ask));
        assertEq(token.ownerOf(a), buyer2, "sold after the record date");
        uint256 sellerBefore = usdc.balanceOf(seller);
        uint256 buyerBefore = usdc.balanceOf(buyer2);
        distributor.payout(r1, a, 0);
        assertEq(usdc.balanceOf(seller) - sellerBefore, SHARE_A, "seller paid for round 1");
        assertEq(usdc.balanceOf(buyer2), buyerBefore, "buyer not paid for round 1");

        uint32 r2 = declare(GENERAL, 2 * RATE);
        move(buyer2, seller, a); // and even if it goes back before paying, round 2 belongs to the buyer
        distributor.payout(r2, a, 1); // history: [0] seller for round 1, [1] buyer2 for round 2
        assertEq(usdc.balanceOf(buyer2) - buyerBefore, SHARE_A, "buyer paid for round 2");
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorAlreadySettled.selector, r1, a));
        distributor.payout(r1, a, 0);
    }

    function test_payout_paysAmountOfRecordAfterAmendment() public {
        uint32 r = declare(GENERAL, RATE);
        vm.prank(validator);
        token.amendAmount(a, 10 * A);
        distributor.payout(r, a, 0);
        assertEq(usdc.balanceOf(seller), SHARE_A, "the amount when declared");
    }

    function test_payout_zeroShareSettlesWithoutTransfer() public {
        uint256 tiny = mintClaim(seller, CONVENIENCE, 1, ClaimStatus.Allowed);
        uint32 r = declare(CONVENIENCE, 720_000);
        assertEq(distributor.roundOf(r).funded, 1, "ceil funds one unit");
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.PayoutMade(r, tiny, seller, 0);
        assertEq(distributor.payout(r, tiny, 0), 0, "floor(0.72) = 0");
        assertTrue(distributor.isSettled(r, tiny), "settled");
    }

    function test_payout_revertsWhenRoundUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorUnknownRound.selector, uint32(1)));
        distributor.payout(1, a, 0);
    }

    function test_payout_revertsWhenClaimOfOtherClass() public {
        mintClaim(seller, CONVENIENCE, 5e6, ClaimStatus.Allowed);
        uint32 r = declare(CONVENIENCE, RATE);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorWrongClass.selector, r, a, GENERAL)
        );
        distributor.payout(r, a, 0);
    }

    function test_payout_revertsWhenClaimMintedAfterRound() public {
        uint32 r = declare(GENERAL, RATE);
        uint256 late = mintClaim(seller, GENERAL, 5e6, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotOfRecord.selector, late, r));
        distributor.payout(r, late, 0);
    }

    function test_payout_revertsWhenHintWrong() public {
        uint32 r = declare(GENERAL, RATE);
        move(seller, buyer, a);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenBadRecordHint.selector, a, r, uint256(3)));
        distributor.payout(r, a, 3);
    }

    function test_payout_revertsWhenDisputedAtRound() public {
        uint32 r = declare(GENERAL, RATE);
        assertEq(distributor.amountDue(r, d, 0), SHARE_D, "accrues");
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorWithheld.selector, r, d));
        distributor.payout(r, d, 0);
        assertFalse(distributor.isSettled(r, d), "still owed");
    }

    function test_payout_revertsWhenDisputedAtRoundEvenIfAllowedNow() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorWithheld.selector, r, d));
        distributor.payout(r, d, 0);
    }

    function test_payout_revertsWhenDisputedSinceRound() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(a, ClaimStatus.Disputed);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorWithheld.selector, r, a));
        distributor.payout(r, a, 0);
    }

    /// @dev Pins current behaviour, which is stricter than docs/DESIGN.md's wording ("withheld while its record
    /// status or its current status is Disputed"): a claim Allowed at the round but Expunged since is withheld too,
    /// and the resolver returns its share to the funder.
    function test_payout_revertsWhenExpungedSinceRound() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(a, ClaimStatus.Expunged);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorWithheld.selector, r, a));
        distributor.payout(r, a, 0);
        vm.prank(resolver);
        assertEq(distributor.returnWithheld(r, a, 0), SHARE_A, "returned to the trust");
    }

    function test_payout_revertsWhenExpungedBeforeRound() public {
        setStatus(a, ClaimStatus.Expunged);
        uint32 r = declare(GENERAL, RATE);
        assertEq(distributor.roundOf(r).totalAllowed, B + D, "left out of the total");
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotEntitled.selector, r, a));
        distributor.payout(r, a, 0);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotEntitled.selector, r, a));
        distributor.amountDue(r, a, 0);
    }

    function test_payout_blacklistedHolderRevertsAndStaysOwed() public {
        uint32 r = declare(GENERAL, RATE);
        usdc.blacklist(seller);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        distributor.payout(r, a, 0);
        assertFalse(distributor.isSettled(r, a), "not settled");
        usdc.unBlacklist(seller);
        distributor.payout(r, a, 0);
        assertEq(usdc.balanceOf(seller), SHARE_A, "paid once lifted");
    }

    function test_payout_worksWhileTokenPaused() public {
        uint32 r = declare(GENERAL, RATE);
        vm.prank(pauser);
        token.pause();
        distributor.payout(r, a, 0);
        assertEq(usdc.balanceOf(seller), SHARE_A, "pausing claims does not stop payouts");
    }

    /// @dev Threat row "unbounded loops": a payout costs the same for the first and the 60th claim of a class.
    function test_payout_gasFlatInNumberOfClaims() public {
        uint256 first = mintClaim(buyer, GENERAL, 10e6, ClaimStatus.Allowed);
        uint256 last;
        for (uint256 i = 0; i < 59; ++i) {
            last = mintClaim(buyer, GENERAL, 10e6, ClaimStatus.Allowed);
        }
        uint32 r = declare(GENERAL, RATE);
        distributor.payout(r, b, 0); // warm the shared slots the same way for both measurements
        uint256 g0 = gasleft();
        distributor.payout(r, first, 0);
        uint256 early = g0 - gasleft();
        g0 = gasleft();
        distributor.payout(r, last, 0);
        uint256 late = g0 - gasleft();
        assertLe(late, early + 100, "flat");
        assertLe(early, late + 100, "flat");
    }

    // ================================================================== release
    function test_release_paysHolderOfRecordOnceAllowed() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Allowed);
        move(buyer2, buyer, d); // resolved and then sold: the holder of record is still buyer2
        uint256 before = usdc.balanceOf(buyer2);
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.PayoutReleased(r, d, buyer2, SHARE_D);
        vm.prank(resolver);
        uint256 amount = distributor.release(r, d, 0);
        assertEq(amount, SHARE_D, "amount");
        assertEq(usdc.balanceOf(buyer2) - before, SHARE_D, "to the holder of record");
        assertEq(usdc.balanceOf(address(distributor)), FUNDED - SHARE_D, "left the distributor");
        assertTrue(distributor.isSettled(r, d), "settled");
    }

    function test_release_revertsWhenCallerNotResolver() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Allowed);
        address[4] memory wrong = [trust, validator, admin, buyer2];
        for (uint256 i = 0; i < wrong.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IClaimDistributor.ClaimDistributorUnauthorized.selector, wrong[i], keccak256("RESOLVER_ROLE")
                )
            );
            vm.prank(wrong[i]);
            distributor.release(r, d, 0);
        }
    }

    function test_release_revertsWhenStillDisputed() public {
        uint32 r = declare(GENERAL, RATE);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotResolved.selector, d, uint8(1))
        );
        vm.prank(resolver);
        distributor.release(r, d, 0);
    }

    function test_release_revertsWhenExpunged() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Expunged);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotResolved.selector, d, uint8(2))
        );
        vm.prank(resolver);
        distributor.release(r, d, 0);
    }

    function test_release_revertsWhenAlreadySettled() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Allowed);
        vm.startPrank(resolver);
        distributor.release(r, d, 0);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorAlreadySettled.selector, r, d));
        distributor.release(r, d, 0);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorAlreadySettled.selector, r, d));
        distributor.payout(r, d, 0);
    }

    function test_release_revertsWhenRoundUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorUnknownRound.selector, uint32(4)));
        vm.prank(resolver);
        distributor.release(4, d, 0);
    }

    // ================================================================== returnWithheld
    function test_returnWithheld_sendsExpungedShareBackToFunder() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Expunged);
        uint256 before = usdc.balanceOf(trust);
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.WithheldReturned(r, d, trust, SHARE_D);
        vm.prank(resolver);
        uint256 amount = distributor.returnWithheld(r, d, 0);
        assertEq(amount, SHARE_D, "amount");
        assertEq(usdc.balanceOf(trust) - before, SHARE_D, "back to the round's funder");
        assertEq(distributor.roundOf(r).returned, SHARE_D, "returned");
        assertEq(usdc.balanceOf(buyer2), 10_000_000e6, "holder got nothing");
    }

    function test_returnWithheld_revertsWhenNotExpunged() public {
        uint32 r = declare(GENERAL, RATE);
        vm.startPrank(resolver);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotResolved.selector, d, uint8(1))
        );
        distributor.returnWithheld(r, d, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotResolved.selector, a, uint8(0))
        );
        distributor.returnWithheld(r, a, 0);
        vm.stopPrank();
    }

    function test_returnWithheld_revertsWhenCallerNotResolver() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Expunged);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimDistributor.ClaimDistributorUnauthorized.selector, trust, keccak256("RESOLVER_ROLE")
            )
        );
        vm.prank(trust); // not even the funder may take it back itself
        distributor.returnWithheld(r, d, 0);
    }

    function test_returnWithheld_revertsWhenAlreadySettled() public {
        uint32 r = declare(GENERAL, RATE);
        setStatus(d, ClaimStatus.Expunged);
        vm.startPrank(resolver);
        distributor.returnWithheld(r, d, 0);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorAlreadySettled.selector, r, d));
        distributor.returnWithheld(r, d, 0);
        vm.stopPrank();
    }

    function test_returnWithheld_revertsWhenExpungedBeforeRound() public {
        setStatus(d, ClaimStatus.Expunged);
        uint32 r = declare(GENERAL, RATE);
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorNotEntitled.selector, r, d));
        vm.prank(resolver);
        distributor.returnWithheld(r, d, 0);
    }

    // ================================================================== payoutBatch
    function test_payoutBatch_paysAllAndReportsTotals() public {
        uint32 r = declare(GENERAL, RATE);
        (uint256[] memory ids, uint256[] memory hints) = pair(a, b);
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.PayoutMade(r, a, seller, SHARE_A);
        vm.expectEmit(true, true, true, true, address(distributor));
        emit IClaimDistributor.PayoutMade(r, b, buyer, SHARE_B);
        (uint256 count, uint256 amount) = distributor.payoutBatch(r, ids, hints);
        assertEq(count, 2, "count");
        assertEq(amount, SHARE_A + SHARE_B, "amount");
        assertEq(usdc.balanceOf(address(distributor)), FUNDED - SHARE_A - SHARE_B, "left the distributor");
        assertEq(usdc.balanceOf(seller), SHARE_A, "seller");
    }

    function test_payoutBatch_skipsEachReasonAndPaysTheRest() public {
        uint256 blacklisted = mintClaim(stranger2(), GENERAL, 3e6, ClaimStatus.Allowed);
        uint256 expunged = mintClaim(seller, GENERAL, 4e6, ClaimStatus.Allowed);
        setStatus(expunged, ClaimStatus.Expunged);
        uint256 conv = mintClaim(seller, CONVENIENCE, 5e6, ClaimStatus.Allowed);
        uint32 r = declare(GENERAL, RATE);
        uint256 late = mintClaim(seller, GENERAL, 6e6, ClaimStatus.Allowed);
        uint256 moved = mintClaim(buyer, GENERAL, 1, ClaimStatus.Allowed); // also minted after the round
        distributor.payout(r, b, 0); // already settled
        usdc.blacklist(stranger2());
        move(seller, buyer, a); // a has history now: hint 5 is bad

        uint256[] memory ids = new uint256[](9);
        uint256[] memory hints = new uint256[](9);
        ids[0] = d; // withheld
        ids[1] = b; // settled
        ids[2] = late; // not of record
        ids[3] = a;
        hints[3] = 5; // bad hint
        ids[4] = expunged; // not entitled
        ids[5] = conv; // wrong class
        ids[6] = blacklisted; // transfer refused
        ids[7] = 999; // no such claim
        ids[8] = moved; // not of record
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, d, SKIP_WITHHELD);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, b, SKIP_SETTLED);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, late, SKIP_NOT_ENTITLED);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, a, SKIP_NOT_ENTITLED);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, expunged, SKIP_NOT_ENTITLED);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, conv, SKIP_WRONG_CLASS);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, blacklisted, SKIP_TRANSFER_FAILED);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, 999, SKIP_NOT_ENTITLED);
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, moved, SKIP_NOT_ENTITLED);
        (uint256 count,) = distributor.payoutBatch(r, ids, hints);
        assertEq(count, 0, "nothing payable");
        assertFalse(distributor.isSettled(r, blacklisted), "the refused payout stays owed");

        // the same batch with the good hint and an honest holder next to the blacklisted one
        hints[3] = 0;
        (count,) = distributor.payoutBatch(r, ids, hints);
        assertEq(count, 1, "a paid despite the blacklisted holder beside it");
        assertEq(usdc.balanceOf(seller), SHARE_A, "seller paid");
        usdc.unBlacklist(stranger2());
        distributor.payout(r, blacklisted, 0);
        assertEq(usdc.balanceOf(stranger2()), uint256(3e6) * RATE / 1e6, "paid once lifted");
    }

    function test_payoutBatch_pausedStablecoinSkipsAllThenPays() public {
        uint32 r = declare(GENERAL, RATE);
        (uint256[] memory ids, uint256[] memory hints) = pair(a, b);
        usdc.pause();
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IClaimDistributor.PayoutSkipped(r, a, SKIP_TRANSFER_FAILED);
        (uint256 count, uint256 amount) = distributor.payoutBatch(r, ids, hints);
        assertEq(count + amount, 0, "nothing paid");
        assertEq(usdc.balanceOf(address(distributor)), FUNDED, "nothing left");
        usdc.unpause();
        (count,) = distributor.payoutBatch(r, ids, hints);
        assertEq(count, 2, "both after unpause");
    }

    function test_payoutBatch_revertsWhenLengthsDiffer() public {
        uint32 r = declare(GENERAL, RATE);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimDistributor.ClaimDistributorLengthMismatch.selector, uint256(2), uint256(1))
        );
        distributor.payoutBatch(r, new uint256[](2), new uint256[](1));
    }

    function test_payoutBatch_revertsWhenRoundUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorUnknownRound.selector, uint32(3)));
        distributor.payoutBatch(3, new uint256[](0), new uint256[](0));
    }

    function test_payoutBatch_sameClaimTwicePaysOnce() public {
        uint32 r = declare(GENERAL, RATE);
        (uint256[] memory ids, uint256[] memory hints) = pair(a, a);
        (uint256 count, uint256 amount) = distributor.payoutBatch(r, ids, hints);
        assertEq(count, 1, "once");
        assertEq(amount, SHARE_A, "one share");
        assertEq(usdc.balanceOf(seller), SHARE_A, "paid once");
    }

    // ================================================================== views
    function test_views_roundOfRevertsWhenUnknownAndConstants() public {
        assertEq(distributor.RATE_SCALE(), 1e6, "rate scale");
        assertEq(distributor.token(), address(token), "token");
        assertEq(distributor.stablecoin(), address(usdc), "stablecoin");
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorUnknownRound.selector, uint32(0)));
        distributor.roundOf(0);
    }

    function test_amountDue_revertsWhenRoundUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimDistributor.ClaimDistributorUnknownRound.selector, uint32(9)));
        distributor.amountDue(9, a, 0);
    }

    function test_isSettled_bitmapKeysOnClaimId() public {
        // claim 255 is the last bit of word 0, claim 256 the first bit of word 1
        for (uint256 i = 0; i < 251; ++i) {
            mintClaim(seller, CONVENIENCE, 1e6, ClaimStatus.Allowed);
        }
        uint256 c255 = mintClaim(seller, CONVENIENCE, 1e6, ClaimStatus.Allowed);
        uint256 c256 = mintClaim(seller, CONVENIENCE, 1e6, ClaimStatus.Allowed);
        assertEq(c255, 255, "ids");
        uint32 r = declare(CONVENIENCE, RATE);
        distributor.payout(r, c256, 0);
        assertTrue(distributor.isSettled(r, c256), "256 settled");
        assertFalse(distributor.isSettled(r, c255), "255 not");
        assertFalse(distributor.isSettled(r, 0), "0 not");
        distributor.payout(r, c255, 0);
        assertTrue(distributor.isSettled(r, c255), "255 settled");
        assertFalse(distributor.isSettled(r + 1, c255), "per round");
    }

    // ================================================================== conservation and rounding
    /// @dev Threat rows "rounding in pro-rata payouts" and "disputed release by the wrong role": per round
    /// funded == paid + returned + withheld + owed + dust, exactly; dust < claims; withheld never swept.
    function test_conservation_fundedEqualsPaidReturnedWithheldOwedDust() public {
        uint256 e = mintClaim(seller, GENERAL, 7_777_777, ClaimStatus.Disputed);
        uint32 r = declare(GENERAL, RATE);
        uint256 shareE = uint256(7_777_777) * RATE / 1e6;
        uint256 funded = distributor.roundOf(r).funded;
        vm.recordLogs();
        distributor.payout(r, a, 0); // paid
        setStatus(e, ClaimStatus.Expunged);
        vm.prank(resolver);
        distributor.returnWithheld(r, e, 0); // returned
        // b stays owed, d stays withheld
        uint256 paid = sumPaidEvents(r, vm.getRecordedLogs());
        uint256 returned = distributor.roundOf(r).returned;
        uint256 owed = distributor.amountDue(r, b, 0);
        uint256 withheld = distributor.amountDue(r, d, 0);
        assertEq(paid, SHARE_A, "paid (sum of PayoutMade + PayoutReleased)");
        assertEq(usdc.balanceOf(seller), paid, "the events match the money");
        assertEq(returned, shareE, "returned");
        assertEq(owed, SHARE_B, "owed");
        assertEq(withheld, SHARE_D, "withheld");
        uint256 dust = funded - paid - returned - owed - withheld;
        assertLt(dust, 4, "dust below the number of claims");
        assertEq(usdc.balanceOf(address(distributor)), funded - paid - returned, "balance holds owed+withheld+dust");
        // everything settled: only the dust remains, and withheld money was paid out, not swept
        vm.recordLogs();
        distributor.payout(r, b, 0);
        setStatus(d, ClaimStatus.Allowed);
        vm.prank(resolver);
        distributor.release(r, d, 0);
        paid += sumPaidEvents(r, vm.getRecordedLogs());
        assertEq(paid, SHARE_A + SHARE_B + SHARE_D, "all paid");
        assertEq(funded, paid + returned + dust, "funded == paid + returned + dust");
        assertEq(usdc.balanceOf(address(distributor)), dust, "only dust left");
    }

    function testFuzz_rounding_sumOwedWithinFundingAndDustBelowClaimCount(uint96[6] memory amounts, uint64 rate)
        public
    {
        rate = uint64(bound(rate, 1, 3_000_000));
        uint256[] memory ids = new uint256[](6);
        uint256 exactSum;
        for (uint256 i = 0; i < 6; ++i) {
            uint96 amt = uint96(bound(amounts[i], 1, 1e12));
            ids[i] = mintClaim(seller, CONVENIENCE, amt, ClaimStatus.Allowed);
            exactSum += uint256(amt) * rate;
        }
        uint32 r = declare(CONVENIENCE, rate);
        uint256 funded = distributor.roundOf(r).funded;
        assertEq(funded, (exactSum + 1e6 - 1) / 1e6, "ceil");
        uint256[] memory hints = new uint256[](6);
        (uint256 count, uint256 paid) = distributor.payoutBatch(r, ids, hints);
        assertEq(count, 6, "all paid");
        assertLe(paid, funded, "sum paid <= funded");
        assertLt(funded - paid, 6, "dust < number of claims");
        assertEq(usdc.balanceOf(address(distributor)), funded - paid, "dust stays");
    }

    // ================================================================== re-entry
    function test_payout_reentryFromHolderHookIsStopped() public {
        OptInHookToken hk = new OptInHookToken();
        ClaimToken t = deploySuite(address(hk));
        ClaimDistributor dist = ClaimDistributor(t.distributor());
        ReentrantReceiver rr = new ReentrantReceiver();
        attestOn(t, address(rr), 60, DE);
        attestOn(t, seller, 1, US);
        uint256 rid = mintOn(t, address(rr), 10e6, ClaimStatus.Allowed);
        uint256 sid = mintOn(t, seller, 10e6, ClaimStatus.Allowed);
        hk.mint(trust, 100e6);
        vm.prank(trust);
        hk.approve(address(dist), type(uint256).max);
        vm.prank(trust);
        uint32 r = dist.declareRound(GENERAL, 500_000);
        hk.optIn(address(rr));

        // bubbled: the payout reverts as a whole
        rr.arm(address(dist), abi.encodeCall(dist.payout, (r, rid, 0)), true);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        dist.payout(r, rid, 0);
        assertFalse(dist.isSettled(r, rid), "rolled back");

        // in a batch, the hostile holder is skipped (reason 5) and the honest one is paid
        (uint256[] memory ids, uint256[] memory hints) = pair(rid, sid);
        (uint256 count,) = dist.payoutBatch(r, ids, hints);
        assertEq(count, 1, "honest holder paid");
        assertEq(hk.balanceOf(seller), 5e6, "seller");
        assertFalse(dist.isSettled(r, rid), "hostile one still owed");

        // swallowed: the nested payout fails on the guard, the outer one pays once
        rr.arm(address(dist), abi.encodeCall(dist.payout, (r, rid, 0)), false);
        dist.payout(r, rid, 0);
        assertFalse(rr.reentered(), "nested call failed");
        assertEq(rr.lastError(), abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector), "guard");
        assertEq(hk.balanceOf(address(rr)), 5e6, "paid exactly once");
    }

    // ================================================================== helpers
    /// @dev What round `r` paid, as the distributor reports it: the sum of its PayoutMade and PayoutReleased events.
    function sumPaidEvents(uint32 r, Vm.Log[] memory logs) internal view returns (uint256 sum) {
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(distributor) || uint256(l.topics[1]) != r) continue;
            if (
                l.topics[0] == IClaimDistributor.PayoutMade.selector
                    || l.topics[0] == IClaimDistributor.PayoutReleased.selector
            ) sum += abi.decode(l.data, (uint256));
        }
    }

    function pair(uint256 x, uint256 y) internal pure returns (uint256[] memory ids, uint256[] memory hints) {
        ids = new uint256[](2);
        ids[0] = x;
        ids[1] = y;
        hints = new uint256[](2);
    }

    function stranger2() internal returns (address w) {
        w = address(0x5743);
        if (!token.isEligible(w)) attest(w, 70, DE);
    }
}
