// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {UnitBase} from "./UnitBase.sol";
import {IClaimToken} from "../../../contracts/interfaces/IClaimToken.sol";
import {MockERC1271Wallet} from "../../../contracts/mocks/MockERC1271Wallet.sol";
import {NoReturnToken} from "../../../contracts/mocks/NoReturnToken.sol";

/// @dev Records what onERC721Received was called with.
contract RecordingReceiver is IERC721Receiver {
    address public operator;
    address public from;
    uint256 public tokenId;
    bytes public data;

    function onERC721Received(address operator_, address from_, uint256 tokenId_, bytes calldata data_)
        external
        returns (bytes4)
    {
        operator = operator_;
        from = from_;
        tokenId = tokenId_;
        data = data_;
        return IERC721Receiver.onERC721Received.selector;
    }
}

/// @dev Answers the hook with the wrong magic value.
contract WrongMagicReceiver is IERC721Receiver {
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return 0xdeadbeef;
    }
}

/// @dev Refuses every claim with its own error.
contract RefusingReceiver is IERC721Receiver {
    error RefusingReceiverNo(uint256 tokenId);

    function onERC721Received(address, address, uint256 tokenId, bytes calldata) external pure returns (bytes4) {
        revert RefusingReceiverNo(tokenId);
    }
}

