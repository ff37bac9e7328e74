// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Fixture} from "../utils/Fixture.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    AttestationRequest, MintRequest, Order, Permit, ClaimStatus
} from "../../../contracts/types/ClaimTypes.sol";

/// @notice Helpers the unit tests share on top of the fixture: signed attestations and validations (encoded here,
/// independently of the token), malleated signatures, EIP-2612 permits for MockUSDC, and a second deployment.
abstract contract UnitBase is Fixture {
    /// @dev secp256k1 group order.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant ATTESTATION_TYPEHASH = keccak256(
        "AttestationRequest(address wallet,uint64 entityId,uint16 country,uint40 expiry,uint32 flags,uint32 nonce,uint64 deadline)"
    );
    bytes32 internal constant VALIDATION_TYPEHASH = keccak256(
        "Validation(bytes32 claimRef,uint32 classId,address holder,uint96 amount,uint8 status,bytes32 evidence,uint64 deadline)"
    );
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    /// @dev A funded, attested buyer that has NOT approved the market (for permit and approval-race tests).
    uint256 internal buyer3Key = 0xB1E4;
    address internal buyer3;

    function setUp() public virtual override {
        super.setUp();
        buyer3 = vm.addr(buyer3Key);
        attest(buyer3, 4, DE);
        fund(buyer3, 1_000_000e6);
    }

    // ------------------------------------------------------------------ claims
    function mintRequest(address holder, uint32 classId, uint96 amount, ClaimStatus status)
        internal
        returns (MintRequest memory)
    {
        return MintRequest({
            claimRef: keccak256(abi.encode("claim", nextSalt++)),
            classId: classId,
            holder: holder,
            amount: amount,
            status: uint8(status),
            evidence: keccak256("evidence")
        });
    }

    function mintDisputed(address holder, uint96 amount) internal returns (uint256) {
        return mintClaim(holder, GENERAL, amount, ClaimStatus.Disputed);
    }

    function setStatus(uint256 claimId, ClaimStatus status) internal {
        vm.prank(validator);
        token.setStatus(claimId, uint8(status));
    }

    function declare(uint32 classId, uint64 cumulativeRate) internal returns (uint32) {
        vm.prank(trust);
        return distributor.declareRound(classId, cumulativeRate);
    }

    function move(address from, address to, uint256 claimId) internal {
        vm.prank(from);
        token.transferFrom(from, to, claimId);
    }

    // ------------------------------------------------------------------ signatures
    function attestationRequest(address wallet, uint64 entityId, uint16 country)
        internal
        view
        returns (AttestationRequest memory)
    {
        return AttestationRequest({
            wallet: wallet,
            entityId: entityId,
            country: country,
            expiry: uint40(block.timestamp) + YEAR,
            flags: 5,
            nonce: token.attestationOf(wallet).nonce,
            deadline: uint64(block.timestamp + 1 hours)
        });
    }

    function attestationDigest(AttestationRequest memory r) internal view returns (bytes32) {
        return digestOf(
            tokenDomain(),
            keccak256(
                abi.encode(
                    ATTESTATION_TYPEHASH, r.wallet, r.entityId, r.country, r.expiry, r.flags, r.nonce, r.deadline
                )
            )
        );
    }

    function signAttestation(uint256 key, AttestationRequest memory r) internal view returns (bytes memory) {
        return signDigest(key, attestationDigest(r));
    }

    function validationDigest(MintRequest memory q, uint64 deadline) internal view returns (bytes32) {
        return digestOf(
            tokenDomain(),
            keccak256(
                abi.encode(
                    VALIDATION_TYPEHASH, q.claimRef, q.classId, q.holder, q.amount, q.status, q.evidence, deadline
                )
            )
        );
    }

    function signValidation(uint256 key, MintRequest memory q, uint64 deadline) internal view returns (bytes memory) {
        return signDigest(key, validationDigest(q, deadline));
    }

    /// @dev The other valid signature of the same digest: s' = n - s, v flipped. Only a high-s check rejects it.
    function highS(bytes memory sig) internal pure returns (bytes memory, bytes32 sHigh) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        sHigh = bytes32(SECP256K1_N - uint256(s));
        return (abi.encodePacked(r, sHigh, v == 27 ? uint8(28) : uint8(27)), sHigh);
    }

    /// @dev The address ecrecover yields for `sig` over `digest` (what a tampered request "was signed by").
    function recoverOf(bytes32 digest, bytes memory sig) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return ecrecover(digest, v, r, s);
    }

    function usdcPermit(uint256 ownerKey, address spender, uint256 value, uint256 deadline)
        internal
        view
        returns (Permit memory p)
    {
        address owner = vm.addr(ownerKey);
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("USD Coin"),
                keccak256("2"),
                block.chainid,
                address(usdc)
            )
        );
        bytes32 digest =
            digestOf(domain, keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, usdc.nonces(owner), deadline)));
        (p.v, p.r, p.s) = vm.sign(ownerKey, digest);
        p.value = value;
        p.deadline = deadline;
    }

    // ------------------------------------------------------------------ a second deployment
    /// @dev A whole second suite on `stablecoin` with the same role holders and classes.
    function deploySuite(address stablecoin) internal returns (ClaimToken t) {
        t = new ClaimToken(stablecoin, admin);
        vm.startPrank(admin);
        t.grantRole(t.VERIFIER_ROLE(), verifier);
        t.grantRole(t.VALIDATOR_ROLE(), validator);
        t.grantRole(t.COMPLIANCE_ROLE(), compliance);
        t.grantRole(t.RECOVERY_ROLE(), recovery);
        t.grantRole(t.PAUSER_ROLE(), pauser);
        t.grantRole(t.DISTRIBUTOR_ROLE(), trust);
        t.grantRole(t.RESOLVER_ROLE(), resolver);
        vm.stopPrank();
        vm.startPrank(validator);
        t.defineClass(CONVENIENCE, ESTATE);
        t.defineClass(GENERAL, ESTATE);
        vm.stopPrank();
    }

    function attestOn(ClaimToken t, address wallet, uint64 entityId, uint16 country) internal {
        vm.prank(verifier);
        t.attest(wallet, entityId, country, uint40(block.timestamp) + YEAR, 0);
    }

    function mintOn(ClaimToken t, address holder, uint96 amount, ClaimStatus status) internal returns (uint256) {
        vm.prank(validator);
        return t.mint(mintRequest(holder, GENERAL, amount, status));
    }

    function signOrderFor(ClaimMarket m, uint256 key, Order memory o) internal view returns (bytes memory) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("pyclaims ClaimMarket"),
                keccak256("1"),
                block.chainid,
                address(m)
            )
        );
        return signDigest(key, digestOf(domain, orderStructHash(o)));
    }

    function roleError(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }
}
