// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The forge cheatcodes these tests use. forge-std has no official npm release, so the suite declares the
/// few it needs (same signatures as forge-std's Vm).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function chainId(uint256 newChainId) external;
    function expectRevert() external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit() external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
    function snapshotState() external returns (uint256);
    function revertToState(uint256 snapshotId) external returns (bool);
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;
    function expectEmit(address emitter) external;
}

/// @notice Minimal test base: the cheatcode handle, assertions that revert with both values, and `bound`.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error AssertionFailed(string what, uint256 left, uint256 right);
    error AssertionFailedAddress(string what, address left, address right);
    error AssertionFailedBytes32(string what, bytes32 left, bytes32 right);
    error AssertionFailedBool(string what);

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what, a, b);
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert AssertionFailedAddress(what, a, b);
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert AssertionFailedBytes32(what, a, b);
    }

    function assertEq(bool a, bool b, string memory what) internal pure {
        if (a != b) revert AssertionFailedBool(what);
    }

    function assertEq(bytes memory a, bytes memory b, string memory what) internal pure {
        if (keccak256(a) != keccak256(b)) revert AssertionFailedBytes32(what, keccak256(a), keccak256(b));
    }

    function assertEq(string memory a, string memory b, string memory what) internal pure {
        assertEq(bytes(a), bytes(b), what);
    }

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert AssertionFailedBool(what);
    }

    function assertFalse(bool c, string memory what) internal pure {
        if (c) revert AssertionFailedBool(what);
    }

    function assertLe(uint256 a, uint256 b, string memory what) internal pure {
        if (a > b) revert AssertionFailed(what, a, b);
    }

    function assertGe(uint256 a, uint256 b, string memory what) internal pure {
        if (a < b) revert AssertionFailed(what, a, b);
    }

    function assertLt(uint256 a, uint256 b, string memory what) internal pure {
        if (a >= b) revert AssertionFailed(what, a, b);
    }

    /// @dev Maps any x into [lo, hi] (inclusive), like forge-std's bound.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (lo > hi) revert AssertionFailed("bound: lo > hi", lo, hi);
        if (x >= lo && x <= hi) return x;
        uint256 size = hi - lo + 1;
        if (size == 0) return x;
        return lo + (x % size);
    }
}
