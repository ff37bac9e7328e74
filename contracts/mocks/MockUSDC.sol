// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title MockUSDC — local networks only
/// @notice A USDC-like token for tests, the demo and the benchmarks: 6 decimals, EIP-2612 permit (ERC-1271 signers
/// too), pause and blacklist. Storage is laid out like Circle's FiatToken v2.2 (the blacklist flag lives in the top
/// bit of the balance slot; the pause flag shares a slot with the owner) so its gas is close to the real token's.
contract MockUSDC is IERC20, IERC20Metadata, IERC20Permit, EIP712 {
    error MockUSDCNotOwner(address caller);
    error MockUSDCPaused();
    error MockUSDCBlacklisted(address account);
    error MockUSDCInsufficientBalance(address account, uint256 balance, uint256 needed);
    error MockUSDCInsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    error MockUSDCZeroAddress();
    error MockUSDCPermitExpired(uint256 deadline);
    error MockUSDCInvalidPermit(address owner);
    error MockUSDCAmountTooLarge(uint256 amount);

    event Blacklisted(address indexed account);
    event UnBlacklisted(address indexed account);
    event Pause();
    event Unpause();

    bytes32 private constant _PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    uint256 private constant _BLACKLIST_BIT = 1 << 255;

    address public owner;
    bool public paused;
    mapping(address => uint256) private _balanceAndBlacklistStates;
    mapping(address => mapping(address => uint256)) private _allowances;
    mapping(address => uint256) private _nonces;
    uint256 private _totalSupply;

    constructor() EIP712("USD Coin", "2") {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert MockUSDCNotOwner(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert MockUSDCPaused();
        _;
    }

    function name() external pure returns (string memory) {
        return "USD Coin (mock)";
    }

    function symbol() external pure returns (string memory) {
        return "USDC";
    }

    function decimals() external pure returns (uint8) {
        return 6;
    }

    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    function balanceOf(address account) external view returns (uint256) {
        return _balanceAndBlacklistStates[account] & ~_BLACKLIST_BIT;
    }

    function isBlacklisted(address account) public view returns (bool) {
        return _balanceAndBlacklistStates[account] & _BLACKLIST_BIT != 0;
    }

    function allowance(address holder, address spender) external view returns (uint256) {
        return _allowances[holder][spender];
    }

    function approve(address spender, uint256 value) external whenNotPaused returns (bool) {
        _notBlacklisted(msg.sender);
        _notBlacklisted(spender);
        _approve(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external whenNotPaused returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external whenNotPaused returns (bool) {
        _notBlacklisted(msg.sender);
        uint256 allowed = _allowances[from][msg.sender];
        if (allowed < value) revert MockUSDCInsufficientAllowance(from, msg.sender, allowed, value);
        // Like FiatToken, an "infinite" allowance is decremented too.
        unchecked {
            _allowances[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
    }

    function permit(address holder, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
    {
        if (block.timestamp > deadline) revert MockUSDCPermitExpired(deadline);
        _notBlacklisted(holder);
        _notBlacklisted(spender);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(_PERMIT_TYPEHASH, holder, spender, value, _nonces[holder]++, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(holder, digest, abi.encodePacked(r, s, v))) {
            revert MockUSDCInvalidPermit(holder);
        }
        _approve(holder, spender, value);
    }

    function nonces(address holder) external view returns (uint256) {
        return _nonces[holder];
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ issuer functions
    function mint(address to, uint256 amount) external onlyOwner whenNotPaused {
        if (to == address(0)) revert MockUSDCZeroAddress();
        _notBlacklisted(to);
        uint256 balance = _balanceAndBlacklistStates[to];
        if (balance + amount >= _BLACKLIST_BIT) revert MockUSDCAmountTooLarge(amount);
        _totalSupply += amount;
        _balanceAndBlacklistStates[to] = balance + amount;
        emit Transfer(address(0), to, amount);
    }

    function pause() external onlyOwner {
        paused = true;
        emit Pause();
    }

    function unpause() external onlyOwner {
        paused = false;
        emit Unpause();
    }

    function blacklist(address account) external onlyOwner {
        _balanceAndBlacklistStates[account] |= _BLACKLIST_BIT;
        emit Blacklisted(account);
    }

    function unBlacklist(address account) external onlyOwner {
        _balanceAndBlacklistStates[account] &= ~_BLACKLIST_BIT;
        emit UnBlacklisted(account);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert MockUSDCZeroAddress();
        owner = newOwner;
    }

    // ------------------------------------------------------------------ internals
    function _notBlacklisted(address account) private view {
        if (isBlacklisted(account)) revert MockUSDCBlacklisted(account);
    }

    function _approve(address holder, address spender, uint256 value) private {
        if (spender == address(0)) revert MockUSDCZeroAddress();
        _allowances[holder][spender] = value;
        emit Approval(holder, spender, value);
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert MockUSDCZeroAddress();
        uint256 fromState = _balanceAndBlacklistStates[from];
        if (fromState & _BLACKLIST_BIT != 0) revert MockUSDCBlacklisted(from);
        if (fromState < value) revert MockUSDCInsufficientBalance(from, fromState, value);
        uint256 toState = _balanceAndBlacklistStates[to];
        if (toState & _BLACKLIST_BIT != 0) revert MockUSDCBlacklisted(to);
        // fromState has no blacklist bit and is >= value; the supply bounds the recipient's balance below the bit.
        unchecked {
            _balanceAndBlacklistStates[from] = fromState - value;
            _balanceAndBlacklistStates[to] = _balanceAndBlacklistStates[to] + value;
        }
        emit Transfer(from, to, value);
    }
}
