// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IClaimMarket} from "./interfaces/IClaimMarket.sol";
import {IClaimToken} from "./interfaces/IClaimToken.sol";
import {Order, Fill, Permit, Side} from "./types/ClaimTypes.sol";

/// @title ClaimMarket
/// @notice Atomic, zero-fee settlement of signed asks and bids for claims, with escrowed (firm) bids.
/// @dev Created by the ClaimToken's constructor, which trusts this contract alone to settle. It has no owner, no
/// pause and no upgrade path: the only ways stablecoin leaves it are a fill of the bid a deposit belongs to (to that
/// fill's seller) and `withdraw` (to the deposit's buyer).
contract ClaimMarket is IClaimMarket, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ constants
    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address maker,address taker,uint8 side,uint32 classId,uint256 claimId,uint256 price,uint256 maxAmount,uint64 expiry,uint64 counter,uint256 salt)"
    );
    /// @notice Class-bid prices are paid per this much allowed amount (1 USD of claim, in base units).
    uint256 public constant PRICE_SCALE = 1e6;

    uint8 private constant _ASK = uint8(Side.Ask);
    uint8 private constant _BID = uint8(Side.Bid);
    /// @dev `Order` is ten static 32-byte words in calldata.
    uint256 private constant _ORDER_SIZE = 0x140;

    // ------------------------------------------------------------------ storage
    /// @dev `filled`: 1 once a specific order is filled; for a class bid, the allowed amount bought so far.
    struct OrderSlot {
        uint128 filled;
        bool cancelled;
    }

    struct DepositSlot {
        address buyer;
        uint96 amount;
    }

    IClaimToken private immutable _token;
    IERC20 private immutable _stablecoin;

    mapping(bytes32 orderHash => OrderSlot) private _orders;
    mapping(address maker => uint256) private _counters;
    // Written through storage pointers in _deposit, _pay and withdraw.
    // slither-disable-next-line uninitialized-state
    mapping(bytes32 orderHash => DepositSlot) private _deposits;
    uint256 private _totalDeposits;

    constructor(address token_, address stablecoin_) EIP712("pyclaims ClaimMarket", "1") {
        _token = IClaimToken(token_);
        _stablecoin = IERC20(stablecoin_);
    }

    // ================================================================== fills
    /// @inheritdoc IClaimMarket
    function fillAsk(Order calldata ask, bytes calldata signature) external nonReentrant returns (bytes32) {
        return _fillAsk(ask, signature, msg.sender);
    }

    /// @inheritdoc IClaimMarket
    function fillAskWithPermit(Order calldata ask, bytes calldata signature, Permit calldata permit)
        external
        nonReentrant
        returns (bytes32)
    {
        _permit(permit, ask.price);
        return _fillAsk(ask, signature, msg.sender);
    }

    /// @inheritdoc IClaimMarket
    function fillBid(Order calldata bid, bytes calldata signature, uint256 claimId)
        external
        nonReentrant
        returns (bytes32)
    {
        return _fillBid(bid, signature, claimId, msg.sender);
    }

    /// @inheritdoc IClaimMarket
    function fillBatch(Fill[] calldata fills) external nonReentrant {
        uint256 n = fills.length;
        if (n == 0) revert ClaimMarketEmptyBatch();
        for (uint256 i = 0; i < n; ++i) {
            Fill calldata f = fills[i];
            // Fills run one after another under the batch's nonReentrant; the token (this market's creator) makes
            // no external call while moving a claim.
            // slither-disable-next-line reentrancy-no-eth
            if (f.order.side == _ASK) _fillAsk(f.order, f.signature, msg.sender);
            else _fillBid(f.order, f.signature, f.claimId, msg.sender);
        }
    }

    // ================================================================== escrow
    /// @inheritdoc IClaimMarket
    function deposit(Order calldata bid, uint256 amount) external nonReentrant returns (bytes32) {
        return _deposit(bid, amount);
    }

    /// @inheritdoc IClaimMarket
    function depositWithPermit(Order calldata bid, uint256 amount, Permit calldata permit)
        external
        nonReentrant
        returns (bytes32)
    {
        _permit(permit, amount);
        return _deposit(bid, amount);
    }

    /// @inheritdoc IClaimMarket
    function withdraw(bytes32 orderHash) external nonReentrant returns (uint256 amount) {
        DepositSlot storage d = _deposits[orderHash];
        if (d.buyer != msg.sender) revert ClaimMarketNotDepositor(orderHash, msg.sender);
        amount = d.amount;
        if (amount == 0) revert ClaimMarketNothingToWithdraw(orderHash);
        d.amount = 0;
        _totalDeposits -= amount;
        OrderSlot storage s = _orders[orderHash];
        if (!s.cancelled) {
            s.cancelled = true;
            emit OrderCancelled(orderHash, msg.sender);
        }
        _stablecoin.safeTransfer(msg.sender, amount);
        emit Withdrawn(orderHash, msg.sender, amount);
    }

    // ================================================================== cancellation
    /// @inheritdoc IClaimMarket
    function cancel(Order[] calldata orders) external {
        for (uint256 i = 0; i < orders.length; ++i) {
            Order calldata o = orders[i];
            bytes32 h = _hashOrder(o);
            if (o.maker != msg.sender) revert ClaimMarketNotMaker(h, o.maker, msg.sender);
            _orders[h].cancelled = true;
            emit OrderCancelled(h, msg.sender);
        }
    }

    /// @inheritdoc IClaimMarket
    function incrementCounter() external returns (uint256 newCounter) {
        newCounter = ++_counters[msg.sender];
        emit CounterIncremented(msg.sender, newCounter);
    }

    // ================================================================== views
    /// @inheritdoc IClaimMarket
    function hashOrder(Order calldata order) external pure returns (bytes32) {
        return _hashOrder(order);
    }

    /// @inheritdoc IClaimMarket
    function orderState(bytes32 orderHash) external view returns (uint256 filledAmount, bool cancelled) {
        OrderSlot storage s = _orders[orderHash];
        return (s.filled, s.cancelled);
    }

    /// @inheritdoc IClaimMarket
    function counterOf(address maker) external view returns (uint256) {
        return _counters[maker];
    }

    /// @inheritdoc IClaimMarket
    function depositOf(bytes32 orderHash) external view returns (address buyer, uint256 amount) {
        DepositSlot storage d = _deposits[orderHash];
        return (d.buyer, d.amount);
    }

    /// @inheritdoc IClaimMarket
    function totalDeposits() external view returns (uint256) {
        return _totalDeposits;
    }

    /// @inheritdoc IClaimMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IClaimMarket
    function stablecoin() external view returns (address) {
        return address(_stablecoin);
    }

    /// @inheritdoc IClaimMarket
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ================================================================== internals
    function _fillAsk(Order calldata ask, bytes calldata signature, address buyer) private returns (bytes32 h) {
        // Hash first: it rejects non-canonical narrow fields with a decodable error before Solidity reads them.
        h = _hashOrder(ask);
        if (ask.side != _ASK) revert ClaimMarketWrongSide(_ASK, ask.side);
        uint256 claimId = ask.claimId;
        if (claimId == 0) revert ClaimMarketInvalidOrder("claimId");
        if (ask.classId != 0) revert ClaimMarketInvalidOrder("classId");
        if (ask.maxAmount != 0) revert ClaimMarketInvalidOrder("maxAmount");
        OrderSlot storage s = _checkOpen(ask, h, buyer);
        if (s.filled != 0) revert ClaimMarketOrderFilled(h);
        _verify(ask, h, signature);

        s.filled = 1;
        address seller = ask.maker;
        uint256 price = ask.price;
        // slither-disable-next-line unused-return (an ask names its claim: the class is not needed)
        _token.marketTransfer(seller, buyer, claimId);
        // `buyer` is msg.sender of fillAsk/fillBatch: the market pulls only from the party that called.
        // slither-disable-next-line arbitrary-send-erc20
        _stablecoin.safeTransferFrom(buyer, seller, price);
        emit OrderFilled(h, buyer, seller, claimId, price);
    }

    function _fillBid(Order calldata bid, bytes calldata signature, uint256 claimId, address seller)
        private
        returns (bytes32 h)
    {
        h = _hashOrder(bid);
        if (bid.side != _BID) revert ClaimMarketWrongSide(_BID, bid.side);
        bool classBid = _requireBidShape(bid);
        if (!classBid && bid.claimId != claimId) revert ClaimMarketClaimMismatch(h, claimId);
        OrderSlot storage s = _checkOpen(bid, h, seller);
        if (!classBid && s.filled != 0) revert ClaimMarketOrderFilled(h);
        _verify(bid, h, signature);

        address buyer = bid.maker;
        // The token is this market's creator and makes no external call while moving a claim.
        uint32 classId = _token.marketTransfer(seller, buyer, claimId);
        uint256 payment;
        if (classBid) {
            if (classId != bid.classId) revert ClaimMarketClaimMismatch(h, claimId);
            payment = _fillClassBid(bid, s, h, _token.amountOf(claimId));
        } else {
            s.filled = 1;
            payment = bid.price;
        }
        _pay(h, buyer, seller, payment);
        emit OrderFilled(h, buyer, seller, claimId, payment);
    }

    /// @dev Adds `amount` to a class bid's filled amount, within `maxAmount`; returns the payment (rounded down).
    function _fillClassBid(Order calldata bid, OrderSlot storage s, bytes32 h, uint96 amount)
        private
        returns (uint256 payment)
    {
        uint256 filled = s.filled;
        uint256 newFilled = filled + amount;
        uint256 maxAmount = bid.maxAmount;
        if (newFilled > maxAmount) revert ClaimMarketFillExceedsOrder(h, filled, amount, maxAmount);
        // maxAmount <= type(uint128).max is a shape rule, so newFilled fits.
        s.filled = uint128(newFilled);
        payment = Math.mulDiv(amount, bid.price, PRICE_SCALE);
    }

    /// @dev Pays the seller of a bid fill: from the bid's deposit when it has one (which must cover the payment),
    /// otherwise from the buyer, who signed the bid.
    function _pay(bytes32 h, address buyer, address seller, uint256 payment) private {
        DepositSlot storage d = _deposits[h];
        uint256 escrow = d.amount;
        if (escrow != 0) {
            if (escrow < payment) revert ClaimMarketDepositTooSmall(h, escrow, payment);
            // payment <= escrow <= _totalDeposits: no underflow.
            unchecked {
                d.amount = uint96(escrow - payment);
                _totalDeposits -= payment;
            }
            emit DepositSpent(h, payment, escrow - payment);
            _stablecoin.safeTransfer(seller, payment);
        } else {
            // `buyer` is the maker whose signature over this bid was verified: the market pulls only from the
            // party that signed.
            // slither-disable-next-line arbitrary-send-erc20
            _stablecoin.safeTransferFrom(buyer, seller, payment);
        }
    }

    function _deposit(Order calldata bid, uint256 amount) private returns (bytes32 h) {
        h = _hashOrder(bid);
        if (bid.side != _BID) revert ClaimMarketWrongSide(_BID, bid.side);
        bool classBid = _requireBidShape(bid);
        if (bid.maker != msg.sender) revert ClaimMarketNotMaker(h, bid.maker, msg.sender);
        if (amount == 0) revert ClaimMarketZeroDeposit();
        OrderSlot storage s = _checkOpen(bid, h, address(0));
        if (!classBid && s.filled != 0) revert ClaimMarketOrderFilled(h);

        uint256 before = _stablecoin.balanceOf(address(this));
        _stablecoin.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _stablecoin.balanceOf(address(this)) - before;
        if (received == 0) revert ClaimMarketZeroDeposit();

        DepositSlot storage d = _deposits[h];
        uint256 total = uint256(d.amount) + received;
        if (total > type(uint96).max) revert ClaimMarketDepositOverflow(h);
        d.buyer = msg.sender;
        d.amount = uint96(total);
        _totalDeposits += received;
        emit Deposited(h, msg.sender, received, total);
    }

    /// @dev Returns whether `bid` is a class bid, after checking it has one of the two bid shapes.
    function _requireBidShape(Order calldata bid) private pure returns (bool classBid) {
        classBid = bid.claimId == 0;
        if (classBid) {
            if (bid.classId == 0) revert ClaimMarketInvalidOrder("classId");
            if (bid.maxAmount == 0 || bid.maxAmount > type(uint128).max) revert ClaimMarketInvalidOrder("maxAmount");
        } else {
            if (bid.classId != 0) revert ClaimMarketInvalidOrder("classId");
            if (bid.maxAmount != 0) revert ClaimMarketInvalidOrder("maxAmount");
        }
    }

    /// @dev Expiry, taker, counter and cancellation. `caller == address(0)` skips the taker check (deposits).
    function _checkOpen(Order calldata o, bytes32 h, address caller) private view returns (OrderSlot storage s) {
        if (block.timestamp > o.expiry) revert ClaimMarketOrderExpired(h, o.expiry);
        address taker = o.taker;
        if (caller != address(0) && taker != address(0) && taker != caller) {
            revert ClaimMarketWrongTaker(h, taker, caller);
        }
        uint256 current = _counters[o.maker];
        if (o.counter != current) revert ClaimMarketStaleCounter(h, o.counter, current);
        s = _orders[h];
        if (s.cancelled) revert ClaimMarketOrderCancelled(h);
    }

    /// @dev ECDSA first (low-s only, 65 bytes: OpenZeppelin's tryRecover), then ERC-1271 for contract makers, checked
    /// now, so a contract wallet's revocation is honoured at settlement.
    function _verify(Order calldata o, bytes32 h, bytes calldata signature) private view {
        bytes32 digest = _hashTypedDataV4(h);
        address maker = o.maker;
        // slither-disable-next-line unused-return (the third value is the offending `s`, only for error messages)
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == maker) return;
        if (maker.code.length != 0 && SignatureChecker.isValidERC1271SignatureNowCalldata(maker, digest, signature)) {
            return;
        }
        revert ClaimMarketInvalidSignature(h, maker);
    }

    function _permit(Permit calldata p, uint256 needed) private {
        if (block.timestamp > p.deadline) revert ClaimMarketPermitExpired(p.deadline);
        // A permit someone already submitted (front-run) reverts here; the allowance it set is what counts.
        try IERC20Permit(address(_stablecoin)).permit(msg.sender, address(this), p.value, p.deadline, p.v, p.r, p.s) {}
            catch {}
        uint256 allowance = _stablecoin.allowance(msg.sender, address(this));
        if (allowance < needed) revert ClaimMarketPermitFailed(msg.sender, allowance, needed);
    }

    /// @dev EIP-712 struct hash of an order straight from calldata: typehash followed by the ten static words.
    /// A narrow field (address, uint8, uint32, uint64) with dirty upper bits would hash differently from the same
    /// order encoded canonically, so such calldata is rejected here.
    function _hashOrder(Order calldata o) private pure returns (bytes32 h) {
        bytes32 typehash = ORDER_TYPEHASH;
        bool dirty;
        assembly ("memory-safe") {
            dirty := or(
                or(shr(160, calldataload(o)), shr(160, calldataload(add(o, 0x20)))),
                or(
                    or(shr(8, calldataload(add(o, 0x40))), shr(32, calldataload(add(o, 0x60)))),
                    or(shr(64, calldataload(add(o, 0xe0))), shr(64, calldataload(add(o, 0x100))))
                )
            )
        }
        if (dirty) revert ClaimMarketNonCanonicalOrder();
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), o, _ORDER_SIZE)
            h := keccak256(ptr, add(_ORDER_SIZE, 0x20))
        }
    }
}
