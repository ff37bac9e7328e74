// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {UnitBase} from "./UnitBase.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {Attestation, AttestationRequest, Order} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Identity and eligibility: attest, attestBySig, revoke, the restricted-jurisdiction set, expiry.
contract ClaimTokenIdentityTest is UnitBase {
    // ================================================================== constructor
    function test_constructor_createsModulesAndGrantsAdminOnly() public view {
        assertEq(token.stablecoin(), address(usdc), "stablecoin");
        assertEq(market.token(), address(token), "market.token");
        assertEq(market.stablecoin(), address(usdc), "market.stablecoin");
        assertEq(distributor.token(), address(token), "distributor.token");
        assertEq(distributor.stablecoin(), address(usdc), "distributor.stablecoin");
        assertTrue(token.hasRole(token.DEFAULT_ADMIN_ROLE(), admin), "admin has DEFAULT_ADMIN_ROLE");
        assertFalse(token.hasRole(token.VERIFIER_ROLE(), admin), "admin gets no other role");
        assertFalse(token.hasRole(token.PAUSER_ROLE(), admin), "admin is not a pauser");
    }

    function test_constructor_revertsWhenStablecoinZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenZeroAddress.selector, "stablecoin"));
        new ClaimToken(address(0), admin);
    }

    function test_constructor_revertsWhenAdminZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenZeroAddress.selector, "admin"));
        new ClaimToken(address(usdc), address(0));
    }

    function test_constants_typehashesMatchDesign() public view {
        assertEq(token.ATTESTATION_TYPEHASH(), ATTESTATION_TYPEHASH, "attestation typehash");
        assertEq(token.VALIDATION_TYPEHASH(), VALIDATION_TYPEHASH, "validation typehash");
        assertEq(token.VERIFIER_ROLE(), keccak256("VERIFIER_ROLE"), "verifier role");
        assertEq(token.RESOLVER_ROLE(), keccak256("RESOLVER_ROLE"), "resolver role");
    }

    // ================================================================== roles (OpenZeppelin AccessControl)
    function test_grantRole_onlyAdminAndEffectiveAtOnce() public {
        assertEq(token.getRoleAdmin(token.VERIFIER_ROLE()), token.DEFAULT_ADMIN_ROLE(), "admin administers roles");
        bytes32 verifierRole = token.VERIFIER_ROLE();
        vm.expectRevert(roleError(verifier, token.DEFAULT_ADMIN_ROLE()));
        vm.prank(verifier); // a role holder cannot hand its role on
        token.grantRole(verifierRole, stranger);
        vm.prank(admin);
        token.revokeRole(verifierRole, verifier);
        vm.expectRevert(roleError(verifier, verifierRole));
        vm.prank(verifier);
        token.attest(stranger, 1, US, uint40(block.timestamp + 1), 0);
        // and its signatures stop working too
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenUnauthorizedSigner.selector, verifier, verifierRole)
        );
        token.attestBySig(r, sig);
    }

    // ================================================================== attest
    function test_attest_writesAttestationAndEmits() public {
        address w = address(0xBEEF);
        uint40 expiry = uint40(block.timestamp + 30 days);
        vm.expectEmit(true, true, false, true, address(token));
        emit IClaimToken.Attested(w, 77, US, expiry, 7, 1);
        vm.prank(verifier);
        token.attest(w, 77, US, expiry, 7);

        Attestation memory a = token.attestationOf(w);
        assertEq(a.entityId, 77, "entity");
        assertEq(a.country, US, "country");
        assertEq(a.expiry, expiry, "expiry");
        assertEq(a.flags, 7, "flags");
        assertEq(a.nonce, 1, "nonce");
        assertTrue(token.isEligible(w), "eligible");
    }

    function test_attest_overwriteBumpsNonce() public {
        assertEq(token.attestationOf(seller).nonce, 1, "nonce after fixture");
        vm.prank(verifier);
        token.attest(seller, 1, DE, uint40(block.timestamp + 10), 0);
        Attestation memory a = token.attestationOf(seller);
        assertEq(a.nonce, 2, "bumped");
        assertEq(a.country, DE, "overwritten");
    }

    function test_attestationOf_unknownWalletIsZero() public view {
        Attestation memory a = token.attestationOf(stranger);
        assertEq(a.entityId, 0, "entity");
        assertEq(a.expiry, 0, "expiry");
        assertEq(a.nonce, 0, "nonce");
        assertFalse(token.isEligible(stranger), "not eligible");
    }

    function test_attest_revertsWhenCallerNotVerifier() public {
        vm.expectRevert(roleError(stranger, token.VERIFIER_ROLE()));
        vm.prank(stranger);
        token.attest(stranger, 1, US, uint40(block.timestamp + 1), 0);
    }

    function test_attest_revertsWhenWalletZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenZeroAddress.selector, "wallet"));
        vm.prank(verifier);
        token.attest(address(0), 1, US, uint40(block.timestamp + 1), 0);
    }

    function test_attest_revertsWhenEntityZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidEntity.selector, uint64(0)));
        vm.prank(verifier);
        token.attest(stranger, 0, US, uint40(block.timestamp + 1), 0);
    }

    function test_attest_revertsWhenCountryZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidCountry.selector, uint16(0)));
        vm.prank(verifier);
        token.attest(stranger, 1, 0, uint40(block.timestamp + 1), 0);
    }

    function test_attest_revertsWhenCountryAbove999() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidCountry.selector, uint16(1000)));
        vm.prank(verifier);
        token.attest(stranger, 1, 1000, uint40(block.timestamp + 1), 0);
    }

    function test_attest_country999IsValid() public {
        vm.prank(verifier);
        token.attest(stranger, 1, 999, uint40(block.timestamp + 1), 0);
        assertTrue(token.isEligible(stranger), "999 accepted");
    }

    function test_attest_revertsWhenExpiryNotInFuture() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimToken.ClaimTokenInvalidExpiry.selector, uint40(block.timestamp), block.timestamp
            )
        );
        vm.prank(verifier);
        token.attest(stranger, 1, US, uint40(block.timestamp), 0);
    }

    // ================================================================== attestBySig
    function test_attestBySig_anyoneCarriesVerifierSignature() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        vm.expectEmit(true, true, false, true, address(token));
        emit IClaimToken.Attested(stranger, 9, DE, r.expiry, 5, 1);
        vm.prank(buyer); // a relayer, not the verifier and not the wallet
        token.attestBySig(r, sig);
        Attestation memory a = token.attestationOf(stranger);
        assertEq(a.entityId, 9, "entity");
        assertEq(a.flags, 5, "flags");
        assertEq(a.nonce, 1, "nonce bumped");
        assertTrue(token.isEligible(stranger), "eligible");
    }

    function test_attestBySig_revertsWhenReplayed() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        token.attestBySig(r, sig);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidNonce.selector, stranger, uint32(1), uint32(0))
        );
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsWhenRevokedSinceSigning() public {
        AttestationRequest memory r = attestationRequest(seller, 1, US); // nonce 1
        bytes memory sig = signAttestation(verifierKey, r);
        vm.prank(verifier);
        token.revokeAttestation(seller); // nonce 2
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidNonce.selector, seller, uint32(2), uint32(1))
        );
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsWhenDeadlinePassed() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        vm.warp(r.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenSignatureExpired.selector, r.deadline));
        token.attestBySig(r, sig);
    }

    function test_attestBySig_acceptsAtDeadline() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        vm.warp(r.deadline);
        token.attestBySig(r, sig);
        assertTrue(token.isEligible(stranger), "deadline is inclusive");
    }

    function test_attestBySig_revertsWhenSignerNotVerifier() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(validatorKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimToken.ClaimTokenUnauthorizedSigner.selector, validator, token.VERIFIER_ROLE()
            )
        );
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsWhenFieldTampered() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        r.country = US; // the relayer changes the country
        address recovered = recoverOf(attestationDigest(r), sig);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimToken.ClaimTokenUnauthorizedSigner.selector, recovered, token.VERIFIER_ROLE()
            )
        );
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsWhenHighS() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        (bytes memory sig, bytes32 s) = highS(signAttestation(verifierKey, r));
        // The malleated signature does recover the verifier: only the low-s rule stops it.
        assertEq(recoverOf(attestationDigest(r), sig), verifier, "malleated signature recovers the verifier");
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, s));
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsWhenSignatureLengthWrong() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        bytes memory short = new bytes(64);
        for (uint256 i = 0; i < 64; ++i) {
            short[i] = sig[i];
        }
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, uint256(64)));
        token.attestBySig(r, short);
    }

    function test_attestBySig_revertsWhenSignatureUnrecoverable() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27));
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsOnOtherChain() public {
        AttestationRequest memory r = attestationRequest(stranger, 9, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        bytes32 digest = attestationDigest(r);
        vm.chainId(block.chainid + 1);
        bytes32 otherDigest = attestationDigest(r);
        assertTrue(digest != otherDigest, "domain binds chain id");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimToken.ClaimTokenUnauthorizedSigner.selector, recoverOf(otherDigest, sig), token.VERIFIER_ROLE()
            )
        );
        token.attestBySig(r, sig);
    }

    function test_attestBySig_revertsWhenInvalidFields() public {
        AttestationRequest memory r = attestationRequest(stranger, 0, DE);
        bytes memory sig = signAttestation(verifierKey, r);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidEntity.selector, uint64(0)));
        token.attestBySig(r, sig);
    }

    // ================================================================== revoke
    function test_revokeAttestation_keepsEntityAndBumpsNonce() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IClaimToken.AttestationRevoked(seller, 1, 2);
        vm.prank(verifier);
        token.revokeAttestation(seller);
        Attestation memory a = token.attestationOf(seller);
        assertEq(a.expiry, 0, "expiry cleared");
        assertEq(a.entityId, 1, "entity kept for recovery");
        assertEq(a.country, US, "country kept");
        assertEq(a.nonce, 2, "nonce bumped");
        assertFalse(token.isEligible(seller), "not eligible");
    }

    function test_revokeAttestation_revertsWhenNeverAttested() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, stranger));
        vm.prank(verifier);
        token.revokeAttestation(stranger);
    }

    function test_revokeAttestation_revertsWhenAlreadyRevoked() public {
        vm.startPrank(verifier);
        token.revokeAttestation(seller);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, seller));
        token.revokeAttestation(seller);
        vm.stopPrank();
    }

    function test_revokeAttestation_revertsWhenCallerNotVerifier() public {
        vm.expectRevert(roleError(compliance, token.VERIFIER_ROLE()));
        vm.prank(compliance);
        token.revokeAttestation(seller);
    }

    function test_revokeAttestation_stopsHolderAtOnce() public {
        uint256 id = mintClaim(seller, 1_000e6);
        vm.prank(verifier);
        token.revokeAttestation(seller);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, seller));
        move(seller, buyer, id);
        // and nobody can send a claim to a revoked wallet either
        uint256 other = mintClaim(buyer, 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, seller));
        move(buyer, seller, other);
    }

    // ================================================================== restricted jurisdictions
    function test_setRestricted_addsAndRemovesWithEvents() public {
        uint16[] memory cs = new uint16[](2);
        cs[0] = CN;
        cs[1] = US;
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.JurisdictionRestricted(CN, true);
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.JurisdictionRestricted(US, true);
        vm.prank(compliance);
        token.setRestricted(cs, true);
        assertTrue(token.isRestricted(CN), "CN restricted");
        assertTrue(token.isRestricted(US), "US restricted");
        assertFalse(token.isRestricted(DE), "DE open");
        assertFalse(token.isEligible(seller), "US seller now ineligible");
        assertTrue(token.isEligible(buyer), "DE buyer still eligible");

        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.JurisdictionRestricted(CN, false);
        vm.expectEmit(true, false, false, true, address(token));
        emit IClaimToken.JurisdictionRestricted(US, false);
        vm.prank(compliance);
        token.setRestricted(cs, false);
        assertFalse(token.isRestricted(US), "US lifted");
        assertTrue(token.isEligible(seller), "seller eligible again");
    }

    function test_isRestricted_bitmapWordBoundaries() public {
        uint16[] memory cs = new uint16[](4);
        cs[0] = 255;
        cs[1] = 256;
        cs[2] = 511;
        cs[3] = 999;
        vm.prank(compliance);
        token.setRestricted(cs, true);
        assertTrue(token.isRestricted(255), "255");
        assertTrue(token.isRestricted(256), "256");
        assertTrue(token.isRestricted(511), "511");
        assertTrue(token.isRestricted(999), "999");
        assertFalse(token.isRestricted(254), "254");
        assertFalse(token.isRestricted(257), "257");
        assertFalse(token.isRestricted(512), "512");
        assertFalse(token.isRestricted(998), "998");
        assertFalse(token.isRestricted(1), "1");
    }

    function test_setRestricted_revertsWhenCountryZero() public {
        uint16[] memory cs = new uint16[](2);
        cs[0] = CN;
        cs[1] = 0;
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidCountry.selector, uint16(0)));
        vm.prank(compliance);
        token.setRestricted(cs, true);
        assertFalse(token.isRestricted(CN), "all or nothing");
    }

    function test_setRestricted_revertsWhenCountryAbove999() public {
        uint16[] memory cs = new uint16[](1);
        cs[0] = 1000;
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenInvalidCountry.selector, uint16(1000)));
        vm.prank(compliance);
        token.setRestricted(cs, true);
    }

    function test_setRestricted_revertsWhenCallerNotCompliance() public {
        uint16[] memory cs = new uint16[](1);
        cs[0] = CN;
        vm.expectRevert(roleError(verifier, token.COMPLIANCE_ROLE()));
        vm.prank(verifier);
        token.setRestricted(cs, true);
    }

    function test_setRestricted_appliesAtOnceToExistingHolder() public {
        uint256 id = mintClaim(seller, 1_000e6);
        restrict(US, true);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, seller, US));
        move(seller, buyer, id);
        restrict(US, false);
        move(seller, buyer, id);
        assertEq(token.ownerOf(id), buyer, "moves once lifted");
    }

    function test_setRestricted_appliesAtOnceToOpenOrders() public {
        uint256 id = mintClaim(seller, 1_000e6);
        Order memory ask = askOrder(seller, id, 600e6);
        bytes memory sig = signOrder(sellerKey, ask);
        restrict(DE, true); // the buyer's country, after the ask was signed
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, buyer, DE));
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), seller, "nothing moved");
        assertEq(usdc.balanceOf(seller), 0, "nothing paid");
        restrict(DE, false);
        vm.prank(buyer);
        market.fillAsk(ask, sig);
        assertEq(token.ownerOf(id), buyer, "same order fills once lifted");
    }

    function test_setRestricted_liftingAppliesToWalletAttestedWhileRestricted() public {
        restrict(CN, true);
        attest(stranger, 9, CN); // attested while CN is restricted
        assertFalse(token.isEligible(stranger), "restricted at attestation");
        uint256 id = mintClaim(seller, 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, stranger, CN));
        move(seller, stranger, id);
        restrict(CN, false);
        assertTrue(token.isEligible(stranger), "eligible once lifted, without re-attesting");
        move(seller, stranger, id);
        assertEq(token.ownerOf(id), stranger, "received");
    }

    function test_setRestricted_unrelatedChangeKeepsRestriction() public {
        restrict(CN, true);
        attest(stranger, 9, CN);
        restrict(DE, true); // any change to the set: the wallet's country is still restricted
        restrict(DE, false);
        assertFalse(token.isEligible(stranger), "CN still restricted");
        assertTrue(token.isEligible(buyer), "DE open again");
        uint256 id = mintClaim(seller, 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, stranger, CN));
        move(seller, stranger, id);
    }

    function test_attest_reattestingIntoRestrictedCountryAppliesAtOnce() public {
        restrict(CN, true);
        uint256 id = mintClaim(seller, 1_000e6);
        attest(seller, 1, CN); // the holder moves to a restricted jurisdiction
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenJurisdictionRestricted.selector, seller, CN));
        move(seller, buyer, id);
    }

    // ================================================================== expiry
    function test_isEligible_lapsesExactlyAtExpiry() public {
        uint40 expiry = token.attestationOf(seller).expiry;
        vm.warp(expiry - 1);
        assertTrue(token.isEligible(seller), "eligible one second before");
        vm.warp(expiry);
        assertFalse(token.isEligible(seller), "not eligible at expiry");
    }

    function test_transferFrom_revertsWhenSenderAttestationExpired() public {
        uint256 id = mintClaim(seller, 1_000e6);
        uint40 expiry = token.attestationOf(seller).expiry;
        vm.warp(expiry);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimToken.ClaimTokenAttestationExpired.selector, seller, expiry)
        );
        move(seller, buyer, id);
    }

    function test_transferFrom_revertsWhenReceiverAttestationExpired() public {
        uint256 id = mintClaim(seller, 1_000e6);
        uint40 expiry = uint40(block.timestamp + 1 days);
        vm.prank(verifier);
        token.attest(buyer, 2, DE, expiry, 0);
        vm.prank(verifier);
        token.attest(seller, 1, US, expiry + 1 days, 0);
        vm.warp(expiry + 1);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenAttestationExpired.selector, buyer, expiry));
        move(seller, buyer, id);
    }

    function test_fillAsk_revertsWhenBuyerAttestationLapsedAfterSigning() public {
        uint256 id = mintClaim(seller, 1_000e6);
        uint40 expiry = uint40(block.timestamp + 1 hours);
        vm.prank(verifier);
        token.attest(buyer, 2, DE, expiry, 0);
        Order memory ask = askOrder(seller, id, 600e6);
        bytes memory sig = signOrder(sellerKey, ask);
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenAttestationExpired.selector, buyer, expiry));
        vm.prank(buyer);
        market.fillAsk(ask, sig);
    }

    function test_attest_renewalRestoresEligibility() public {
        uint256 id = mintClaim(seller, 1_000e6);
        vm.warp(token.attestationOf(seller).expiry + 1);
        assertFalse(token.isEligible(seller), "lapsed");
        attest(seller, 1, US);
        attest(buyer, 2, DE); // the buyer's fixture attestation lapsed too
        move(seller, buyer, id);
        assertEq(token.ownerOf(id), buyer, "renewed holder can sell");
    }

    function restrict(uint16 country, bool on) internal {
        uint16[] memory cs = new uint16[](1);
        cs[0] = country;
        vm.prank(compliance);
        token.setRestricted(cs, on);
    }
}
