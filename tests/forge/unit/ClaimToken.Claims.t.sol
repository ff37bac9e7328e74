// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {UnitBase} from "./UnitBase.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {MintRequest, ClaimView, ClassView, Order, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Classes, minting (direct, batch, by signature), amendments and exact class totals, recovery, pause.
contract ClaimTokenClaimsTest is UnitBase {
    uint8 internal constant ALLOWED = uint8(ClaimStatus.Allowed);
    uint8 internal constant DISPUTED = uint8(ClaimStatus.Disputed);
    uint8 internal constant EXPUNGED = uint8(ClaimStatus.Expunged);

    address internal sellerSpare = address(0x5E11E3); // a second wallet of the seller's entity (1)

    function setUp() public override {
        super.setUp();
        attest(sellerSpare, 1, US);
    }

    // ================================================================== classes
    function test_defineClass_storesAndEmits() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IClaimToken.ClassDefined(7, 42);
        vm.prank(validator);
        token.defineClass(7, 42);
        ClassView memory c = token.classOf(7);
        assertTrue(c.defined, "defined");
        assertEq(c.estateId, 42, "estate");
        assertEq(c.claimCount, 0, "no claims");
        assertEq(c.totalAllowed, 0, "no total");
    }

    function test_classOf_undefinedIsEmpty() public view {
        ClassView memory c = token.classOf(99);
        assertFalse(c.defined, "undefined");
        assertEq(c.estateId, 0, "estate");
    }

    function test_defineClass_revertsWhenClassIdZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidClass.selector, uint32(0)));
        vm.prank(validator);
        token.defineClass(0, 1);
    }

    function test_defineClass_revertsWhenClassExists() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClassExists.selector, GENERAL));
        vm.prank(validator);
        token.defineClass(GENERAL, 5);
    }

    function test_defineClass_revertsWhenCallerNotValidator() public {
        vm.expectRevert(roleError(admin, token.VALIDATOR_ROLE()));
        vm.prank(admin);
        token.defineClass(9, 1);
    }

    // ================================================================== mint
    function test_mint_storesClaimAndEmits() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 123_456e6, ClaimStatus.Allowed);
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC721.Transfer(address(0), seller, 1);
        vm.expectEmit(true, true, true, true, address(token));
        emit IClaimToken.ClaimMinted(1, GENERAL, seller, q.claimRef, q.amount, ALLOWED, q.evidence);
        vm.prank(validator);
        uint256 id = token.mint(q);

        assertEq(id, 1, "ids start at 1");
        ClaimView memory v = token.claimOf(id);
        assertEq(v.holder, seller, "holder");
        assertEq(v.classId, GENERAL, "class");
        assertEq(v.estateId, ESTATE, "estate");
        assertEq(v.amount, 123_456e6, "amount");
        assertEq(uint8(v.status), ALLOWED, "status");
        assertEq(v.claimRef, q.claimRef, "ref");
        assertEq(v.evidence, q.evidence, "evidence");
        assertEq(token.claimIdOf(q.claimRef), 1, "claimIdOf");
        assertEq(token.claimIdOf(keccak256("unknown")), 0, "claimIdOf unknown");
        assertEq(token.claimCount(), 1, "claimCount");
        assertEq(token.balanceOf(seller), 1, "balance");
        assertEq(token.ownerOf(id), seller, "ownerOf");
        ClassView memory c = token.classOf(GENERAL);
        assertEq(c.claimCount, 1, "class count");
        assertEq(c.totalAllowed, 123_456e6, "class total");
        assertEq(c.disputedAllowed, 0, "class disputed");
    }

    function test_mint_zeroEvidenceReadsZero() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        q.evidence = bytes32(0);
        vm.prank(validator);
        uint256 id = token.mint(q);
        assertEq(token.claimOf(id).evidence, bytes32(0), "no evidence");
    }

    function test_mint_disputedCountsInDisputedTotal() public {
        mintClaim(seller, GENERAL, 100e6, ClaimStatus.Allowed);
        mintDisputed(seller, 40e6);
        ClassView memory c = token.classOf(GENERAL);
        assertEq(c.totalAllowed, 140e6, "total includes disputed");
        assertEq(c.disputedAllowed, 40e6, "disputed part");
        assertEq(c.claimCount, 2, "count");
    }

    function test_mint_revertsWhenClaimRefMintedTwice() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        vm.prank(validator);
        uint256 id = token.mint(q);
        q.amount = 2e6; // same reference, other fields changed: still the same claim
        q.holder = buyer;
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClaimExists.selector, q.claimRef, id));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenClaimRefZero() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        q.claimRef = bytes32(0);
        vm.expectRevert(IClaimToken.ClaimTokenInvalidClaimRef.selector);
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenAmountZero() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 0, ClaimStatus.Allowed);
        vm.expectRevert(IClaimToken.ClaimTokenZeroAmount.selector);
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenStatusExpunged() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Expunged);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidStatus.selector, EXPUNGED));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenStatusOutOfRange() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        q.status = 7;
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidStatus.selector, uint8(7)));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenClassUnknown() public {
        MintRequest memory q = mintRequest(seller, 99, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenUnknownClass.selector, uint32(99)));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenHolderZero() public {
        MintRequest memory q = mintRequest(address(0), GENERAL, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(0)));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenHolderNotAttested() public {
        MintRequest memory q = mintRequest(stranger, GENERAL, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, stranger));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenHolderAttestationExpired() public {
        uint40 expiry = token.attestationOf(seller).expiry;
        vm.warp(expiry);
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenAttestationExpired.selector, seller, expiry));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_revertsWhenRestrictedHolderAndAllowed() public {
        restrict(US);
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, seller, US));
        vm.prank(validator);
        token.mint(q);
    }

    function test_mint_restrictedHolderMayBeMintedDisputed() public {
        restrict(US);
        uint256 id = mintDisputed(seller, 5e6);
        assertEq(token.ownerOf(id), seller, "restricted creditor keeps the claim");
        assertEq(uint8(token.claimOf(id).status), DISPUTED, "as Disputed");
        assertEq(token.classOf(GENERAL).disputedAllowed, 5e6, "counted as disputed");
    }

    function test_mint_revertsWhenCallerNotValidator() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(roleError(verifier, token.VALIDATOR_ROLE()));
        vm.prank(verifier);
        token.mint(q);
    }

    function test_mint_revertsWhenPaused() public {
        pauseToken();
        MintRequest memory q = mintRequest(seller, GENERAL, 1e6, ClaimStatus.Allowed);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(validator);
        token.mint(q);
    }

    // ================================================================== mintBatch
    function test_mintBatch_mintsConsecutiveIds() public {
        mintClaim(buyer, 1e6); // id 1 exists already
        MintRequest[] memory qs = new MintRequest[](3);
        qs[0] = mintRequest(seller, GENERAL, 10e6, ClaimStatus.Allowed);
        qs[1] = mintRequest(buyer, CONVENIENCE, 20e6, ClaimStatus.Allowed);
        qs[2] = mintRequest(seller, GENERAL, 30e6, ClaimStatus.Disputed);
        vm.expectEmit(true, true, true, true, address(token));
        emit IClaimToken.ClaimMinted(2, GENERAL, seller, qs[0].claimRef, 10e6, ALLOWED, qs[0].evidence);
        vm.prank(validator);
        uint256 first = token.mintBatch(qs);
        assertEq(first, 2, "first id");
        assertEq(token.claimCount(), 4, "count");
        assertEq(token.claimIdOf(qs[2].claimRef), 4, "consecutive");
        assertEq(token.ownerOf(3), buyer, "holder of second");
        assertEq(token.classOf(GENERAL).totalAllowed, 41e6, "general total");
        assertEq(token.classOf(GENERAL).disputedAllowed, 30e6, "general disputed");
        assertEq(token.classOf(CONVENIENCE).totalAllowed, 20e6, "convenience total");
    }

    function test_mintBatch_revertsWhenAnyRequestInvalid() public {
        MintRequest[] memory qs = new MintRequest[](3);
        qs[0] = mintRequest(seller, GENERAL, 10e6, ClaimStatus.Allowed);
        qs[1] = mintRequest(buyer, GENERAL, 20e6, ClaimStatus.Allowed);
        qs[2] = qs[0]; // the same reference twice in one batch
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClaimExists.selector, qs[0].claimRef, 1));
        vm.prank(validator);
        token.mintBatch(qs);
        assertEq(token.claimCount(), 0, "all or nothing");
        assertEq(token.claimIdOf(qs[0].claimRef), 0, "first not kept");
        assertEq(token.classOf(GENERAL).totalAllowed, 0, "totals untouched");
    }

    function test_mintBatch_revertsWhenCallerNotValidator() public {
        MintRequest[] memory qs = new MintRequest[](1);
        qs[0] = mintRequest(seller, GENERAL, 10e6, ClaimStatus.Allowed);
        vm.expectRevert(roleError(stranger, token.VALIDATOR_ROLE()));
        vm.prank(stranger);
        token.mintBatch(qs);
    }

    function test_mintBatch_revertsWhenPaused() public {
        pauseToken();
        MintRequest[] memory qs = new MintRequest[](1);
        qs[0] = mintRequest(seller, GENERAL, 10e6, ClaimStatus.Allowed);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(validator);
        token.mintBatch(qs);
    }

    // ================================================================== mintBySig
    function test_mintBySig_anyoneCarriesValidatorSignature() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = signValidation(validatorKey, q, deadline);
        vm.expectEmit(true, true, true, true, address(token));
        emit IClaimToken.ClaimMinted(1, GENERAL, seller, q.claimRef, 77e6, ALLOWED, q.evidence);
        vm.prank(stranger);
        uint256 id = token.mintBySig(q, deadline, sig);
        assertEq(token.ownerOf(id), seller, "minted to the holder named, not the relayer");
        assertEq(token.classOf(GENERAL).totalAllowed, 77e6, "total");
    }

    function test_mintBySig_revertsWhenReplayed() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = signValidation(validatorKey, q, deadline);
        uint256 id = token.mintBySig(q, deadline, sig);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClaimExists.selector, q.claimRef, id));
        token.mintBySig(q, deadline, sig);
    }

    function test_mintBySig_revertsWhenDeadlinePassed() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = signValidation(validatorKey, q, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenSignatureExpired.selector, deadline));
        token.mintBySig(q, deadline, sig);
    }

    function test_mintBySig_revertsWhenSignerNotValidator() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = signValidation(verifierKey, q, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimToken.ClaimTokenUnauthorizedSigner.selector, verifier, token.VALIDATOR_ROLE()
            )
        );
        token.mintBySig(q, deadline, sig);
    }

    function test_mintBySig_revertsWhenAmountTampered() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = signValidation(validatorKey, q, deadline);
        q.amount = 770e6;
        address recovered = recoverOf(validationDigest(q, deadline), sig);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimToken.ClaimTokenUnauthorizedSigner.selector, recovered, token.VALIDATOR_ROLE()
            )
        );
        token.mintBySig(q, deadline, sig);
    }

    function test_mintBySig_revertsWhenHighS() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        (bytes memory sig, bytes32 s) = highS(signValidation(validatorKey, q, deadline));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, s));
        token.mintBySig(q, deadline, sig);
    }

    function test_mintBySig_revertsWhenPaused() public {
        MintRequest memory q = mintRequest(seller, GENERAL, 77e6, ClaimStatus.Allowed);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig = signValidation(validatorKey, q, deadline);
        pauseToken();
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        token.mintBySig(q, deadline, sig);
    }

    // ================================================================== amendAmount
    function test_amendAmount_updatesAmountTotalsAndEmits() public {
        uint256 a = mintClaim(seller, 100e6);
        uint256 d = mintDisputed(seller, 50e6);
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.ClaimAmountAmended(a, 100e6, 80e6);
        vm.prank(validator);
        token.amendAmount(a, 80e6);
        assertTotals(130e6, 50e6);
        vm.prank(validator);
        token.amendAmount(d, 70e6); // a disputed claim's amendment moves both totals
        assertTotals(150e6, 70e6);
        assertEq(token.claimOf(d).amount, 70e6, "amount");
    }

    function test_amendAmount_revertsWhenZero() public {
        uint256 a = mintClaim(seller, 100e6);
        vm.expectRevert(IClaimToken.ClaimTokenZeroAmount.selector);
        vm.prank(validator);
        token.amendAmount(a, 0);
    }

    function test_amendAmount_revertsWhenExpunged() public {
        uint256 a = mintClaim(seller, 100e6);
        setStatus(a, ClaimStatus.Expunged);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClaimExpunged.selector, a));
        vm.prank(validator);
        token.amendAmount(a, 1e6);
    }

    function test_amendAmount_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(5)));
        vm.prank(validator);
        token.amendAmount(5, 1e6);
    }

    function test_amendAmount_revertsWhenCallerNotValidator() public {
        uint256 a = mintClaim(seller, 100e6);
        vm.expectRevert(roleError(seller, token.VALIDATOR_ROLE()));
        vm.prank(seller);
        token.amendAmount(a, 1e6);
    }

    // ================================================================== setStatus: every transition
    function test_setStatus_allowedToDisputedAndBack() public {
        uint256 a = mintClaim(seller, 100e6);
        mintClaim(seller, 1e6);
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.ClaimStatusChanged(a, ALLOWED, DISPUTED);
        setStatus(a, ClaimStatus.Disputed);
        assertTotals(101e6, 100e6);
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.ClaimStatusChanged(a, DISPUTED, ALLOWED);
        setStatus(a, ClaimStatus.Allowed);
        assertTotals(101e6, 0);
        assertEq(uint8(token.claimOf(a).status), ALLOWED, "allowed again");
        move(seller, buyer, a); // and it moves again
    }

    function test_setStatus_allowedToExpungedLeavesTotals() public {
        uint256 a = mintClaim(seller, 100e6);
        mintDisputed(seller, 7e6);
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.ClaimStatusChanged(a, ALLOWED, EXPUNGED);
        setStatus(a, ClaimStatus.Expunged);
        assertTotals(7e6, 7e6);
        assertEq(token.classOf(GENERAL).claimCount, 2, "claim count counts every minted claim");
    }

    function test_setStatus_disputedToExpungedLeavesBothTotals() public {
        mintClaim(seller, 100e6);
        uint256 d = mintDisputed(seller, 7e6);
        setStatus(d, ClaimStatus.Expunged);
        assertTotals(100e6, 0);
    }

    function test_setStatus_revertsWhenExpungedIsFinal() public {
        uint256 a = mintClaim(seller, 100e6);
        setStatus(a, ClaimStatus.Expunged);
        vm.startPrank(validator);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClaimExpunged.selector, a));
        token.setStatus(a, ALLOWED);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenClaimExpunged.selector, a));
        token.setStatus(a, DISPUTED);
        vm.stopPrank();
        assertTotals(0, 0);
    }

    function test_setStatus_revertsWhenUnchanged() public {
        uint256 a = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidStatus.selector, ALLOWED));
        vm.prank(validator);
        token.setStatus(a, ALLOWED);
    }

    function test_setStatus_revertsWhenOutOfRange() public {
        uint256 a = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidStatus.selector, uint8(3)));
        vm.prank(validator);
        token.setStatus(a, 3);
    }

    function test_setStatus_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(1)));
        vm.prank(validator);
        token.setStatus(1, DISPUTED);
    }

    function test_setStatus_revertsWhenCallerNotValidator() public {
        uint256 a = mintClaim(seller, 100e6);
        vm.expectRevert(roleError(resolver, token.VALIDATOR_ROLE()));
        vm.prank(resolver);
        token.setStatus(a, DISPUTED);
    }

    function test_transferFrom_revertsWhenDisputed() public {
        uint256 d = mintDisputed(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotTransferable.selector, d, DISPUTED));
        move(seller, buyer, d);
    }

    function test_transferFrom_revertsWhenExpunged() public {
        uint256 a = mintClaim(seller, 100e6);
        setStatus(a, ClaimStatus.Expunged);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotTransferable.selector, a, EXPUNGED));
        move(seller, buyer, a);
    }

    /// @dev Class totals equal the sum over claims after a mixed sequence of every kind of change.
    function testFuzz_classTotals_exactThroughEveryChange(uint96[4] memory amounts, uint8[8] memory ops) public {
        uint256[] memory ids = new uint256[](4);
        for (uint256 i = 0; i < 4; ++i) {
            ids[i] = mintClaim(seller, GENERAL, uint96(bound(amounts[i], 1, 1e18)), ClaimStatus(i % 2));
        }
        for (uint256 k = 0; k < ops.length; ++k) {
            uint256 id = ids[ops[k] % 4];
            if (token.claimOf(id).status == ClaimStatus.Expunged) continue;
            uint8 op = (ops[k] >> 2) % 4;
            ClaimView memory v = token.claimOf(id);
            vm.prank(validator);
            if (op == 0) token.amendAmount(id, uint96(bound(uint256(ops[k]) * 1e9 + k, 1, 1e18)));
            else if (op == 1) token.setStatus(id, v.status == ClaimStatus.Allowed ? DISPUTED : ALLOWED);
            else if (op == 2) token.setStatus(id, EXPUNGED);
            else token.amendAmount(id, v.amount + 1);
        }
        uint256 total;
        uint256 disputed;
        for (uint256 i = 0; i < 4; ++i) {
            ClaimView memory v = token.claimOf(ids[i]);
            if (v.status != ClaimStatus.Expunged) total += v.amount;
            if (v.status == ClaimStatus.Disputed) disputed += v.amount;
        }
        assertTotals(total, disputed);
    }

    // ================================================================== recover
    function test_recover_movesToSameEntityWalletAndEmits() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.prank(seller);
        token.approve(buyer, id);
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC721.Transfer(seller, sellerSpare, id);
        vm.expectEmit(true, true, true, true, address(token));
        emit IClaimToken.ClaimRecovered(id, seller, sellerSpare);
        vm.prank(recovery);
        token.recover(id, sellerSpare);
        assertEq(token.ownerOf(id), sellerSpare, "recovered");
        assertEq(token.balanceOf(seller), 0, "old balance");
        assertEq(token.balanceOf(sellerSpare), 1, "new balance");
        assertEq(token.getApproved(id), address(0), "approval cleared");
    }

    function test_recover_fromRevokedLostWallet() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.prank(verifier);
        token.revokeAttestation(seller); // the lost wallet is de-verified first
        vm.prank(recovery);
        token.recover(id, sellerSpare);
        assertEq(token.ownerOf(id), sellerSpare, "entity id survives revocation");
    }

    function test_recover_movesDisputedClaim() public {
        uint256 id = mintDisputed(seller, 100e6);
        vm.prank(recovery);
        token.recover(id, sellerSpare);
        assertEq(token.ownerOf(id), sellerSpare, "recovery moves a non-Allowed claim");
        assertEq(uint8(token.claimOf(id).status), DISPUTED, "status unchanged");
    }

    function test_recover_revertsWhenOtherEntity() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenEntityMismatch.selector, seller, buyer));
        vm.prank(recovery);
        token.recover(id, buyer);
    }

    function test_recover_revertsWhenTargetNeverAttested() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenEntityMismatch.selector, seller, stranger));
        vm.prank(recovery);
        token.recover(id, stranger);
    }

    function test_recover_revertsWhenTargetIsHolder() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenEntityMismatch.selector, seller, seller));
        vm.prank(recovery);
        token.recover(id, seller);
    }

    function test_recover_revertsWhenTargetRevoked() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.prank(verifier);
        token.revokeAttestation(sellerSpare);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, sellerSpare));
        vm.prank(recovery);
        token.recover(id, sellerSpare);
    }

    function test_recover_revertsWhenTargetExpired() public {
        uint256 id = mintClaim(seller, 100e6);
        uint40 expiry = uint40(block.timestamp + 10);
        vm.prank(verifier);
        token.attest(sellerSpare, 1, US, expiry, 0);
        vm.warp(expiry);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenAttestationExpired.selector, sellerSpare, expiry)
        );
        vm.prank(recovery);
        token.recover(id, sellerSpare);
    }

    function test_recover_revertsWhenTargetRestricted() public {
        uint256 id = mintClaim(seller, 100e6);
        restrict(US);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, sellerSpare, US)
        );
        vm.prank(recovery);
        token.recover(id, sellerSpare);
    }

    function test_recover_revertsWhenCallerNotRecovery() public {
        uint256 id = mintClaim(seller, 100e6);
        vm.expectRevert(roleError(admin, token.RECOVERY_ROLE()));
        vm.prank(admin);
        token.recover(id, sellerSpare);
    }

    function test_recover_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(3)));
        vm.prank(recovery);
        token.recover(3, sellerSpare);
    }

    function test_recover_revertsWhenPaused() public {
        uint256 id = mintClaim(seller, 100e6);
        pauseToken();
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(recovery);
        token.recover(id, sellerSpare);
    }

    // ================================================================== pause
    function test_pause_emitsAndSetsFlag() public {
        assertFalse(token.paused(), "starts unpaused");
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.Paused(pauser);
        vm.prank(pauser);
        token.pause();
        assertTrue(token.paused(), "paused");
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.Unpaused(pauser);
        vm.prank(pauser);
        token.unpause();
        assertFalse(token.paused(), "unpaused");
    }

    function test_pause_revertsWhenAlreadyPaused() public {
        pauseToken();
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(pauser);
        token.pause();
    }

    function test_unpause_revertsWhenNotPaused() public {
        vm.expectRevert(IClaimToken.ClaimTokenNotPaused.selector);
        vm.prank(pauser);
        token.unpause();
    }

    function test_pause_revertsWhenCallerNotPauser() public {
        vm.expectRevert(roleError(admin, token.PAUSER_ROLE()));
        vm.prank(admin);
        token.pause();
    }

    function test_unpause_revertsWhenCallerNotPauser() public {
        pauseToken();
        vm.expectRevert(roleError(stranger, token.PAUSER_ROLE()));
        vm.prank(stranger);
        token.unpause();
    }

    function test_pause_blocksEveryMovementPathAndUnpauseRestores() public {
        uint256 a = mintClaim(seller, 100e6);
        uint256 b = mintClaim(seller, 100e6);
        uint256 c = mintClaim(seller, 100e6);
        vm.startPrank(seller);
        token.approve(buyer, a);
        token.setApprovalForAll(buyer2, true);
        vm.stopPrank();
        Order memory ask = askOrder(seller, b, 10e6);
        bytes memory askSig = signOrder(sellerKey, ask);
        Order memory bid = bidOrder(buyer, c, 10e6);
        bytes memory bidSig = signOrder(buyerKey, bid);

        pauseToken();
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        move(seller, buyer, a);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(seller);
        token.safeTransferFrom(seller, buyer, a);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(seller);
        token.safeTransferFrom(seller, buyer, a, "x");
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(buyer); // approved
        token.transferFrom(seller, buyer, a);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(buyer2); // operator
        token.transferFrom(seller, buyer2, a);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(buyer);
        market.fillAsk(ask, askSig);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(seller);
        market.fillBid(bid, bidSig, c);
        vm.expectRevert(IClaimToken.ClaimTokenPaused.selector);
        vm.prank(recovery);
        token.recover(a, sellerSpare);
        assertEq(token.ownerOf(a), seller, "a stayed");
        assertEq(usdc.balanceOf(seller), 0, "no money moved");

        vm.prank(pauser);
        token.unpause();
        vm.prank(buyer2);
        token.transferFrom(seller, buyer2, a);
        vm.prank(buyer);
        market.fillAsk(ask, askSig);
        vm.prank(seller);
        market.fillBid(bid, bidSig, c);
        assertEq(token.ownerOf(a), buyer2, "operator path restored");
        assertEq(token.ownerOf(b), buyer, "ask restored");
        assertEq(token.ownerOf(c), buyer, "bid restored");
        assertEq(usdc.balanceOf(seller), 20e6, "seller paid for both");
    }

    function test_pause_leavesAdministrationAndIdentityWorking() public {
        uint256 a = mintClaim(seller, 100e6);
        pauseToken();
        attest(stranger, 9, DE);
        vm.prank(validator);
        token.amendAmount(a, 90e6);
        setStatus(a, ClaimStatus.Disputed);
        assertTotals(90e6, 90e6);
        assertTrue(token.isEligible(stranger), "attestation while paused");
    }

    // ================================================================== module-only entry points
    function test_marketTransfer_revertsWhenCallerNotMarket() public {
        uint256 a = mintClaim(seller, 100e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenOnlyMarket.selector, seller));
        vm.prank(seller);
        token.marketTransfer(seller, buyer, a);
    }

    function test_marketTransfer_returnsClassToMarket() public {
        uint256 a = mintClaim(seller, 123e6);
        vm.prank(address(market));
        uint32 classId = token.marketTransfer(seller, buyer, a);
        assertEq(classId, GENERAL, "class");
        assertEq(token.ownerOf(a), buyer, "moved");
    }

    function test_marketTransfer_sameChecksAsTransfer() public {
        uint256 d = mintDisputed(seller, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotTransferable.selector, d, DISPUTED));
        vm.prank(address(market));
        token.marketTransfer(seller, buyer, d);
        uint256 a = mintClaim(seller, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, stranger));
        vm.prank(address(market));
        token.marketTransfer(seller, stranger, a);
    }

    function test_amountOf_readsAmountAndFollowsAmendments() public {
        uint256 a = mintClaim(seller, 123e6);
        assertEq(token.amountOf(a), 123e6, "amount");
        vm.prank(validator);
        token.amendAmount(a, 7e6);
        assertEq(token.amountOf(a), 7e6, "amended");
    }

    function test_amountOf_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(8)));
        token.amountOf(8);
    }

    function test_beginRound_revertsWhenCallerNotDistributor() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenOnlyDistributor.selector, trust));
        vm.prank(trust);
        token.beginRound(GENERAL);
    }

    function test_claimOf_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(1)));
        token.claimOf(1);
    }

    // ================================================================== helpers
    function assertTotals(uint256 total, uint256 disputed) internal view {
        ClassView memory c = token.classOf(GENERAL);
        assertEq(c.totalAllowed, total, "totalAllowed");
        assertEq(c.disputedAllowed, disputed, "disputedAllowed");
    }

    function restrict(uint16 country) internal {
        uint16[] memory cs = new uint16[](1);
        cs[0] = country;
        vm.prank(compliance);
        token.setRestricted(cs, true);
    }

    function pauseToken() internal {
        vm.prank(pauser);
        token.pause();
    }
}
