// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IClaimDistributor} from "./interfaces/IClaimDistributor.sol";
import {IClaimToken} from "./interfaces/IClaimToken.sol";
import {RoundView, ClaimStatus} from "./types/ClaimTypes.sol";

/// @title ClaimDistributor
/// @notice The trust declares rounds by class as a cumulative rate of allowed amount; each (round, claim) pays its
/// holder of record once; disputed shares are withheld until the resolver releases or returns them.
/// @dev Created by the ClaimToken's constructor. Money leaves only to a holder of record (payout, release) or back
/// to the round's funder (return of an expunged claim's share). No loop runs over claims or holders.
contract ClaimDistributor is IClaimDistributor, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    // ------------------------------------------------------------------ constants
    /// @notice Rates are parts per million of allowed amount.
    uint256 public constant RATE_SCALE = 1e6;
    bytes32 private constant _DISTRIBUTOR_ROLE = keccak256("DISTRIBUTOR_ROLE");
    bytes32 private constant _RESOLVER_ROLE = keccak256("RESOLVER_ROLE");
    uint8 private constant _ALLOWED = uint8(ClaimStatus.Allowed);
    uint8 private constant _EXPUNGED = uint8(ClaimStatus.Expunged);

    uint8 private constant _SKIP_WITHHELD = 1;
    uint8 private constant _SKIP_SETTLED = 2;
    uint8 private constant _SKIP_NOT_ENTITLED = 3;
    uint8 private constant _SKIP_WRONG_CLASS = 4;
    uint8 private constant _SKIP_TRANSFER_FAILED = 5;

    // ------------------------------------------------------------------ storage
    /// @dev Slot 0 is all a payout reads of its round. What was paid is the sum of the PayoutMade and
    /// PayoutReleased events (a per-round running total would cost every payout a storage write).
    struct RoundSlot {
        uint32 classId;
        uint64 rateDelta;
        uint40 declaredAt;
        uint64 cumulativeRate;
        address funder;
        uint128 returned;
        uint128 funded;
        uint128 totalAllowed;
        uint128 disputedAllowed;
    }

    IClaimToken private immutable _token;
    IERC20 private immutable _stablecoin;

    mapping(uint32 roundId => RoundSlot) private _rounds;
    mapping(uint32 classId => uint64) private _cumulative;
    /// @dev Settled (round, claim) pairs: word `claimId >> 8`, bit `claimId & 0xff`.
    mapping(uint32 roundId => mapping(uint256 word => uint256)) private _settled;

    constructor(address token_, address stablecoin_) {
        _token = IClaimToken(token_);
        _stablecoin = IERC20(stablecoin_);
    }

    // ================================================================== rounds
    /// @inheritdoc IClaimDistributor
    function declareRound(uint32 classId, uint64 cumulativeRatePpm) external nonReentrant returns (uint32 roundId) {
        _checkRole(_DISTRIBUTOR_ROLE);
        uint64 previous = _cumulative[classId];
        if (cumulativeRatePpm <= previous) revert ClaimDistributorRateNotIncreasing(classId, previous, cumulativeRatePpm);
        uint64 delta = cumulativeRatePpm - previous;
        _cumulative[classId] = cumulativeRatePpm;
        uint128 totalAllowed;
        uint128 disputedAllowed;
        // The token created this contract and makes no external call in beginRound; nonReentrant besides.
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign
        (roundId, totalAllowed, disputedAllowed) = _token.beginRound(classId);
        uint128 funded = Math.mulDiv(totalAllowed, delta, RATE_SCALE, Math.Rounding.Ceil).toUint128();
        _rounds[roundId] = RoundSlot({
            classId: classId,
            rateDelta: delta,
            declaredAt: uint40(block.timestamp),
            cumulativeRate: cumulativeRatePpm,
            funder: msg.sender,
            returned: 0,
            funded: funded,
            totalAllowed: totalAllowed,
            disputedAllowed: disputedAllowed
        });

        uint256 before = _stablecoin.balanceOf(address(this));
        _stablecoin.safeTransferFrom(msg.sender, address(this), funded);
        uint256 received = _stablecoin.balanceOf(address(this)) - before;
        if (received != funded) revert ClaimDistributorShortFunding(funded, received);
        emit RoundDeclared(
            roundId, classId, msg.sender, cumulativeRatePpm, delta, totalAllowed, disputedAllowed, funded
        );
    }

    /// @inheritdoc IClaimDistributor
    function payout(uint32 roundId, uint256 claimId, uint256 hint) external nonReentrant returns (uint256 amount) {
        RoundSlot storage r = _round(roundId);
        _markSettled(roundId, claimId);
        (address holder, uint96 claimAmount, uint8 recordStatus, uint8 currentStatus) =
            _record(r, roundId, claimId, hint);
        if (recordStatus != _ALLOWED || currentStatus != _ALLOWED) revert ClaimDistributorWithheld(roundId, claimId);
        amount = _share(claimAmount, r.rateDelta);
        if (amount != 0) _stablecoin.safeTransfer(holder, amount);
        emit PayoutMade(roundId, claimId, holder, amount);
    }

    /// @inheritdoc IClaimDistributor
    function payoutBatch(uint32 roundId, uint256[] calldata claimIds, uint256[] calldata hints)
        external
        nonReentrant
        returns (uint256 paidCount, uint256 paidAmount)
    {
        if (claimIds.length != hints.length) revert ClaimDistributorLengthMismatch(claimIds.length, hints.length);
        RoundSlot storage r = _round(roundId);
        uint32 classId = r.classId;
        uint64 rateDelta = r.rateDelta;
        for (uint256 i = 0; i < claimIds.length; ++i) {
            uint256 claimId = claimIds[i];
            (uint8 skip, uint256 amount) = _tryPay(roundId, classId, rateDelta, claimId, hints[i]);
            if (skip != 0) {
                emit PayoutSkipped(roundId, claimId, skip);
            } else {
                paidCount += 1;
                paidAmount += amount;
            }
        }
    }

    /// @inheritdoc IClaimDistributor
    function release(uint32 roundId, uint256 claimId, uint256 hint) external nonReentrant returns (uint256 amount) {
        _checkRole(_RESOLVER_ROLE);
        RoundSlot storage r = _round(roundId);
        _markSettled(roundId, claimId);
        (address holder, uint96 claimAmount,, uint8 currentStatus) = _record(r, roundId, claimId, hint);
        if (currentStatus != _ALLOWED) revert ClaimDistributorNotResolved(claimId, currentStatus);
        amount = _share(claimAmount, r.rateDelta);
        if (amount != 0) _stablecoin.safeTransfer(holder, amount);
        emit PayoutReleased(roundId, claimId, holder, amount);
    }

    /// @inheritdoc IClaimDistributor
    function returnWithheld(uint32 roundId, uint256 claimId, uint256 hint)
        external
        nonReentrant
        returns (uint256 amount)
    {
        _checkRole(_RESOLVER_ROLE);
        RoundSlot storage r = _round(roundId);
        _markSettled(roundId, claimId);
        (, uint96 claimAmount,, uint8 currentStatus) = _record(r, roundId, claimId, hint);
        if (currentStatus != _EXPUNGED) revert ClaimDistributorNotResolved(claimId, currentStatus);
        amount = _share(claimAmount, r.rateDelta);
        r.returned += uint128(amount);
        address funder = r.funder;
        if (amount != 0) _stablecoin.safeTransfer(funder, amount);
        emit WithheldReturned(roundId, claimId, funder, amount);
    }

    // ================================================================== views
    /// @inheritdoc IClaimDistributor
    function roundOf(uint32 roundId) external view returns (RoundView memory v) {
        RoundSlot storage r = _round(roundId);
        v.classId = r.classId;
        v.rateDelta = r.rateDelta;
        v.cumulativeRate = r.cumulativeRate;
        v.declaredAt = r.declaredAt;
        v.funder = r.funder;
        v.totalAllowed = r.totalAllowed;
        v.disputedAllowed = r.disputedAllowed;
        v.funded = r.funded;
        v.returned = r.returned;
    }

    /// @inheritdoc IClaimDistributor
    function amountDue(uint32 roundId, uint256 claimId, uint256 hint) external view returns (uint256) {
        RoundSlot storage r = _round(roundId);
        if (isSettled(roundId, claimId)) return 0;
        (, uint96 claimAmount,,) = _record(r, roundId, claimId, hint);
        return _share(claimAmount, r.rateDelta);
    }

    /// @inheritdoc IClaimDistributor
    function isSettled(uint32 roundId, uint256 claimId) public view returns (bool) {
        return (_settled[roundId][claimId >> 8] >> (claimId & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IClaimDistributor
    function cumulativeRateOf(uint32 classId) external view returns (uint64) {
        return _cumulative[classId];
    }

    /// @inheritdoc IClaimDistributor
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IClaimDistributor
    function stablecoin() external view returns (address) {
        return address(_stablecoin);
    }

    // ================================================================== internals
    function _checkRole(bytes32 role) private view {
        if (!IAccessControl(address(_token)).hasRole(role, msg.sender)) {
            revert ClaimDistributorUnauthorized(msg.sender, role);
        }
    }

    function _round(uint32 roundId) private view returns (RoundSlot storage r) {
        r = _rounds[roundId];
        if (r.classId == 0) revert ClaimDistributorUnknownRound(roundId);
    }

    /// @dev The record of `claimId` for the round, which must be of the round's class and have been funded.
    function _record(RoundSlot storage r, uint32 roundId, uint256 claimId, uint256 hint)
        private
        view
        returns (address holder, uint96 amount, uint8 recordStatus, uint8 currentStatus)
    {
        uint32 classId;
        (holder, amount, recordStatus, currentStatus, classId) = _token.recordAt(claimId, roundId, hint);
        if (classId != r.classId) revert ClaimDistributorWrongClass(roundId, claimId, classId);
        // Expunged claims were left out of the round's total: no share of them was funded.
        if (recordStatus == _EXPUNGED) revert ClaimDistributorNotEntitled(roundId, claimId);
    }

    /// @dev Marks (round, claim) settled; reverts if it already was. Called before any transfer.
    function _markSettled(uint32 roundId, uint256 claimId) private {
        mapping(uint256 => uint256) storage words = _settled[roundId];
        uint256 bit = uint256(1) << (claimId & 0xff);
        uint256 word = words[claimId >> 8];
        if (word & bit != 0) revert ClaimDistributorAlreadySettled(roundId, claimId);
        words[claimId >> 8] = word | bit;
    }

    /// @dev floor(amount * rateDelta / 1e6): amount < 2^96 and rateDelta < 2^64, so the product fits in 2^160.
    function _share(uint96 amount, uint64 rateDelta) private pure returns (uint256) {
        return uint256(amount) * rateDelta / RATE_SCALE;
    }

    /// @dev One payout of a batch: `skip` is 0 and `amount` paid, or `skip` is the reason it was passed over and
    /// nothing changed.
    function _tryPay(uint32 roundId, uint32 classId, uint64 rateDelta, uint256 claimId, uint256 hint)
        private
        returns (uint8 skip, uint256 amount)
    {
        if (isSettled(roundId, claimId)) return (_SKIP_SETTLED, 0);
        try _token.recordAt(claimId, roundId, hint) returns (
            address holder, uint96 claimAmount, uint8 recordStatus, uint8 currentStatus, uint32 claimClass
        ) {
            if (claimClass != classId) return (_SKIP_WRONG_CLASS, 0);
            if (recordStatus == _EXPUNGED) return (_SKIP_NOT_ENTITLED, 0);
            if (recordStatus != _ALLOWED || currentStatus != _ALLOWED) return (_SKIP_WITHHELD, 0);
            amount = _share(claimAmount, rateDelta);
            _markSettled(roundId, claimId);
            if (amount != 0 && !_stablecoin.trySafeTransfer(holder, amount)) {
                // Undo the mark: this holder's share stays owed; nobody else's payout is blocked.
                _settled[roundId][claimId >> 8] &= ~(uint256(1) << (claimId & 0xff));
                return (_SKIP_TRANSFER_FAILED, 0);
            }
            emit PayoutMade(roundId, claimId, holder, amount);
        } catch {
            return (_SKIP_NOT_ENTITLED, 0);
        }
    }
}
