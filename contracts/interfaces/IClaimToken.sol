// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Attestation, AttestationRequest, MintRequest, Record, ClaimView, ClassView} from "../types/ClaimTypes.sol";

/// @title The claim token: one compliance-gated ERC-721 per validated claim, plus the identity registry it checks.
/// @notice Every movement of a claim (transfer, safe transfer, approved operator, market settlement, recovery) passes
/// one internal check: not paused, claim Allowed, both wallets eligible. Recovery alone may move a non-Allowed claim,
/// and only to another eligible wallet of the same entity.
interface IClaimToken {
    // ------------------------------------------------------------------ errors
    /// @dev An address argument was the zero address. `what` names it.
    error ClaimTokenZeroAddress(string what);
    /// @dev Country codes are ISO 3166-1 numeric, 1..999.
    error ClaimTokenInvalidCountry(uint16 country);
    /// @dev Entity ids start at 1.
    error ClaimTokenInvalidEntity(uint64 entityId);
    /// @dev An attestation must expire in the future.
    error ClaimTokenInvalidExpiry(uint40 expiry, uint256 nowTimestamp);
    /// @dev The wallet has no attestation (never attested or revoked).
    error ClaimTokenNotAttested(address wallet);
    /// @dev The wallet's attestation has expired.
    error ClaimTokenAttestationExpired(address wallet, uint40 expiry);
    /// @dev The wallet's country is in the restricted-jurisdiction set.
    error ClaimTokenJurisdictionRestricted(address wallet, uint16 country);
    /// @dev A signed request named a nonce other than the wallet's current one.
    error ClaimTokenInvalidNonce(address wallet, uint32 expected, uint32 given);
    /// @dev A signed request is past its deadline.
    error ClaimTokenSignatureExpired(uint64 deadline);
    /// @dev The signer of a request does not hold the role it needs.
    error ClaimTokenUnauthorizedSigner(address signer, bytes32 role);
    /// @dev Class ids start at 1, and a class is defined once.
    error ClaimTokenInvalidClass(uint32 classId);
    error ClaimTokenClassExists(uint32 classId);
    error ClaimTokenUnknownClass(uint32 classId);
    /// @dev A claim reference must be non-zero.
    error ClaimTokenInvalidClaimRef();
    /// @dev This claim reference is already minted, as `claimId`.
    error ClaimTokenClaimExists(bytes32 claimRef, uint256 claimId);
    /// @dev Allowed amounts are positive.
    error ClaimTokenZeroAmount();
    /// @dev The status is not one the operation accepts.
    error ClaimTokenInvalidStatus(uint8 status);
    /// @dev The claim is not Allowed, so it cannot move.
    error ClaimTokenNotTransferable(uint256 claimId, uint8 status);
    /// @dev The claim is Expunged: final.
    error ClaimTokenClaimExpunged(uint256 claimId);
    /// @dev Recovery moves a claim only to another wallet of the same entity.
    error ClaimTokenEntityMismatch(address from, address to);
    /// @dev Claims do not move while the token is paused.
    error ClaimTokenPaused();
    error ClaimTokenNotPaused();
    /// @dev Only the market the token created may settle; only the distributor it created may open rounds.
    error ClaimTokenOnlyMarket(address caller);
    error ClaimTokenOnlyDistributor(address caller);
    /// @dev The claim did not exist when round `roundId` was declared.
    error ClaimTokenNotOfRecord(uint256 claimId, uint32 roundId);
    /// @dev `hint` is not the index of the record that covers round `roundId`.
    error ClaimTokenBadRecordHint(uint256 claimId, uint32 roundId, uint256 hint);

    // ------------------------------------------------------------------ events
    event Attested(
        address indexed wallet, uint64 indexed entityId, uint16 country, uint40 expiry, uint32 flags, uint32 nonce
    );
    event AttestationRevoked(address indexed wallet, uint64 indexed entityId, uint32 nonce);
    event JurisdictionRestricted(uint16 indexed country, bool restricted);
    event ClassDefined(uint32 indexed classId, uint32 indexed estateId);
    event ClaimMinted(
        uint256 indexed claimId,
        uint32 indexed classId,
        address indexed holder,
        bytes32 claimRef,
        uint96 amount,
        uint8 status,
        bytes32 evidence
    );
    event ClaimAmountAmended(uint256 indexed claimId, uint96 oldAmount, uint96 newAmount);
    event ClaimStatusChanged(uint256 indexed claimId, uint8 oldStatus, uint8 newStatus);
    event ClaimRecovered(uint256 indexed claimId, address indexed from, address indexed to);
    event Paused(address indexed account);
    event Unpaused(address indexed account);
    event RoundOpened(uint32 indexed roundId, uint32 indexed classId, uint128 totalAllowed, uint128 disputedAllowed);

