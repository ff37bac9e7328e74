// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./Test.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {ClaimDistributor} from "../../../contracts/ClaimDistributor.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {MintRequest, Order, ClaimStatus, Side} from "../../../contracts/types/ClaimTypes.sol";

/// @notice The shared fixture: the suite on MockUSDC, roles granted, wallets attested, two classes, and helpers
/// that build and sign orders with an EIP-712 encoder written here independently of the market's own.
abstract contract Fixture is Test {
    uint32 internal constant ESTATE = 1;
    uint32 internal constant CONVENIENCE = 1;
    uint32 internal constant GENERAL = 2;
    uint16 internal constant US = 840;
    uint16 internal constant DE = 276;
    uint16 internal constant CN = 156;
    uint40 internal constant YEAR = 365 days;

    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(address maker,address taker,uint8 side,uint32 classId,uint256 claimId,uint256 price,uint256 maxAmount,uint64 expiry,uint64 counter,uint256 salt)"
    );

    MockUSDC internal usdc;
    ClaimToken internal token;
    ClaimMarket internal market;
    ClaimDistributor internal distributor;

    address internal admin = address(0xAD);
    address internal verifier;
    uint256 internal verifierKey = 0xA11CE;
    address internal validator;
    uint256 internal validatorKey = 0xB0B;
    address internal compliance = address(0xC0);
    address internal recovery = address(0x5EC);
    address internal pauser = address(0x9A);
    address internal trust = address(0x7257);
    address internal resolver = address(0x2E5);

    uint256 internal sellerKey = 0x5E11E2;
    uint256 internal buyerKey = 0xB1E2;
    uint256 internal buyer2Key = 0xB1E3;
    address internal seller;
    address internal buyer;
    address internal buyer2;
    address internal stranger = address(0x5742);

    uint256 internal nextSalt = 1;

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        verifier = vm.addr(verifierKey);
        validator = vm.addr(validatorKey);
        seller = vm.addr(sellerKey);
        buyer = vm.addr(buyerKey);
        buyer2 = vm.addr(buyer2Key);

        usdc = new MockUSDC();
        token = new ClaimToken(address(usdc), admin);
        market = ClaimMarket(token.market());
        distributor = ClaimDistributor(token.distributor());

        vm.startPrank(admin);
        token.grantRole(token.VERIFIER_ROLE(), verifier);
        token.grantRole(token.VALIDATOR_ROLE(), validator);
        token.grantRole(token.COMPLIANCE_ROLE(), compliance);
        token.grantRole(token.RECOVERY_ROLE(), recovery);
        token.grantRole(token.PAUSER_ROLE(), pauser);
        token.grantRole(token.DISTRIBUTOR_ROLE(), trust);
        token.grantRole(token.RESOLVER_ROLE(), resolver);
        vm.stopPrank();

        vm.startPrank(validator);
        token.defineClass(CONVENIENCE, ESTATE);
        token.defineClass(GENERAL, ESTATE);
        vm.stopPrank();

        attest(seller, 1, US);
        attest(buyer, 2, DE);
        attest(buyer2, 3, DE);

        fund(buyer, 10_000_000e6);
        fund(buyer2, 10_000_000e6);
        fund(trust, 100_000_000e6);
        vm.prank(buyer);
        usdc.approve(address(market), type(uint256).max);
        vm.prank(buyer2);
        usdc.approve(address(market), type(uint256).max);
        vm.prank(trust);
        usdc.approve(address(distributor), type(uint256).max);
    }

    // ------------------------------------------------------------------ helpers
    function attest(address wallet, uint64 entityId, uint16 country) internal {
        vm.prank(verifier);
        token.attest(wallet, entityId, country, uint40(block.timestamp) + YEAR, 0);
    }

    function fund(address to, uint256 amount) internal {
        usdc.mint(to, amount);
    }

    function mintClaim(address holder, uint32 classId, uint96 amount, ClaimStatus status) internal returns (uint256) {
        vm.prank(validator);
        return token.mint(
            MintRequest({
                claimRef: keccak256(abi.encode("claim", nextSalt++)),
                classId: classId,
                holder: holder,
                amount: amount,
                status: uint8(status),
                evidence: keccak256("evidence")
            })
        );
    }

    function mintClaim(address holder, uint96 amount) internal returns (uint256) {
        return mintClaim(holder, GENERAL, amount, ClaimStatus.Allowed);
    }

    function askOrder(address maker, uint256 claimId, uint256 price) internal returns (Order memory o) {
        o = Order({
            maker: maker,
            taker: address(0),
            side: uint8(Side.Ask),
            classId: 0,
            claimId: claimId,
            price: price,
            maxAmount: 0,
            expiry: uint64(block.timestamp + 1 days),
            counter: uint64(market.counterOf(maker)),
            salt: nextSalt++
        });
    }

    function bidOrder(address maker, uint256 claimId, uint256 price) internal returns (Order memory o) {
        o = askOrder(maker, claimId, price);
        o.side = uint8(Side.Bid);
    }

    function classBidOrder(address maker, uint32 classId, uint256 pricePerMillion, uint256 maxAmount)
        internal
        returns (Order memory o)
    {
        o = askOrder(maker, 0, pricePerMillion);
        o.side = uint8(Side.Bid);
        o.classId = classId;
        o.maxAmount = maxAmount;
    }

    function orderStructHash(Order memory o) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ORDER_TYPEHASH,
                o.maker,
                o.taker,
                o.side,
                o.classId,
                o.claimId,
                o.price,
                o.maxAmount,
                o.expiry,
                o.counter,
                o.salt
            )
        );
    }

    function marketDomain() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("pyclaims ClaimMarket"),
                keccak256("1"),
                block.chainid,
                address(market)
            )
        );
    }

    function tokenDomain() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("pyclaims ClaimToken"),
                keccak256("1"),
                block.chainid,
                address(token)
            )
        );
    }

    function digestOf(bytes32 domain, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function signDigest(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function signOrder(uint256 key, Order memory o) internal view returns (bytes memory) {
        return signDigest(key, digestOf(marketDomain(), orderStructHash(o)));
    }
}
