// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {UnitBase} from "./UnitBase.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {ClaimDistributor} from "../../../contracts/ClaimDistributor.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {FeeOnTransferToken} from "../../../contracts/mocks/FeeOnTransferToken.sol";
import {NoReturnToken} from "../../../contracts/mocks/NoReturnToken.sol";
import {CallbackToken} from "../../../contracts/mocks/CallbackToken.sol";
import {ReentrantReceiver} from "../../../contracts/mocks/ReentrantReceiver.sol";
import {MockERC1271Wallet} from "../../../contracts/mocks/MockERC1271Wallet.sol";
import {Order, Permit, ClaimStatus} from "../../../contracts/types/ClaimTypes.sol";

/// @notice The mocks behave like the tokens and wallets they stand for, so tests built on them mean something.
// These tests call transfer/transferFrom to watch them succeed or revert; the boolean is not the point here.
// forge-lint: disable-start(erc20-unchecked-transfer)
contract MocksTest is UnitBase {
    // ================================================================== MockUSDC
    function test_MockUSDC_metadataAndDomain() public view {
        assertEq(usdc.name(), "USD Coin (mock)", "name");
        assertEq(usdc.symbol(), "USDC", "symbol");
        assertEq(usdc.decimals(), 6, "decimals");
        assertEq(usdc.owner(), address(this), "owner is the deployer");
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("USD Coin"),
                keccak256("2"),
                block.chainid,
                address(usdc)
            )
        );
        assertEq(usdc.DOMAIN_SEPARATOR(), domain, "FiatToken v2 domain");
    }

    function test_MockUSDC_mintTransferApproveTransferFrom() public {
        uint256 supply = usdc.totalSupply();
        vm.expectEmit(true, true, false, true, address(usdc));
        emit IERC20.Transfer(address(0), stranger, 5e6);
        usdc.mint(stranger, 5e6);
        assertEq(usdc.totalSupply(), supply + 5e6, "supply");
        vm.prank(stranger);
        assertTrue(usdc.transfer(seller, 2e6), "transfer returns true");
        assertEq(usdc.balanceOf(seller), 2e6, "moved");
        vm.expectEmit(true, true, false, true, address(usdc));
        emit IERC20.Approval(stranger, buyer, type(uint256).max);
        vm.prank(stranger);
        usdc.approve(buyer, type(uint256).max);
        vm.prank(buyer);
        assertTrue(usdc.transferFrom(stranger, buyer, 1e6), "transferFrom returns true");
        assertEq(usdc.allowance(stranger, buyer), type(uint256).max - 1e6, "even max allowance is decremented");
    }

    function test_MockUSDC_revertsWithTypedErrors() public {
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, stranger));
        vm.prank(stranger);
        usdc.mint(stranger, 1);
        vm.expectRevert(MockUSDC.MockUSDCZeroAddress.selector);
        usdc.mint(address(0), 1);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCAmountTooLarge.selector, uint256(1) << 255));
        usdc.mint(stranger, uint256(1) << 255);
        vm.expectRevert(
            abi.encodeWithSelector(MockUSDC.MockUSDCInsufficientBalance.selector, stranger, uint256(0), uint256(1))
        );
        vm.prank(stranger);
        usdc.transfer(seller, 1);
        vm.expectRevert(MockUSDC.MockUSDCZeroAddress.selector);
        vm.prank(buyer);
        usdc.transfer(address(0), 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                MockUSDC.MockUSDCInsufficientAllowance.selector, buyer, stranger, uint256(0), uint256(1)
            )
        );
        vm.prank(stranger);
        usdc.transferFrom(buyer, stranger, 1);
        vm.expectRevert(MockUSDC.MockUSDCZeroAddress.selector);
        vm.prank(buyer);
        usdc.approve(address(0), 1);
        vm.expectRevert(MockUSDC.MockUSDCZeroAddress.selector);
        usdc.transferOwnership(address(0));
    }

    function test_MockUSDC_pauseBlocksEverythingButViews() public {
        vm.expectEmit(false, false, false, true, address(usdc));
        emit MockUSDC.Pause();
        usdc.pause();
        assertTrue(usdc.paused(), "paused");
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        vm.prank(buyer);
        usdc.transfer(seller, 1);
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        vm.prank(buyer);
        usdc.transferFrom(buyer, seller, 1);
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        vm.prank(buyer);
        usdc.approve(seller, 1);
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        usdc.mint(seller, 1);
        Permit memory p = usdcPermit(buyer3Key, address(market), 1, block.timestamp + 1);
        vm.expectRevert(MockUSDC.MockUSDCPaused.selector);
        usdc.permit(buyer3, address(market), p.value, p.deadline, p.v, p.r, p.s);
        vm.expectEmit(false, false, false, true, address(usdc));
        emit MockUSDC.Unpause();
        usdc.unpause();
        vm.prank(buyer);
        usdc.transfer(seller, 1);
        assertEq(usdc.balanceOf(seller), 1, "works after unpause");
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, pauser));
        vm.prank(pauser);
        usdc.pause();
    }

    function test_MockUSDC_blacklistBlocksBothSidesAndApprovals() public {
        vm.expectEmit(true, false, false, true, address(usdc));
        emit MockUSDC.Blacklisted(seller);
        usdc.blacklist(seller);
        assertTrue(usdc.isBlacklisted(seller), "flag");
        usdc.unBlacklist(seller);
        vm.prank(buyer);
        usdc.transfer(seller, 5);
        usdc.blacklist(seller);
        assertEq(usdc.balanceOf(seller), 5, "the flag bit never shows in balances");
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        vm.prank(buyer);
        usdc.transfer(seller, 1);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        vm.prank(seller);
        usdc.transfer(buyer, 0);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        vm.prank(buyer);
        usdc.approve(seller, 1);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        vm.prank(seller); // a blacklisted spender cannot pull either
        usdc.transferFrom(buyer, seller, 0);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        usdc.mint(seller, 1);
        vm.expectEmit(true, false, false, true, address(usdc));
        emit MockUSDC.UnBlacklisted(seller);
        usdc.unBlacklist(seller);
        vm.prank(buyer);
        usdc.transfer(seller, 1);
        assertEq(usdc.balanceOf(seller), 6, "after unblacklist");
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, stranger));
        vm.prank(stranger);
        usdc.blacklist(buyer);
    }

    function test_MockUSDC_permitSetsAllowanceOnceAndChecksEverything() public {
        Permit memory p = usdcPermit(buyer3Key, seller, 9e6, block.timestamp + 1 hours);
        assertEq(usdc.nonces(buyer3), 0, "nonce before");
        usdc.permit(buyer3, seller, p.value, p.deadline, p.v, p.r, p.s);
        assertEq(usdc.allowance(buyer3, seller), 9e6, "allowance");
        assertEq(usdc.nonces(buyer3), 1, "nonce after");
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCInvalidPermit.selector, buyer3));
        usdc.permit(buyer3, seller, p.value, p.deadline, p.v, p.r, p.s); // replay
        Permit memory late = usdcPermit(buyer3Key, seller, 9e6, block.timestamp - 1);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCPermitExpired.selector, block.timestamp - 1));
        usdc.permit(buyer3, seller, late.value, late.deadline, late.v, late.r, late.s);
        Permit memory other = usdcPermit(buyer3Key, seller, 9e6, block.timestamp + 1 hours);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCInvalidPermit.selector, buyer3));
        usdc.permit(buyer3, seller, other.value + 1, other.deadline, other.v, other.r, other.s); // tampered value
        usdc.blacklist(seller);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCBlacklisted.selector, seller));
        usdc.permit(buyer3, seller, other.value, other.deadline, other.v, other.r, other.s);
    }

    function test_MockUSDC_permitFromContractWallet() public {
        uint256 ownerKey = 0x0888;
        MockERC1271Wallet w = new MockERC1271Wallet(vm.addr(ownerKey));
        bytes32 digest = digestOf(
            usdc.DOMAIN_SEPARATOR(),
            keccak256(abi.encode(PERMIT_TYPEHASH, address(w), seller, uint256(3e6), uint256(0), block.timestamp + 1))
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, digest);
        usdc.permit(address(w), seller, 3e6, block.timestamp + 1, v, r, s);
        assertEq(usdc.allowance(address(w), seller), 3e6, "ERC-1271 permit");
    }

    function test_MockUSDC_transferOwnership() public {
        usdc.transferOwnership(stranger);
        assertEq(usdc.owner(), stranger, "new owner");
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, address(this)));
        usdc.pause();
    }

    // ================================================================== FeeOnTransferToken
    function test_FeeOnTransferToken_burnsFeeOnTransfersOnly() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(250); // 2.5%
        assertEq(fot.decimals(), 6, "decimals");
        assertEq(fot.feeBps(), 250, "fee");
        fot.mint(buyer, 1_000e6);
        assertEq(fot.balanceOf(buyer), 1_000e6, "mint takes no fee");
        vm.prank(buyer);
        fot.transfer(seller, 400e6);
        assertEq(fot.balanceOf(seller), 390e6, "recipient gets less");
        assertEq(fot.balanceOf(buyer), 600e6, "sender pays the full amount");
        assertEq(fot.totalSupply(), 990e6, "fee burnt");
        vm.prank(buyer);
        fot.approve(stranger, 100e6);
        vm.prank(stranger);
        fot.transferFrom(buyer, stranger, 100e6);
        assertEq(fot.balanceOf(stranger), 97.5e6, "transferFrom too");
        // the fee (9.775) is burnt first, then 381.225 of the remaining 380.225 cannot move
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, seller, 380_225_000, 381_225_000)
        );
        vm.prank(seller);
        fot.transfer(buyer, 391e6);
    }

    // ================================================================== NoReturnToken
    function test_NoReturnToken_returnsNothing() public {
        NoReturnToken nr = new NoReturnToken();
        nr.mint(buyer, 10e6);
        vm.prank(buyer);
        (bool ok, bytes memory ret) = address(nr).call(abi.encodeCall(IERC20.transfer, (seller, 1e6)));
        assertTrue(ok, "succeeds");
        assertEq(ret.length, 0, "with no return data");
        assertEq(nr.balanceOf(seller), 1e6, "moved");
        vm.expectRevert(bytes("balance"));
        vm.prank(stranger);
        nr.transfer(seller, 1);
        vm.expectRevert(bytes("allowance"));
        vm.prank(stranger);
        nr.transferFrom(buyer, stranger, 1);
    }

    /// @dev The whole suite works on a USDT-like token that returns no boolean (SafeERC20 on every path).
    function test_NoReturnToken_suiteFillsDepositsAndPays() public {
        NoReturnToken nr = new NoReturnToken();
        ClaimToken t = deploySuite(address(nr));
        ClaimMarket m = ClaimMarket(t.market());
        ClaimDistributor dist = ClaimDistributor(t.distributor());
        attestOn(t, seller, 1, US);
        attestOn(t, buyer, 2, DE);
        uint256 c1 = mintOn(t, seller, 100e6, ClaimStatus.Allowed);
        uint256 c2 = mintOn(t, seller, 100e6, ClaimStatus.Allowed);
        nr.mint(buyer, 1_000e6);
        nr.mint(trust, 1_000e6);
        vm.prank(buyer);
        nr.approve(address(m), type(uint256).max);
        vm.prank(trust);
        nr.approve(address(dist), type(uint256).max);

        Order memory ask = askOrder(seller, c1, 60e6);
        vm.prank(buyer);
        m.fillAsk(ask, signOrderFor(m, sellerKey, ask));
        Order memory bid = bidOrder(buyer, c2, 70e6);
        vm.prank(buyer);
        m.deposit(bid, 80e6);
        vm.prank(seller);
        m.fillBid(bid, signOrderFor(m, buyerKey, bid), c2);
        vm.prank(buyer);
        m.withdraw(orderStructHash(bid));
        assertEq(nr.balanceOf(seller), 130e6, "seller paid on both fills");
        assertEq(nr.balanceOf(buyer), 870e6, "buyer paid exactly 130");
        assertEq(nr.balanceOf(address(m)), 0, "market empty");

        vm.prank(trust);
        uint32 r = dist.declareRound(GENERAL, 500_000);
        dist.payout(r, c1, 0);
        assertEq(nr.balanceOf(buyer), 870e6 + 50e6, "payout to the holder of record");
    }

    // ================================================================== CallbackToken
    function test_CallbackToken_callsHookOnContractRecipients() public {
        CallbackToken cb = new CallbackToken();
        assertEq(cb.decimals(), 6, "decimals");
        ReentrantReceiver r = new ReentrantReceiver();
        cb.mint(buyer, 10e6);
        r.arm(address(usdc), abi.encodeCall(IERC20.totalSupply, ()), false);
        vm.prank(buyer);
        cb.transfer(address(r), 1e6);
        assertTrue(r.attempted(), "hook ran");
        assertTrue(r.reentered(), "its call succeeded");
        vm.prank(buyer);
        cb.transfer(seller, 1e6); // EOAs get no call
        assertEq(cb.balanceOf(seller), 1e6, "plain transfer");
    }

    function test_CallbackToken_contractWithoutHookReceivesNormally() public {
        CallbackToken cb = new CallbackToken();
        cb.mint(buyer, 10e6);
        // The market and the distributor have no hook: they receive like from any token (deposits, funding).
        vm.prank(buyer);
        assertTrue(cb.transfer(address(market), 1e6), "transfer to a hookless contract");
        assertEq(cb.balanceOf(address(market)), 1e6, "received");
    }

    function test_CallbackToken_hookRevertWithReasonRevertsTheTransfer() public {
        CallbackToken cb = new CallbackToken();
        ReentrantReceiver r = new ReentrantReceiver();
        cb.mint(buyer, 10e6);
        // Armed to call the token with calldata it rejects, and to bubble the reason: the transfer reverts.
        r.arm(address(usdc), abi.encodeCall(MockUSDC.mint, (address(r), 1)), true);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, address(r)));
        vm.prank(buyer);
        cb.transfer(address(r), 1e6);
    }

    // ================================================================== ReentrantReceiver
    function test_ReentrantReceiver_ownerOnlyAndCallFailures() public {
        ReentrantReceiver r = new ReentrantReceiver();
        assertEq(r.owner(), address(this), "owner");
        vm.expectRevert(abi.encodeWithSelector(ReentrantReceiver.ReentrantReceiverNotOwner.selector, stranger));
        vm.prank(stranger);
        r.execute(address(usdc), "");
        vm.expectRevert(abi.encodeWithSelector(ReentrantReceiver.ReentrantReceiverNotOwner.selector, stranger));
        vm.prank(stranger);
        r.arm(address(usdc), "", true);
        vm.expectRevert(
            abi.encodeWithSelector(
                ReentrantReceiver.ReentrantReceiverCallFailed.selector,
                abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, address(r))
            )
        );
        r.execute(address(usdc), abi.encodeCall(MockUSDC.pause, ()));
    }

    function test_ReentrantReceiver_hookFiresOnceAndBubblesWhenAsked() public {
        ReentrantReceiver r = new ReentrantReceiver();
        bytes memory failing = abi.encodeCall(MockUSDC.pause, ());
        r.arm(address(usdc), failing, false);
        bytes4 magic = r.onERC721Received(address(0), address(0), 1, "");
        assertEq(uint256(uint32(magic)), uint256(uint32(IERC721Receiver.onERC721Received.selector)), "magic");
        assertTrue(r.attempted(), "attempted");
        assertFalse(r.reentered(), "failed");
        assertEq(r.lastError(), abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, address(r)), "recorded");
        r.onTokenReceived(address(0), 0); // once only: no second attempt, no revert
        r.arm(address(usdc), failing, true);
        vm.expectRevert(abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, address(r)));
        r.onTokenReceived(address(0), 0);
    }

    // ================================================================== MockERC1271Wallet
    function test_MockERC1271Wallet_validatesRevokesAndExecutes() public {
        uint256 ownerKey = 0x0777;
        address owner = vm.addr(ownerKey);
        MockERC1271Wallet w = new MockERC1271Wallet(owner);
        bytes32 digest = keccak256("some digest");
        bytes memory good = signDigest(ownerKey, digest);
        assertEq(uint256(uint32(w.isValidSignature(digest, good))), 0x1626ba7e, "owner's signature valid");
        assertEq(
            uint256(uint32(w.isValidSignature(digest, signDigest(0x0778, digest)))), 0xffffffff, "stranger's invalid"
        );
        (bytes memory malleated,) = highS(good);
        assertEq(uint256(uint32(w.isValidSignature(digest, malleated))), 0xffffffff, "high-s invalid");
        vm.expectRevert(abi.encodeWithSelector(MockERC1271Wallet.MockERC1271WalletNotOwner.selector, stranger));
        vm.prank(stranger);
        w.revoke(digest);
        vm.prank(owner);
        w.revoke(digest);
        assertTrue(w.revoked(digest), "revoked");
        assertEq(uint256(uint32(w.isValidSignature(digest, good))), 0xffffffff, "revoked hash invalid");

        vm.expectRevert(abi.encodeWithSelector(MockERC1271Wallet.MockERC1271WalletNotOwner.selector, stranger));
        vm.prank(stranger);
        w.execute(address(usdc), "");
        vm.expectRevert(
            abi.encodeWithSelector(
                MockERC1271Wallet.MockERC1271WalletCallFailed.selector,
                abi.encodeWithSelector(MockUSDC.MockUSDCNotOwner.selector, address(w))
            )
        );
        vm.prank(owner);
        w.execute(address(usdc), abi.encodeCall(MockUSDC.pause, ()));
        bytes4 magic = w.onERC721Received(address(0), address(0), 0, "");
        assertEq(uint256(uint32(magic)), uint256(uint32(IERC721Receiver.onERC721Received.selector)), "receiver");
    }
}
// forge-lint: disable-end(erc20-unchecked-transfer)
