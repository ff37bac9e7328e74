// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MockERC1271Wallet — local networks only
/// @notice A contract wallet that accepts an ECDSA signature of its owner key (ERC-1271), can revoke any hash it
/// approved, and makes calls as the wallet for its owner.
contract MockERC1271Wallet is IERC1271, IERC721Receiver {
    error MockERC1271WalletNotOwner(address caller);
    error MockERC1271WalletCallFailed(bytes reason);

    address public immutable owner;
    mapping(bytes32 => bool) public revoked;

    constructor(address owner_) {
        owner = owner_;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert MockERC1271WalletNotOwner(msg.sender);
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) revert MockERC1271WalletCallFailed(ret);
        return ret;
    }

    /// @notice Revokes the wallet's approval of `hash`: a signature over it is no longer valid.
    function revoke(bytes32 hash) external {
        if (msg.sender != owner) revert MockERC1271WalletNotOwner(msg.sender);
        revoked[hash] = true;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err == ECDSA.RecoverError.NoError && signer == owner && !revoked[hash]) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC721Receiver.onERC721Received.selector;
    }
}
