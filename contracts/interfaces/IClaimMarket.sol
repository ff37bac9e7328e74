// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Order, Fill, Permit} from "../types/ClaimTypes.sol";

/// @title The settlement market: signed asks and bids, atomic zero-fee fills, escrowed (firm) bids.
/// @notice A fill moves the stablecoin buyer -> seller and the claim seller -> buyer in one transaction, or nothing.
/// 100% of the price reaches the seller: there is no fee code path. A deposit leaves the market only to the seller
/// of a fill of its bid, or to its buyer through `withdraw`. The market has no owner, no pause and no upgrade path.
interface IClaimMarket {
    // ------------------------------------------------------------------ errors
    /// @dev The order's `side` is not what the function fills.
    error ClaimMarketWrongSide(uint8 expected, uint8 given);
    /// @dev The order's fields do not form one of the three shapes (ask, bid, class bid). `field` names the problem.
    error ClaimMarketInvalidOrder(string field);
    error ClaimMarketOrderExpired(bytes32 orderHash, uint64 expiry);
    error ClaimMarketWrongTaker(bytes32 orderHash, address taker, address caller);
    error ClaimMarketStaleCounter(bytes32 orderHash, uint64 orderCounter, uint256 makerCounter);
    error ClaimMarketOrderCancelled(bytes32 orderHash);
    error ClaimMarketOrderFilled(bytes32 orderHash);
    error ClaimMarketInvalidSignature(bytes32 orderHash, address maker);
    /// @dev The claim sold into a bid is not the one (or not of the class) the bid names.
    error ClaimMarketClaimMismatch(bytes32 orderHash, uint256 claimId);
    /// @dev A class-bid fill would take the bid past its `maxAmount`.
    error ClaimMarketFillExceedsOrder(bytes32 orderHash, uint256 filled, uint256 amount, uint256 maxAmount);
    /// @dev The caller is not the order's maker.
    error ClaimMarketNotMaker(bytes32 orderHash, address maker, address caller);
    error ClaimMarketZeroDeposit();
    /// @dev The deposit of an escrowed bid does not cover the payment.
    error ClaimMarketDepositTooSmall(bytes32 orderHash, uint256 deposit, uint256 payment);
    error ClaimMarketDepositOverflow(bytes32 orderHash);
    error ClaimMarketNotDepositor(bytes32 orderHash, address caller);
    error ClaimMarketNothingToWithdraw(bytes32 orderHash);
    error ClaimMarketPermitExpired(uint256 deadline);
    /// @dev The permit failed and the allowance does not cover `needed` either.
    error ClaimMarketPermitFailed(address owner, uint256 allowance, uint256 needed);
    error ClaimMarketEmptyBatch();
    /// @dev A narrow order field (address, uint8, uint32, uint64) carried dirty upper bits.
    error ClaimMarketNonCanonicalOrder();

    // ------------------------------------------------------------------ events
    /// @notice A fill: `buyer` received claim `claimId`; `seller` received exactly `price`.
    event OrderFilled(
        bytes32 indexed orderHash, address indexed buyer, address indexed seller, uint256 claimId, uint256 price
    );
    /// @notice An escrowed bid's fill was paid from its deposit: `amount` left, `remaining` is still escrowed.
    event DepositSpent(bytes32 indexed orderHash, uint256 amount, uint256 remaining);
    event OrderCancelled(bytes32 indexed orderHash, address indexed maker);
    event CounterIncremented(address indexed maker, uint256 newCounter);
    event Deposited(bytes32 indexed orderHash, address indexed buyer, uint256 amount, uint256 total);
    event Withdrawn(bytes32 indexed orderHash, address indexed buyer, uint256 amount);

    // ------------------------------------------------------------------ fills
    /// @notice Buys the claim of a signed ask: the caller pays `ask.price` to the maker and receives the claim.
    function fillAsk(Order calldata ask, bytes calldata signature) external returns (bytes32 orderHash);
    /// @notice `fillAsk`, with an EIP-2612 permit for the stablecoin first. A permit already used (front-run) is fine
    /// as long as the allowance covers the price.
    function fillAskWithPermit(Order calldata ask, bytes calldata signature, Permit calldata permit)
        external
        returns (bytes32 orderHash);
    /// @notice Sells `claimId` into a signed bid: the caller (its holder) receives the price; the maker the claim.
    /// An escrowed bid is paid from its deposit.
    function fillBid(Order calldata bid, bytes calldata signature, uint256 claimId)
        external
        returns (bytes32 orderHash);
    /// @notice Fills many orders as the caller (buyer of asks, seller into bids). All or nothing.
    function fillBatch(Fill[] calldata fills) external;

    // ------------------------------------------------------------------ escrow
    /// @notice Escrows `amount` for the caller's own bid. Credits what actually arrived.
    function deposit(Order calldata bid, uint256 amount) external returns (bytes32 orderHash);
    function depositWithPermit(Order calldata bid, uint256 amount, Permit calldata permit)
        external
        returns (bytes32 orderHash);
    /// @notice Cancels the caller's escrowed bid and returns all of its deposit to the caller. Never paused.
    function withdraw(bytes32 orderHash) external returns (uint256 amount);

    // ------------------------------------------------------------------ cancellation
    /// @notice Cancels the caller's own orders.
    function cancel(Order[] calldata orders) external;
    /// @notice Cancels every order the caller signed with the current counter.
    function incrementCounter() external returns (uint256 newCounter);

    // ------------------------------------------------------------------ views
    function hashOrder(Order calldata order) external view returns (bytes32);
    function orderState(bytes32 orderHash) external view returns (uint256 filledAmount, bool cancelled);
    function counterOf(address maker) external view returns (uint256);
    function depositOf(bytes32 orderHash) external view returns (address buyer, uint256 amount);
    function totalDeposits() external view returns (uint256);
    function token() external view returns (address);
    function stablecoin() external view returns (address);
    function domainSeparator() external view returns (bytes32);
}
