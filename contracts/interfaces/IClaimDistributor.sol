// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RoundView} from "../types/ClaimTypes.sol";

/// @title Distribution rounds paid by class to holders of record, with disputed payouts withheld.
/// @notice Rounding rule: each (round, claim) is owed floor(amount * rateDelta / 1e6); a round is funded
/// ceil(totalAllowed * rateDelta / 1e6). The sum owed never exceeds the funding; the dust of a round is at most the
/// number of claims in its class, in base units, and stays here. Withheld money is never counted as dust.
interface IClaimDistributor {
    // ------------------------------------------------------------------ errors
    error ClaimDistributorUnauthorized(address caller, bytes32 role);
    error ClaimDistributorRateNotIncreasing(uint32 classId, uint64 previous, uint64 given);
    error ClaimDistributorShortFunding(uint256 expected, uint256 received);
    error ClaimDistributorUnknownRound(uint32 roundId);
    error ClaimDistributorWrongClass(uint32 roundId, uint256 claimId, uint32 claimClass);
    /// @dev The claim was expunged when the round was declared: no share of it was funded.
    error ClaimDistributorNotEntitled(uint32 roundId, uint256 claimId);
    error ClaimDistributorAlreadySettled(uint32 roundId, uint256 claimId);
    /// @dev The claim is (or was, at the round) disputed: only the resolver releases it.
    error ClaimDistributorWithheld(uint32 roundId, uint256 claimId);
    /// @dev A release needs the claim Allowed now; a return needs it Expunged.
    error ClaimDistributorNotResolved(uint256 claimId, uint8 status);
    error ClaimDistributorLengthMismatch(uint256 claims, uint256 hints);

    // ------------------------------------------------------------------ events
    event RoundDeclared(
        uint32 indexed roundId,
        uint32 indexed classId,
        address indexed funder,
        uint64 cumulativeRate,
        uint64 rateDelta,
        uint128 totalAllowed,
        uint128 disputedAllowed,
        uint128 funded
    );
    event PayoutMade(uint32 indexed roundId, uint256 indexed claimId, address indexed holder, uint256 amount);
    event PayoutReleased(uint32 indexed roundId, uint256 indexed claimId, address indexed holder, uint256 amount);
    event WithheldReturned(uint32 indexed roundId, uint256 indexed claimId, address indexed funder, uint256 amount);
    /// @notice A batch passed over a (round, claim): 1 withheld, 2 already settled, 3 not entitled or bad hint,
    /// 4 wrong class, 5 the stablecoin refused the transfer (for example a blacklisted holder).
    event PayoutSkipped(uint32 indexed roundId, uint256 indexed claimId, uint8 reason);

    /// @notice Declares a round for `classId` at a cumulative rate (ppm of allowed amount) and pulls its funding from
    /// the caller (distributor role). Gas does not depend on the number of claims.
    function declareRound(uint32 classId, uint64 cumulativeRatePpm) external returns (uint32 roundId);
    /// @notice Pays (round, claim) to its holder of record. Anyone may call; the money goes only to that holder.
    function payout(uint32 roundId, uint256 claimId, uint256 hint) external returns (uint256 amount);
    /// @notice Pays many claims of one round; passes over (and reports) the ones that cannot be paid now.
    function payoutBatch(uint32 roundId, uint256[] calldata claimIds, uint256[] calldata hints)
        external
        returns (uint256 paidCount, uint256 paidAmount);
    /// @notice Releases a withheld payout to the holder of record once the claim is Allowed (resolver role).
    function release(uint32 roundId, uint256 claimId, uint256 hint) external returns (uint256 amount);
    /// @notice Returns an expunged claim's withheld payout to the round's funder (resolver role).
    function returnWithheld(uint32 roundId, uint256 claimId, uint256 hint) external returns (uint256 amount);

    function roundOf(uint32 roundId) external view returns (RoundView memory);
    function amountDue(uint32 roundId, uint256 claimId, uint256 hint) external view returns (uint256);
    function isSettled(uint32 roundId, uint256 claimId) external view returns (bool);
    function cumulativeRateOf(uint32 classId) external view returns (uint64);
    function token() external view returns (address);
    function stablecoin() external view returns (address);
}
