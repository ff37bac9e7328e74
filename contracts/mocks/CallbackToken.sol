// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice What a contract receiving CallbackToken is called with (an ERC-777 / ERC-1363-style hook).
interface ITokenReceiver {
    function onTokenReceived(address from, uint256 amount) external;
}

/// @title CallbackToken — local networks only
/// @notice A 6-decimal token that calls `onTokenReceived` on every contract recipient after a transfer, so a
/// hostile recipient can try to re-enter whatever paid it. A hook that reverts with a reason reverts the transfer;
/// a contract without the hook (the call fails with no data: the market, the distributor) receives normally.
contract CallbackToken is ERC20 {
    constructor() ERC20("Callback USD", "CBUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == address(0) || to.code.length == 0) return;
        (bool ok, bytes memory reason) = to.call(abi.encodeCall(ITokenReceiver.onTokenReceived, (from, value)));
        if (!ok && reason.length != 0) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }
}
