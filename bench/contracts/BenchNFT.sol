// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title BenchNFT
/// @notice A plain OpenZeppelin ERC-721: the item sold in the Seaport and floor anchors. Bench only.
contract BenchNFT is ERC721, Ownable {
    constructor() ERC721("Bench NFT", "BNFT") Ownable(msg.sender) {}

    /// @notice Mints token `tokenId` to `to`. Owner only.
    function mint(address to, uint256 tokenId) external onlyOwner {
        _mint(to, tokenId);
    }
}
