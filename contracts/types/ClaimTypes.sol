// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Life of a claim as the estate sees it. Expunged is final.
enum ClaimStatus {
    Allowed,
    Disputed,
    Expunged
}

/// @notice Which way an order goes: an ask sells a claim, a bid buys one.
enum Side {
    Ask,
    Bid
}

/// @notice One wallet's identity attestation, packed in one storage slot.
/// @dev `expiry == 0` means never attested or revoked. `nonce` counts writes, so a signed attestation replays never.
struct Attestation {
    uint64 entityId;
    uint16 country;
    uint40 expiry;
    uint32 flags;
    uint32 nonce;
}

/// @notice An attestation a verifier signs off-chain for gasless onboarding (EIP-712 type `AttestationRequest`).
struct AttestationRequest {
    address wallet;
    uint64 entityId;
    uint16 country;
    uint40 expiry;
    uint32 flags;
    uint32 nonce;
    uint64 deadline;
}

/// @notice A validated claim to mint. `claimRef` is a hash of the estate's claim number: no personal data on chain.
struct MintRequest {
    bytes32 claimRef;
    uint32 classId;
    address holder;
    uint96 amount;
    uint8 status;
    bytes32 evidence;
}

/// @notice Who held a claim, for how much and in what status, for the rounds `fromEpoch < round <= toEpoch`.
struct Record {
    address holder;
    uint96 amount;
    uint8 status;
    uint32 fromEpoch;
    uint32 toEpoch;
}

/// @notice A claim as read from the token.
struct ClaimView {
    address holder;
    uint32 classId;
    uint32 estateId;
    uint96 amount;
    ClaimStatus status;
    bytes32 claimRef;
    bytes32 evidence;
}

/// @notice A class of claims (for example an estate's convenience class) and its exact running totals.
struct ClassView {
    bool defined;
    uint32 estateId;
    uint64 claimCount;
    uint128 totalAllowed;
    uint128 disputedAllowed;
}

/// @notice A signed order (EIP-712 type `Order`). See docs/DESIGN.md for the three shapes (ask, bid, class bid).
struct Order {
    address maker;
    address taker;
    uint8 side;
    uint32 classId;
    uint256 claimId;
    uint256 price;
    uint256 maxAmount;
    uint64 expiry;
    uint64 counter;
    uint256 salt;
}

/// @notice One element of a batch fill: the signed order and, for bids, the claim the caller sells into it.
struct Fill {
    Order order;
    bytes signature;
    uint256 claimId;
}

/// @notice An EIP-2612 permit for the stablecoin, spender = the market.
struct Permit {
    uint256 value;
    uint256 deadline;
    uint8 v;
    bytes32 r;
    bytes32 s;
}

/// @notice A distribution round for one class.
struct RoundView {
    uint32 classId;
    uint64 rateDelta;
    uint64 cumulativeRate;
    uint40 declaredAt;
    address funder;
    uint128 totalAllowed;
    uint128 disputedAllowed;
    uint128 funded;
    uint128 returned;
}
