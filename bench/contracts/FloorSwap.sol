// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title FloorSwap
/// @notice The physical floor of a signed ERC-721-for-ERC-20 swap, for the benchmark only: one `ecrecover` on the
///         EIP-712 digest of a minimal order, one storage write marking the order used, one ERC-721 transfer
///         (maker -> caller) and one ERC-20 transfer (caller -> maker). No expiry, taker, counter, fee, eligibility
///         or status check: anything a real market does costs more than this. Never deploy it for real use.
contract FloorSwap {
    // ---------------------------------------------------------------- errors

    /// @notice The order was already filled.
    error FloorSwapOrderUsed(bytes32 orderHash);
    /// @notice The signature does not recover to the order's maker.
    error FloorSwapBadSignature(address recovered, address maker);
    /// @notice The ERC-20 `transferFrom` returned false.
    error FloorSwapPaymentFailed(address currency, uint256 price);

    // ---------------------------------------------------------------- types and constants

    /// @notice A maker sells ERC-721 `tokenId` of `nft` for `price` base units of `currency`.
    struct Order {
        address maker;
        address nft;
        uint256 tokenId;
        address currency;
        uint256 price;
        uint256 salt;
    }

    bytes32 private constant _ORDER_TYPEHASH =
        keccak256("Order(address maker,address nft,uint256 tokenId,address currency,uint256 price,uint256 salt)");
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The EIP-712 domain separator: name "FloorSwap", version "1", this chain, this contract.
    bytes32 public immutable DOMAIN_SEPARATOR;

    // ---------------------------------------------------------------- storage

    /// @notice Order digest => filled.
    mapping(bytes32 => bool) public used;

    // ---------------------------------------------------------------- functions

    constructor() {
        DOMAIN_SEPARATOR =
            keccak256(abi.encode(_DOMAIN_TYPEHASH, keccak256("FloorSwap"), keccak256("1"), block.chainid, address(this)));
    }

    /// @notice Fills `order`: the caller pays `order.price` and receives the ERC-721. Reverts on reuse.
    function fill(Order calldata order, uint8 v, bytes32 r, bytes32 s) external {
        bytes32 digest =
            keccak256(abi.encodePacked(hex"1901", DOMAIN_SEPARATOR, keccak256(abi.encode(_ORDER_TYPEHASH, order))));
        if (used[digest]) revert FloorSwapOrderUsed(digest);
        address recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0) || recovered != order.maker) revert FloorSwapBadSignature(recovered, order.maker);
        used[digest] = true;
        IERC721(order.nft).transferFrom(order.maker, msg.sender, order.tokenId);
        if (!IERC20(order.currency).transferFrom(msg.sender, order.maker, order.price)) {
            revert FloorSwapPaymentFailed(order.currency, order.price);
        }
    }
}
