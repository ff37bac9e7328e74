// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title BenchUSD
/// @notice A plain OpenZeppelin ERC-20 with 6 decimals, the bench's stand-in stablecoin until the project's
///         `contracts/mocks/MockUSDC.sol` exists. Same deploy and mint interface as MockUSDC:
///         `constructor()` (deployer owns it) and `mint(to, amount)`. Bench only; never deployed elsewhere.
contract BenchUSD is ERC20, Ownable {
    constructor() ERC20("Bench USD", "BUSD") Ownable(msg.sender) {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` base units to `to`. Owner only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
