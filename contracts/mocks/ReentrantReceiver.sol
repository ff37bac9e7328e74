// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

/// @title ReentrantReceiver — local networks only
/// @notice A contract wallet whose ERC-721 and token hooks call back into a target once (armed by its owner):
/// either swallowing the failure of that call (`bubble == false`, recording it) or reverting with it.
contract ReentrantReceiver is IERC721Receiver {
    error ReentrantReceiverNotOwner(address caller);
    error ReentrantReceiverCallFailed(bytes reason);

    address public immutable owner;
    address public target;
    bytes public payload;
    bool public bubble;
    bool public attempted;
    bool public reentered;
    bytes public lastError;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Owner-only: makes a call as this wallet (approve, fill, deposit, ...).
    function execute(address to, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert ReentrantReceiverNotOwner(msg.sender);
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) revert ReentrantReceiverCallFailed(ret);
        return ret;
    }

    /// @notice Owner-only: the next hook calls `target` with `payload` once.
    function arm(address target_, bytes calldata payload_, bool bubble_) external {
        if (msg.sender != owner) revert ReentrantReceiverNotOwner(msg.sender);
        target = target_;
        payload = payload_;
        bubble = bubble_;
        attempted = false;
        reentered = false;
        delete lastError;
    }

    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        _reenter();
        return IERC721Receiver.onERC721Received.selector;
    }

    function onTokenReceived(address, uint256) external {
        _reenter();
    }

    function _reenter() private {
        if (target == address(0) || attempted) return;
        attempted = true;
        (bool ok, bytes memory ret) = target.call(payload);
        reentered = ok;
        lastError = ret;
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