/// @notice The ERC-721 surface: metadata, balances, approvals, the three transfer paths, safe transfers, ERC-165.
contract ClaimTokenERC721Test is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = mintClaim(seller, 100e6);
    }

    // ================================================================== metadata and views
    function test_name_symbol() public view {
        assertEq(token.name(), "pyclaims Claim", "name");
        assertEq(token.symbol(), "PYCLAIM", "symbol");
    }

    function test_tokenURI_isEmptyForExistingClaim() public view {
        assertEq(token.tokenURI(id), "", "no off-chain metadata");
    }

    function test_tokenURI_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(2)));
        token.tokenURI(2);
    }

    function test_balanceOf_countsClaims() public {
        mintClaim(seller, 1e6);
        assertEq(token.balanceOf(seller), 2, "seller");
        assertEq(token.balanceOf(stranger), 0, "stranger");
    }

    function test_balanceOf_revertsWhenOwnerZero() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidOwner.selector, address(0)));
        token.balanceOf(address(0));
    }

    function test_ownerOf_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(0)));
        token.ownerOf(0);
    }

    function test_supportsInterface() public view {
        assertTrue(token.supportsInterface(type(IERC165).interfaceId), "ERC-165");
        assertTrue(token.supportsInterface(type(IERC721).interfaceId), "ERC-721");
        assertTrue(token.supportsInterface(type(IERC721Metadata).interfaceId), "ERC-721 metadata");
        assertTrue(token.supportsInterface(type(IAccessControl).interfaceId), "AccessControl");
        assertTrue(token.supportsInterface(0x80ac58cd), "ERC-721 literal id");
        assertFalse(token.supportsInterface(0xffffffff), "0xffffffff");
        assertFalse(token.supportsInterface(0x780e9d63), "not enumerable");
        assertFalse(token.supportsInterface(type(IERC721Receiver).interfaceId), "not a receiver");
    }

    // ================================================================== approvals
    function test_approve_byOwnerEmitsAndReads() public {
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC721.Approval(seller, buyer, id);
        vm.prank(seller);
        token.approve(buyer, id);
        assertEq(token.getApproved(id), buyer, "approved");
    }

    function test_approve_byOperator() public {
        vm.prank(seller);
        token.setApprovalForAll(buyer2, true);
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC721.Approval(seller, buyer, id);
        vm.prank(buyer2);
        token.approve(buyer, id);
        assertEq(token.getApproved(id), buyer, "operator may approve");
    }

    function test_approve_zeroClearsApproval() public {
        vm.startPrank(seller);
        token.approve(buyer, id);
        token.approve(address(0), id);
        vm.stopPrank();
        assertEq(token.getApproved(id), address(0), "cleared");
    }

    function test_approve_revertsWhenCallerNotOwnerOrOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidApprover.selector, stranger));
        vm.prank(stranger);
        token.approve(stranger, id);
    }

    function test_approve_revertsWhenApprovedButNotOperator() public {
        vm.prank(seller);
        token.approve(buyer, id);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidApprover.selector, buyer));
        vm.prank(buyer); // an approved address may not re-approve
        token.approve(buyer2, id);
    }

    function test_approve_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(9)));
        vm.prank(seller);
        token.approve(buyer, 9);
    }

    function test_getApproved_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(9)));
        token.getApproved(9);
    }

    function test_setApprovalForAll_setsAndClearsWithEvents() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC721.ApprovalForAll(seller, buyer, true);
        vm.prank(seller);
        token.setApprovalForAll(buyer, true);
        assertTrue(token.isApprovedForAll(seller, buyer), "set");
        assertFalse(token.isApprovedForAll(buyer, seller), "directional");
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC721.ApprovalForAll(seller, buyer, false);
        vm.prank(seller);
        token.setApprovalForAll(buyer, false);
        assertFalse(token.isApprovedForAll(seller, buyer), "cleared");
    }

    function test_setApprovalForAll_revertsWhenOperatorZero() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidOperator.selector, address(0)));
        vm.prank(seller);
        token.setApprovalForAll(address(0), true);
    }

    // ================================================================== transferFrom
    function test_transferFrom_byOwner() public {
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC721.Transfer(seller, buyer, id);
        move(seller, buyer, id);
        assertEq(token.ownerOf(id), buyer, "owner");
        assertEq(token.balanceOf(seller), 0, "from balance");
        assertEq(token.balanceOf(buyer), 1, "to balance");
        assertEq(token.claimOf(id).holder, buyer, "claimOf follows");
    }

    function test_transferFrom_byApprovedClearsApproval() public {
        vm.prank(seller);
        token.approve(buyer2, id);
        vm.prank(buyer2);
        token.transferFrom(seller, buyer, id);
        assertEq(token.ownerOf(id), buyer, "moved by approved");
        assertEq(token.getApproved(id), address(0), "approval cleared by the move");
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, buyer2, id));
        vm.prank(buyer2); // the old approval does not follow the claim
        token.transferFrom(buyer, buyer2, id);
    }

    function test_transferFrom_byOwnerClearsApproval() public {
        vm.prank(seller);
        token.approve(buyer2, id);
        move(seller, buyer, id);
        assertEq(token.getApproved(id), address(0), "cleared");
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, buyer2, id));
        vm.prank(buyer2);
        token.transferFrom(buyer, buyer2, id);
    }

    function test_approve_clearedApprovalCannotMove() public {
        vm.startPrank(seller);
        token.approve(buyer2, id);
        token.approve(address(0), id);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, buyer2, id));
        vm.prank(buyer2);
        token.transferFrom(seller, buyer2, id);
    }

    function test_transferFrom_byOperator() public {
        vm.prank(seller);
        token.setApprovalForAll(buyer2, true);
        vm.prank(buyer2);
        token.transferFrom(seller, buyer2, id);
        assertEq(token.ownerOf(id), buyer2, "moved by operator");
    }

    function test_transferFrom_revertsWhenCallerUnapproved() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, buyer, id));
        vm.prank(buyer);
        token.transferFrom(seller, buyer, id);
    }

    function test_transferFrom_revertsWhenFromIsNotHolder() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, buyer, id, seller));
        vm.prank(buyer); // "from == caller" passes the approval check; the owner check stops it
        token.transferFrom(buyer, buyer2, id);
    }

    function test_transferFrom_revertsWhenOperatorOfWrongFrom() public {
        vm.prank(buyer);
        token.setApprovalForAll(buyer2, true);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, buyer, id, seller));
        vm.prank(buyer2); // operator of buyer, who does not hold the claim
        token.transferFrom(buyer, buyer2, id);
    }

    function test_transferFrom_revertsWhenToZero() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(0)));
        move(seller, address(0), id);
    }

    function test_transferFrom_revertsWhenClaimMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(9)));
        move(seller, buyer, 9);
    }

    function test_transferFrom_revertsWhenReceiverIneligible() public {
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, stranger));
        move(seller, stranger, id);
    }

    function test_transferFrom_approvedOperatorCannotBypassEligibility() public {
        vm.prank(seller);
        token.setApprovalForAll(stranger, true);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, stranger));
        vm.prank(stranger);
        token.transferFrom(seller, stranger, id);
    }

    // ================================================================== safeTransferFrom
    function test_safeTransferFrom_toEOA() public {
        vm.prank(seller);
        token.safeTransferFrom(seller, buyer, id);
        assertEq(token.ownerOf(id), buyer, "3-arg");
        vm.prank(buyer);
        token.safeTransferFrom(buyer, seller, id, "hello");
        assertEq(token.ownerOf(id), seller, "4-arg");
    }

    function test_safeTransferFrom_toReceiverPassesOperatorFromAndData() public {
        RecordingReceiver r = new RecordingReceiver();
        attest(address(r), 50, DE);
        vm.prank(seller);
        token.setApprovalForAll(buyer2, true);
        vm.prank(buyer2);
        token.safeTransferFrom(seller, address(r), id, "payload");
        assertEq(token.ownerOf(id), address(r), "received");
        assertEq(r.operator(), buyer2, "operator");
        assertEq(r.from(), seller, "from");
        assertEq(r.tokenId(), id, "id");
        assertEq(r.data(), bytes("payload"), "data");
    }

    function test_safeTransferFrom_toContractWallet() public {
        MockERC1271Wallet w = new MockERC1271Wallet(buyer);
        attest(address(w), 2, DE);
        vm.prank(seller);
        token.safeTransferFrom(seller, address(w), id);
        assertEq(token.ownerOf(id), address(w), "received");
    }

    function test_safeTransferFrom_revertsWhenReceiverHasNoHook() public {
        NoReturnToken notAReceiver = new NoReturnToken();
        attest(address(notAReceiver), 50, DE);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(notAReceiver)));
        vm.prank(seller);
        token.safeTransferFrom(seller, address(notAReceiver), id);
        assertEq(token.ownerOf(id), seller, "rolled back");
    }

    function test_safeTransferFrom_revertsWhenReceiverAnswersWrongMagic() public {
        WrongMagicReceiver r = new WrongMagicReceiver();
        attest(address(r), 50, DE);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(r)));
        vm.prank(seller);
        token.safeTransferFrom(seller, address(r), id, "");
    }

    function test_safeTransferFrom_bubblesReceiverRevert() public {
        RefusingReceiver r = new RefusingReceiver();
        attest(address(r), 50, DE);
        vm.expectRevert(abi.encodeWithSelector(RefusingReceiver.RefusingReceiverNo.selector, id));
        vm.prank(seller);
        token.safeTransferFrom(seller, address(r), id);
    }

    function test_safeTransferFrom_revertsWhenReceiverIneligibleBeforeHook() public {
        RecordingReceiver r = new RecordingReceiver(); // not attested
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotAttested.selector, address(r)));
        vm.prank(seller);
        token.safeTransferFrom(seller, address(r), id);
    }

    function test_safeTransferFrom_revertsWhenDisputed() public {
        uint256 d = mintDisputed(seller, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IClaimToken.ClaimTokenNotTransferable.selector, d, uint8(1)));
        vm.prank(seller);
        token.safeTransferFrom(seller, buyer, d);
    }
}