    // ------------------------------------------------------------------ identity
    /// @notice Writes `wallet`'s attestation (verifier role). Bumps the wallet's nonce.
    function attest(address wallet, uint64 entityId, uint16 country, uint40 expiry, uint32 flags) external;
    /// @notice Writes an attestation carried by anyone with a verifier's EIP-712 signature (gasless onboarding).
    function attestBySig(AttestationRequest calldata req, bytes calldata signature) external;
    /// @notice Revokes `wallet`'s attestation at once (verifier role). Keeps its entity id for recovery.
    function revokeAttestation(address wallet) external;
    /// @notice Adds or removes countries from the restricted-jurisdiction set (compliance role); applies to everyone at once.
    function setRestricted(uint16[] calldata countries, bool restricted) external;
    /// @notice Attested, unexpired and not in a restricted jurisdiction.
    function isEligible(address wallet) external view returns (bool);
    function isRestricted(uint16 country) external view returns (bool);
    function attestationOf(address wallet) external view returns (Attestation memory);

    // ------------------------------------------------------------------ claims
    /// @notice Defines class `classId` of estate `estateId` (validator role). Classes are data.
    function defineClass(uint32 classId, uint32 estateId) external;
    /// @notice Mints a validated claim (validator role). A claim reference mints once.
    function mint(MintRequest calldata req) external returns (uint256 claimId);
    /// @notice Mints many claims, all or nothing (validator role). Returns the first id; ids are consecutive.
    function mintBatch(MintRequest[] calldata reqs) external returns (uint256 firstClaimId);
    /// @notice Mints a claim carried by anyone with a validator's EIP-712 validation signature.
    function mintBySig(MintRequest calldata req, uint64 deadline, bytes calldata signature)
        external
        returns (uint256 claimId);
    /// @notice Sets a claim's allowed amount (validator role); class totals follow exactly.
    function amendAmount(uint256 claimId, uint96 newAmount) external;
    /// @notice Sets a claim's status (validator role); class totals follow exactly. Expunged is final.
    function setStatus(uint256 claimId, uint8 newStatus) external;
    /// @notice Moves a claim from a lost wallet to another eligible wallet of the same entity (recovery role).
    function recover(uint256 claimId, address to) external;
    function pause() external;
    function unpause() external;
    function paused() external view returns (bool);

    function claimIdOf(bytes32 claimRef) external view returns (uint256);
    function claimOf(uint256 claimId) external view returns (ClaimView memory);
    function classOf(uint32 classId) external view returns (ClassView memory);
    function claimCount() external view returns (uint256);

    // ------------------------------------------------------------------ modules
    /// @notice The market this token created in its constructor; the only contract that may settle.
    function market() external view returns (address);
    /// @notice The distributor this token created in its constructor; the only contract that may open rounds.
    function distributor() external view returns (address);
    function stablecoin() external view returns (address);

    /// @notice Settlement move (market only): the same checks as any transfer, without an ERC-721 approval, because
    /// the market has checked the seller's signature or that the seller is the caller.
    /// @return classId The claim's class.
    function marketTransfer(address from, address to, uint256 claimId) external returns (uint32 classId);
    /// @notice A claim's allowed amount (cheaper than `claimOf` when that is all a caller needs).
    function amountOf(uint256 claimId) external view returns (uint96);

    // ------------------------------------------------------------------ holder of record
    /// @notice Opens round `roundId` for `classId` (distributor only) and returns the class totals of record.
    function beginRound(uint32 classId)
        external
        returns (uint32 roundId, uint128 totalAllowed, uint128 disputedAllowed);
    /// @notice The number of rounds opened so far (the current epoch).
    function epoch() external view returns (uint32);
    /// @notice Holder, amount and status of record of `claimId` for round `roundId`, with its current status.
    /// @param hint The index in the claim's record history that covers `roundId` (ignored when the current values do).
    function recordAt(uint256 claimId, uint32 roundId, uint256 hint)
        external
        view
        returns (address holder, uint96 amount, uint8 recordStatus, uint8 currentStatus, uint32 classId);
    function recordCount(uint256 claimId) external view returns (uint256);
    function recordOf(uint256 claimId, uint256 index) external view returns (Record memory);
}
