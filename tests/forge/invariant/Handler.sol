// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "../utils/Test.sol";
import {ClaimToken} from "../../../contracts/ClaimToken.sol";
import {ClaimMarket} from "../../../contracts/ClaimMarket.sol";
import {ClaimDistributor} from "../../../contracts/ClaimDistributor.sol";
import {ReentrantReceiver} from "../../../contracts/mocks/ReentrantReceiver.sol";
import {MintRequest, Order, Record, ClaimStatus, Side} from "../../../contracts/types/ClaimTypes.sol";

/// @notice What the handler may do to the stablecoin besides ERC-20: every mock has `mint`; MockUSDC also pauses and
/// blacklists (called through try/catch, so tokens without those simply do nothing).
interface IHostileStable {
    function mint(address to, uint256 amount) external;
    function pause() external;
    function unpause() external;
    function blacklist(address account) external;
    function unBlacklist(address account) external;
}

/// @notice Drives random sequences of every action of the suite — holders, buyers, sellers, admin, pauser, verifier,
/// compliance, validator, recovery, trust, resolver, and the stablecoin's own pause and blacklist — and keeps ghost
/// books the invariants compare the contracts against. Every action swallows reverts: a reverting action must leave
/// no trace, and the invariants check exactly that.
contract Handler is Test {
    // ------------------------------------------------------------------ the system
    ClaimToken public immutable token;
    ClaimMarket public immutable market;
    ClaimDistributor public immutable distributor;
    IERC20 public immutable stable;
    bool public immutable exactToken; // false for a fee-on-transfer token: recipients get less than was sent

    address public immutable validator;
    address public immutable verifier;
    address public immutable compliance;
    address public immutable recoveryAgent;
    address public immutable pauser;
    address public immutable trust;
    address public immutable resolver;
    address public immutable stableOwner;

    /// A contract holder whose ERC-721 and token hooks call back into the market or the distributor.
    ReentrantReceiver public immutable reentrant;
    uint256[] internal actorKeys;
    address[] public actors;
    uint256[] public claimIds;
    uint32[] public rounds;

    struct Bid {
        Order order;
        bytes signature;
        bytes32 hash;
    }

    Bid[] internal bids;

    // ------------------------------------------------------------------ ghost books
    uint256 public ghostCredited; // what deposits credited (what arrived)
    uint256 public ghostWithdrawn; // what withdrawals sent back to buyers
    uint256 public ghostEscrowPaid; // what escrowed fills sent to sellers
    uint256 public ghostFunded;
    uint256 public ghostPaid;
    uint256 public ghostReturned;
    mapping(uint32 => uint256) public ghostPaidInRound;
    mapping(uint32 => mapping(uint256 => uint256)) public timesSettled;

    bool public doubleSettled;
    bool public overPaid;
    bool public escrowLeak;
    bool public ineligibleReceiver;
    bool public wrongPayee;

    mapping(bytes4 => uint256) public calls;
    /// @notice Actions that went through (did not revert): proof the sequences do real work.
    mapping(bytes4 => uint256) public successes;
    uint256 public totalCalls;
    uint256 internal salt = 1;

    modifier counted(bytes4 sel) {
        calls[sel] += 1;
        totalCalls += 1;
        _;
    }

    constructor(
        ClaimToken token_,
        IERC20 stable_,
        bool exactToken_,
        address[8] memory roles,
        uint256[] memory keys
    ) {
        token = token_;
        market = ClaimMarket(token_.market());
        distributor = ClaimDistributor(token_.distributor());
        stable = stable_;
        exactToken = exactToken_;
        (validator, verifier, compliance, recoveryAgent, pauser, trust, resolver, stableOwner) =
            (roles[0], roles[1], roles[2], roles[3], roles[4], roles[5], roles[6], roles[7]);
        actorKeys = keys;
        for (uint256 i = 0; i < keys.length; ++i) {
            actors.push(vm.addr(keys[i]));
        }
        reentrant = new ReentrantReceiver();
    }

    // ================================================================== the re-entering holder
    /// Mints a claim to the re-entering contract (attested first), so payouts and bid fills pay it.
    function mintToReentrant(uint256 amountSeed) external counted(this.mintToReentrant.selector) {
        vm.prank(verifier);
        try token.attest(address(reentrant), 99, 840, uint40(block.timestamp + 400 days), 0) {} catch {}
        vm.prank(validator);
        try token.mint(
            MintRequest({
                claimRef: keccak256(abi.encode("reentrant", salt++)),
                classId: uint32(amountSeed % 2 + 1),
                holder: address(reentrant),
                amount: uint96(bound(amountSeed, 1, 2_000_000e6)),
                status: uint8(ClaimStatus.Allowed),
                evidence: bytes32(0)
            })
        ) returns (uint256 id) {
            claimIds.push(id);
        } catch {}
    }

    /// Arms the next hook: withdraw someone's deposit, pay out some (round, claim), or fill a bid, from inside a
    /// transfer. Whether the hook then swallows the failure or reverts with it is random too.
    function armReentrant(uint256 kind, uint256 seed, bool bubble) external counted(this.armReentrant.selector) {
        bytes memory payload;
        address target;
        if (kind % 3 == 0 && bids.length != 0) {
            target = address(market);
            payload = abi.encodeCall(market.withdraw, (bids[seed % bids.length].hash));
        } else if (kind % 3 == 1 && rounds.length != 0 && claimIds.length != 0) {
            uint32 r = rounds[seed % rounds.length];
            uint256 id = claimIds[seed % claimIds.length];
            target = address(distributor);
            payload = abi.encodeCall(distributor.payout, (r, id, _hint(id, r)));
        } else if (bids.length != 0 && claimIds.length != 0) {
            Bid storage b = bids[seed % bids.length];
            target = address(market);
            payload = abi.encodeCall(market.fillBid, (b.order, b.signature, claimIds[seed % claimIds.length]));
        } else {
            return;
        }
        reentrant.arm(target, payload, bubble);
    }

    // ================================================================== identity and compliance
    /// Actors 2k and 2k+1 are one entity (so recovery has somewhere to go); countries include restricted ones.
    function attest(uint256 actorSeed, uint256 countrySeed, uint256 daysSeed) external counted(this.attest.selector) {
        uint256 i = actorSeed % actors.length;
        uint16[4] memory countries = [uint16(840), 276, 156, 643];
        vm.prank(verifier);
        try token.attest(
            actors[i],
            uint64(i / 2 + 1),
            countries[countrySeed % 4],
            uint40(block.timestamp + bound(daysSeed, 1, 400) * 1 days),
            0
        ) {} catch {}
    }

    function revoke(uint256 actorSeed) external counted(this.revoke.selector) {
        vm.prank(verifier);
        try token.revokeAttestation(actors[actorSeed % actors.length]) {} catch {}
    }

    function restrict(uint256 countrySeed, bool restricted) external counted(this.restrict.selector) {
        uint16[] memory list = new uint16[](1);
        list[0] = countrySeed % 2 == 0 ? uint16(156) : uint16(643);
        vm.prank(compliance);
        try token.setRestricted(list, restricted) {} catch {}
    }

    function warp(uint256 secondsSeed) external counted(this.warp.selector) {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 30 days));
    }

    function pause(bool on) external counted(this.pause.selector) {
        vm.prank(pauser);
        if (on) {
            try token.pause() {} catch {}
        } else {
            try token.unpause() {} catch {}
        }
    }

    function stablecoinPause(bool on) external counted(this.stablecoinPause.selector) {
        vm.prank(stableOwner);
        if (on) {
            try IHostileStable(address(stable)).pause() {} catch {}
        } else {
            try IHostileStable(address(stable)).unpause() {} catch {}
        }
    }

    function stablecoinBlacklist(uint256 actorSeed, bool on) external counted(this.stablecoinBlacklist.selector) {
        address a = actors[actorSeed % actors.length];
        vm.prank(stableOwner);
        if (on) {
            try IHostileStable(address(stable)).blacklist(a) {} catch {}
        } else {
            try IHostileStable(address(stable)).unBlacklist(a) {} catch {}
        }
    }

    // ================================================================== claims
    function mint(uint256 actorSeed, uint256 amountSeed, uint256 classSeed, bool disputed)
        external
        counted(this.mint.selector)
    {
        address holder = actors[actorSeed % actors.length];
        bool eligibleBefore = token.isEligible(holder);
        vm.prank(validator);
        try token.mint(
            MintRequest({
                claimRef: keccak256(abi.encode("inv", salt++)),
                classId: uint32(classSeed % 2 + 1),
                holder: holder,
                amount: uint96(bound(amountSeed, 1, 2_000_000e6)),
                status: disputed ? uint8(ClaimStatus.Disputed) : uint8(ClaimStatus.Allowed),
                evidence: bytes32(0)
            })
        ) returns (uint256 id) {
            successes[this.mint.selector] += 1;
            claimIds.push(id);
            // Only a Disputed claim may go to a (verified but) restricted holder; anything else needs eligibility.
            if (!disputed && !eligibleBefore) ineligibleReceiver = true;
        } catch {}
    }

    function amend(uint256 claimSeed, uint256 amountSeed) external counted(this.amend.selector) {
        if (claimIds.length == 0) return;
        vm.prank(validator);
        try token.amendAmount(claimIds[claimSeed % claimIds.length], uint96(bound(amountSeed, 1, 2_000_000e6))) {}
        catch {}
    }

    function setStatus(uint256 claimSeed, uint256 statusSeed) external counted(this.setStatus.selector) {
        if (claimIds.length == 0) return;
        vm.prank(validator);
        try token.setStatus(claimIds[claimSeed % claimIds.length], uint8(statusSeed % 3)) {} catch {}
    }

    function transfer(uint256 claimSeed, uint256 toSeed) external counted(this.transfer.selector) {
        if (claimIds.length == 0) return;
        uint256 id = claimIds[claimSeed % claimIds.length];
        address from = token.ownerOf(id);
        address to = actors[toSeed % actors.length];
        bool eligible = token.isEligible(to);
        vm.prank(from);
        try token.transferFrom(from, to, id) {
            successes[this.transfer.selector] += 1;
            if (!eligible) ineligibleReceiver = true;
        } catch {}
    }

    function recover(uint256 claimSeed) external counted(this.recover.selector) {
        if (claimIds.length == 0) return;
        uint256 id = claimIds[claimSeed % claimIds.length];
        address from = token.ownerOf(id);
        uint256 i = _actorIndex(from);
        address to = actors[i ^ 1]; // the other wallet of the same entity
        bool eligible = token.isEligible(to);
        vm.prank(recoveryAgent);
        try token.recover(id, to) {
            successes[this.recover.selector] += 1;
            if (!eligible) ineligibleReceiver = true;
        } catch {}
    }

    // ================================================================== market
    function fillAsk(uint256 claimSeed, uint256 buyerSeed, uint256 priceSeed) external counted(this.fillAsk.selector) {
        if (claimIds.length == 0) return;
        uint256 id = claimIds[claimSeed % claimIds.length];
        address seller = token.ownerOf(id);
        address buyer = actors[buyerSeed % actors.length];
        Order memory ask = _order(seller, Side.Ask, id, 0, bound(priceSeed, 0, 1_000_000e6), 0);
        bytes memory sig = _sign(_actorIndex(seller), ask);
        _fund(buyer, ask.price);
        bool eligible = token.isEligible(buyer);
        uint256 marketBefore = stable.balanceOf(address(market));
        vm.prank(buyer);
        try market.fillAsk(ask, sig) {
            successes[this.fillAsk.selector] += 1;
            if (!eligible) ineligibleReceiver = true;
            // A direct fill never touches escrow.
            if (stable.balanceOf(address(market)) != marketBefore) escrowLeak = true;
        } catch {}
    }

    /// A firm bid: signed, escrowed by its maker; specific (claimSeed picks a claim) or for a class.
    function placeEscrowedBid(uint256 buyerSeed, uint256 claimSeed, uint256 priceSeed, uint256 depositSeed, bool classBid)
        external
        counted(this.placeEscrowedBid.selector)
    {
        uint256 b = buyerSeed % actors.length;
        address buyer = actors[b];
        Order memory bid;
        if (classBid || claimIds.length == 0) {
            bid = _order(buyer, Side.Bid, 0, uint32(claimSeed % 2 + 1), bound(priceSeed, 1, 1_200_000), 3_000_000e6);
        } else {
            bid = _order(buyer, Side.Bid, claimIds[claimSeed % claimIds.length], 0, bound(priceSeed, 0, 1_000_000e6), 0);
        }
        bytes memory sig = _sign(b, bid);
        bytes32 h = market.hashOrder(bid);
        uint256 amount = bound(depositSeed, 1, 2_000_000e6);
        _fund(buyer, amount);
        uint256 before = stable.balanceOf(address(market));
        vm.prank(buyer);
        try market.deposit(bid, amount) {
            successes[this.placeEscrowedBid.selector] += 1;
            ghostCredited += stable.balanceOf(address(market)) - before;
            bids.push(Bid({order: bid, signature: sig, hash: h}));
        } catch {}
    }

    function fillBid(uint256 bidSeed, uint256 claimSeed) external counted(this.fillBid.selector) {
        if (bids.length == 0 || claimIds.length == 0) return;
        Bid storage bid = bids[bidSeed % bids.length];
        uint256 id = bid.order.claimId != 0 ? bid.order.claimId : claimIds[claimSeed % claimIds.length];
        address seller = token.ownerOf(id);
        address buyer = bid.order.maker;
        (, uint256 escrowBefore) = market.depositOf(bid.hash);
        uint256 marketBefore = stable.balanceOf(address(market));
        uint256 sellerBefore = stable.balanceOf(seller);
        bool eligible = token.isEligible(buyer);
        vm.prank(seller);
        try market.fillBid(bid.order, bid.signature, id) {
            successes[this.fillBid.selector] += 1;
            if (!eligible) ineligibleReceiver = true;
            (, uint256 escrowAfter) = market.depositOf(bid.hash);
            uint256 spent = escrowBefore - escrowAfter;
            ghostEscrowPaid += spent;
            // What left escrow left the market, and (for exact tokens) reached this fill's seller, all of it.
            if (marketBefore - stable.balanceOf(address(market)) != spent) escrowLeak = true;
            if (exactToken && seller != buyer && stable.balanceOf(seller) - sellerBefore < spent) escrowLeak = true;
        } catch {}
    }

    function withdraw(uint256 bidSeed, bool asStranger) external counted(this.withdraw.selector) {
        if (bids.length == 0) return;
        Bid storage bid = bids[bidSeed % bids.length];
        address caller = asStranger ? actors[(bidSeed / 7) % actors.length] : bid.order.maker;
        uint256 marketBefore = stable.balanceOf(address(market));
        uint256 buyerBefore = stable.balanceOf(bid.order.maker);
        vm.prank(caller);
        try market.withdraw(bid.hash) returns (uint256 amount) {
            successes[this.withdraw.selector] += 1;
            if (caller != bid.order.maker) escrowLeak = true;
            ghostWithdrawn += amount;
            if (marketBefore - stable.balanceOf(address(market)) != amount) escrowLeak = true;
            if (exactToken && stable.balanceOf(bid.order.maker) - buyerBefore != amount) escrowLeak = true;
        } catch {}
    }

    function cancel(uint256 bidSeed) external counted(this.cancel.selector) {
        if (bids.length == 0) return;
        Bid storage bid = bids[bidSeed % bids.length];
        Order[] memory list = new Order[](1);
        list[0] = bid.order;
        vm.prank(bid.order.maker);
        try market.cancel(list) {} catch {}
    }

    function incrementCounter(uint256 actorSeed) external counted(this.incrementCounter.selector) {
        vm.prank(actors[actorSeed % actors.length]);
        market.incrementCounter();
    }

    /// Every privileged role tries to take escrow: none has a path, so each attempt must revert.
    function rolesRaidEscrow(uint256 bidSeed) external counted(this.rolesRaidEscrow.selector) {
        if (bids.length == 0) return;
        bytes32 h = bids[bidSeed % bids.length].hash;
        address[7] memory roles = [validator, verifier, compliance, recoveryAgent, pauser, trust, resolver];
        for (uint256 i = 0; i < roles.length; ++i) {
            vm.prank(roles[i]);
            try market.withdraw(h) {
                escrowLeak = true;
            } catch {}
        }
    }

    // ================================================================== distributions
    function declareRound(uint256 classSeed, uint256 rateSeed) external counted(this.declareRound.selector) {
        uint32 classId = uint32(classSeed % 2 + 1);
        uint64 next = distributor.cumulativeRateOf(classId) + uint64(bound(rateSeed, 1, 700_000));
        vm.prank(trust);
        try distributor.declareRound(classId, next) returns (uint32 roundId) {
            successes[this.declareRound.selector] += 1;
            rounds.push(roundId);
            ghostFunded += distributor.roundOf(roundId).funded;
        } catch {}
    }

    function payout(uint256 roundSeed, uint256 claimSeed) external counted(this.payout.selector) {
        (bool ok, uint32 r, uint256 id, uint256 hint, address holder, uint256 expected) = _pick(roundSeed, claimSeed);
        if (!ok) return;
        uint256 before = stable.balanceOf(holder);
        try distributor.payout(r, id, hint) returns (uint256 amount) {
            successes[this.payout.selector] += 1;
            _settled(r, id, amount, expected);
            ghostPaid += amount;
            ghostPaidInRound[r] += amount;
            if (exactToken && stable.balanceOf(holder) - before != amount) wrongPayee = true;
        } catch {}
    }

    function payoutBatch(uint256 roundSeed) external counted(this.payoutBatch.selector) {
        if (rounds.length == 0 || claimIds.length == 0) return;
        uint32 r = rounds[roundSeed % rounds.length];
        uint256 n = claimIds.length < 8 ? claimIds.length : 8;
        uint256[] memory ids = new uint256[](n);
        uint256[] memory hints = new uint256[](n);
        bool[] memory wasSettled = new bool[](n);
        uint256[] memory expected = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            ids[i] = claimIds[(roundSeed + i) % claimIds.length];
            hints[i] = _hint(ids[i], r);
            wasSettled[i] = distributor.isSettled(r, ids[i]);
            expected[i] = _expected(r, ids[i], hints[i]);
        }
        try distributor.payoutBatch(r, ids, hints) returns (uint256 paidCount, uint256 paidAmount) {
            if (paidCount != 0) successes[this.payoutBatch.selector] += 1;
            ghostPaid += paidAmount;
            ghostPaidInRound[r] += paidAmount;
            for (uint256 i = 0; i < n; ++i) {
                if (!wasSettled[i] && distributor.isSettled(r, ids[i])) {
                    // Duplicates in one batch settle once; count each pair once.
                    wasSettled[i] = true;
                    for (uint256 j = i + 1; j < n; ++j) {
                        if (ids[j] == ids[i]) wasSettled[j] = true;
                    }
                    _settled(r, ids[i], expected[i], expected[i]);
                }
            }
        } catch {}
    }

    function release(uint256 roundSeed, uint256 claimSeed, bool asResolver)
        external
        counted(this.release.selector)
    {
        (bool ok, uint32 r, uint256 id, uint256 hint,, uint256 expected) = _pick(roundSeed, claimSeed);
        if (!ok) return;
        vm.prank(asResolver ? resolver : trust);
        try distributor.release(r, id, hint) returns (uint256 amount) {
            successes[this.release.selector] += 1;
            if (!asResolver) wrongPayee = true;
            _settled(r, id, amount, expected);
            ghostPaid += amount;
            ghostPaidInRound[r] += amount;
        } catch {}
    }

    function returnWithheld(uint256 roundSeed, uint256 claimSeed) external counted(this.returnWithheld.selector) {
        (bool ok, uint32 r, uint256 id, uint256 hint,, uint256 expected) = _pick(roundSeed, claimSeed);
        if (!ok) return;
        vm.prank(resolver);
        try distributor.returnWithheld(r, id, hint) returns (uint256 amount) {
            successes[this.returnWithheld.selector] += 1;
            _settled(r, id, amount, expected);
            ghostReturned += amount;
        } catch {}
    }

    // ================================================================== views for the invariants
    function claimCount() external view returns (uint256) {
        return claimIds.length;
    }

    function roundCount() external view returns (uint256) {
        return rounds.length;
    }

    function bidCount() external view returns (uint256) {
        return bids.length;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    // ================================================================== internals
    function _order(address maker, Side side, uint256 claimId, uint32 classId, uint256 price, uint256 maxAmount)
        internal
        returns (Order memory)
    {
        return Order({
            maker: maker,
            taker: address(0),
            side: uint8(side),
            classId: classId,
            claimId: claimId,
            price: price,
            maxAmount: maxAmount,
            expiry: uint64(block.timestamp + 20 days),
            counter: uint64(market.counterOf(maker)),
            salt: salt++
        });
    }

    function _sign(uint256 actorIndex, Order memory o) internal view returns (bytes memory) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", market.domainSeparator(), market.hashOrder(o)));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(actorKeys[actorIndex], digest);
        return abi.encodePacked(r, s, v);
    }

    function _fund(address who, uint256 amount) internal {
        vm.prank(stableOwner);
        try IHostileStable(address(stable)).mint(who, amount) {} catch {}
        // A low-level call: a token whose approve returns nothing (USDT-like) must not break the handler.
        vm.prank(who);
        (bool ok,) = address(stable).call(abi.encodeCall(IERC20.approve, (address(market), type(uint256).max)));
        ok;
    }

    function _actorIndex(address a) internal view returns (uint256) {
        for (uint256 i = 0; i < actors.length; ++i) {
            if (actors[i] == a) return i;
        }
        revert AssertionFailedAddress("holder is not an actor", a, address(0));
    }

    /// @dev The index of the record covering round `r`, or 0 (the current values, or not of record).
    function _hint(uint256 id, uint32 r) internal view returns (uint256) {
        uint256 n = token.recordCount(id);
        for (uint256 i = 0; i < n; ++i) {
            Record memory rec = token.recordOf(id, i);
            if (rec.fromEpoch < r && r <= rec.toEpoch) return i;
        }
        return 0;
    }

    function _expected(uint32 r, uint256 id, uint256 hint) internal view returns (uint256) {
        try token.recordAt(id, r, hint) returns (address, uint96 amount, uint8, uint8, uint32) {
            return uint256(amount) * distributor.roundOf(r).rateDelta / 1e6;
        } catch {
            return 0;
        }
    }

    function _pick(uint256 roundSeed, uint256 claimSeed)
        internal
        view
        returns (bool ok, uint32 r, uint256 id, uint256 hint, address holder, uint256 expected)
    {
        if (rounds.length == 0 || claimIds.length == 0) return (false, 0, 0, 0, address(0), 0);
        r = rounds[roundSeed % rounds.length];
        id = claimIds[claimSeed % claimIds.length];
        hint = _hint(id, r);
        try token.recordAt(id, r, hint) returns (address h, uint96 amount, uint8, uint8, uint32) {
            holder = h;
            expected = uint256(amount) * distributor.roundOf(r).rateDelta / 1e6;
            ok = true;
        } catch {
            ok = true; // still try: the contract must refuse
        }
    }

    function _settled(uint32 r, uint256 id, uint256 amount, uint256 expected) internal {
        timesSettled[r][id] += 1;
        if (timesSettled[r][id] > 1) doubleSettled = true;
        if (amount > expected) overPaid = true;
    }
}
