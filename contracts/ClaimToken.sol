// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IClaimToken} from "./interfaces/IClaimToken.sol";
import {ClaimMarket} from "./ClaimMarket.sol";
import {ClaimDistributor} from "./ClaimDistributor.sol";
import {
    Attestation,
    AttestationRequest,
    MintRequest,
    Record,
    ClaimView,
    ClassView,
    ClaimStatus
} from "./types/ClaimTypes.sol";

/// @title ClaimToken
/// @notice One ERC-721 per validated bankruptcy claim, held only by eligible wallets, with the identity registry it
/// checks and the holder-of-record history the distributor pays from. See docs/DESIGN.md.
/// @dev The ERC-721 is written here rather than inherited so that a claim's holder, class, status and round epoch
/// share one storage slot: a transfer reads one slot for all the checks it makes.
contract ClaimToken is IClaimToken, IERC721Metadata, IERC721Errors, AccessControl, EIP712 {
    // ------------------------------------------------------------------ constants
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    bytes32 public constant VALIDATOR_ROLE = keccak256("VALIDATOR_ROLE");
    bytes32 public constant RECOVERY_ROLE = keccak256("RECOVERY_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant DISTRIBUTOR_ROLE = keccak256("DISTRIBUTOR_ROLE");
    bytes32 public constant RESOLVER_ROLE = keccak256("RESOLVER_ROLE");

    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "AttestationRequest(address wallet,uint64 entityId,uint16 country,uint40 expiry,uint32 flags,uint32 nonce,uint64 deadline)"
    );
    bytes32 public constant VALIDATION_TYPEHASH = keccak256(
        "Validation(bytes32 claimRef,uint32 classId,address holder,uint96 amount,uint8 status,bytes32 evidence,uint64 deadline)"
    );

    uint8 private constant _ALLOWED = uint8(ClaimStatus.Allowed);
    uint8 private constant _DISPUTED = uint8(ClaimStatus.Disputed);
    uint8 private constant _EXPUNGED = uint8(ClaimStatus.Expunged);
    uint16 private constant _MAX_COUNTRY = 999;

    // ------------------------------------------------------------------ storage
    /// @dev Slot 0: holder, class, epoch, status and whether an ERC-721 approval is set (everything a transfer
    /// checks). Slot 1: amount and the approved address, read by a transfer only when `hasApproval` says so.
    struct ClaimSlot {
        address holder;
        uint32 classId;
        uint32 epoch;
        uint8 status;
        bool hasApproval;
        uint96 amount;
        address approved;
    }

    /// @dev An attestation plus a cache of its country's restricted bit, valid while `restrictionVersion` equals
    /// the global one (any change to the restricted set bumps it, so a stale cache is never read).
    struct AttestationSlot {
        uint64 entityId;
        uint16 country;
        uint40 expiry;
        uint32 flags;
        uint32 nonce;
        uint32 restrictionVersion;
        bool restricted;
    }

    struct ClassSlot {
        bool defined;
        uint32 estateId;
        uint64 claimCount;
        uint128 totalAllowed;
        uint128 disputedAllowed;
    }

    /// @dev One slot read by every transfer: the pause flag, the round epoch and the restricted-set version; the
    /// claim count rides along.
    struct GlobalSlot {
        bool paused;
        uint32 epoch;
        uint64 claimCount;
        uint32 restrictionVersion;
    }

    GlobalSlot private _global;
    mapping(uint256 claimId => ClaimSlot) private _claims;
    mapping(uint256 claimId => bytes32) private _claimRefs;
    mapping(uint256 claimId => bytes32) private _evidence;
    mapping(bytes32 claimRef => uint256) private _claimIdOfRef;
    mapping(uint256 claimId => Record[]) private _history;
    mapping(uint32 classId => ClassSlot) private _classes;
    mapping(address wallet => uint256) private _balances;
    mapping(address owner => mapping(address operator => bool)) private _operatorApprovals;
    mapping(address wallet => AttestationSlot) private _attestations;
    /// @dev Restricted countries as a bitmap: word `country >> 8`, bit `country & 0xff`.
    mapping(uint256 word => uint256) private _restricted;

    /// @inheritdoc IClaimToken
    address public immutable market;
    /// @inheritdoc IClaimToken
    address public immutable distributor;
    /// @inheritdoc IClaimToken
    address public immutable stablecoin;

    // ------------------------------------------------------------------ construction
    /// @param stablecoin_ The settlement and distribution stablecoin (USDC, 6 decimals).
    /// @param admin Receives DEFAULT_ADMIN_ROLE, which grants the other roles.
    constructor(address stablecoin_, address admin) EIP712("pyclaims ClaimToken", "1") {
        if (stablecoin_ == address(0)) revert ClaimTokenZeroAddress("stablecoin");
        if (admin == address(0)) revert ClaimTokenZeroAddress("admin");
        stablecoin = stablecoin_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        market = address(new ClaimMarket(address(this), stablecoin_));
        distributor = address(new ClaimDistributor(address(this), stablecoin_));
    }

    // ================================================================== identity
    /// @inheritdoc IClaimToken
    function attest(address wallet, uint64 entityId, uint16 country, uint40 expiry, uint32 flags)
        external
        onlyRole(VERIFIER_ROLE)
    {
        _attest(wallet, entityId, country, expiry, flags);
    }

    /// @inheritdoc IClaimToken
    function attestBySig(AttestationRequest calldata req, bytes calldata signature) external {
        if (block.timestamp > req.deadline) revert ClaimTokenSignatureExpired(req.deadline);
        uint32 current = _attestations[req.wallet].nonce;
        if (req.nonce != current) revert ClaimTokenInvalidNonce(req.wallet, current, req.nonce);
        bytes32 structHash = keccak256(
            abi.encode(
                ATTESTATION_TYPEHASH,
                req.wallet,
                req.entityId,
                req.country,
                req.expiry,
                req.flags,
                req.nonce,
                req.deadline
            )
        );
        _requireSignerRole(structHash, signature, VERIFIER_ROLE);
        _attest(req.wallet, req.entityId, req.country, req.expiry, req.flags);
    }

    /// @inheritdoc IClaimToken
    function revokeAttestation(address wallet) external onlyRole(VERIFIER_ROLE) {
        AttestationSlot storage a = _attestations[wallet];
        if (a.expiry == 0) revert ClaimTokenNotAttested(wallet);
        a.expiry = 0;
        uint32 nonce = a.nonce + 1;
        a.nonce = nonce;
        emit AttestationRevoked(wallet, a.entityId, nonce);
    }

    /// @inheritdoc IClaimToken
    function setRestricted(uint16[] calldata countries, bool restricted) external onlyRole(COMPLIANCE_ROLE) {
        for (uint256 i = 0; i < countries.length; ++i) {
            uint16 country = countries[i];
            if (country == 0 || country > _MAX_COUNTRY) revert ClaimTokenInvalidCountry(country);
            uint256 bit = uint256(1) << (country & 0xff);
            if (restricted) _restricted[country >> 8] |= bit;
            else _restricted[country >> 8] &= ~bit;
            emit JurisdictionRestricted(country, restricted);
        }
        // Every cached restricted bit is stale from now on: eligibility reads the set itself until re-attested.
        _global.restrictionVersion += 1;
    }

    /// @inheritdoc IClaimToken
    function isEligible(address wallet) public view returns (bool) {
        AttestationSlot memory a = _attestations[wallet];
        return a.expiry > block.timestamp && !_restrictedNow(a, _global.restrictionVersion);
    }

    /// @inheritdoc IClaimToken
    function isRestricted(uint16 country) public view returns (bool) {
        return (_restricted[country >> 8] >> (country & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IClaimToken
    function attestationOf(address wallet) external view returns (Attestation memory) {
        AttestationSlot storage a = _attestations[wallet];
        return Attestation({entityId: a.entityId, country: a.country, expiry: a.expiry, flags: a.flags, nonce: a.nonce});
    }

    // ================================================================== claims
    /// @inheritdoc IClaimToken
    function defineClass(uint32 classId, uint32 estateId) external onlyRole(VALIDATOR_ROLE) {
        if (classId == 0) revert ClaimTokenInvalidClass(classId);
        ClassSlot storage c = _classes[classId];
        if (c.defined) revert ClaimTokenClassExists(classId);
        c.defined = true;
        c.estateId = estateId;
        emit ClassDefined(classId, estateId);
    }

    /// @inheritdoc IClaimToken
    function mint(MintRequest calldata req) external onlyRole(VALIDATOR_ROLE) returns (uint256) {
        return _mint(req);
    }

    /// @inheritdoc IClaimToken
    function mintBatch(MintRequest[] calldata reqs) external onlyRole(VALIDATOR_ROLE) returns (uint256 firstClaimId) {
        firstClaimId = uint256(_global.claimCount) + 1;
        for (uint256 i = 0; i < reqs.length; ++i) {
            _mint(reqs[i]);
        }
    }

    /// @inheritdoc IClaimToken
    function mintBySig(MintRequest calldata req, uint64 deadline, bytes calldata signature)
        external
        returns (uint256)
    {
        if (block.timestamp > deadline) revert ClaimTokenSignatureExpired(deadline);
        bytes32 structHash = keccak256(
            abi.encode(
                VALIDATION_TYPEHASH,
                req.claimRef,
                req.classId,
                req.holder,
                req.amount,
                req.status,
                req.evidence,
                deadline
            )
        );
        _requireSignerRole(structHash, signature, VALIDATOR_ROLE);
        return _mint(req);
    }

    /// @inheritdoc IClaimToken
    function amendAmount(uint256 claimId, uint96 newAmount) external onlyRole(VALIDATOR_ROLE) {
        if (newAmount == 0) revert ClaimTokenZeroAmount();
        ClaimSlot storage c = _existing(claimId);
        uint8 status = c.status;
        if (status == _EXPUNGED) revert ClaimTokenClaimExpunged(claimId);
        _checkpoint(claimId, c, _global.epoch);
        uint96 oldAmount = c.amount;
        ClassSlot storage k = _classes[c.classId];
        // Totals are sums of uint96 amounts over at most 2^64 claims: they fit in uint128, checked anyway.
        k.totalAllowed = k.totalAllowed - oldAmount + newAmount;
        if (status == _DISPUTED) k.disputedAllowed = k.disputedAllowed - oldAmount + newAmount;
        c.amount = newAmount;
        emit ClaimAmountAmended(claimId, oldAmount, newAmount);
    }

    /// @inheritdoc IClaimToken
    function setStatus(uint256 claimId, uint8 newStatus) external onlyRole(VALIDATOR_ROLE) {
        if (newStatus > _EXPUNGED) revert ClaimTokenInvalidStatus(newStatus);
        ClaimSlot storage c = _existing(claimId);
        uint8 oldStatus = c.status;
        if (oldStatus == _EXPUNGED) revert ClaimTokenClaimExpunged(claimId);
        if (newStatus == oldStatus) revert ClaimTokenInvalidStatus(newStatus);
        _checkpoint(claimId, c, _global.epoch);
        uint96 amount = c.amount;
        ClassSlot storage k = _classes[c.classId];
        if (oldStatus == _DISPUTED) k.disputedAllowed -= amount;
        if (newStatus == _DISPUTED) k.disputedAllowed += amount;
        if (newStatus == _EXPUNGED) k.totalAllowed -= amount;
        c.status = newStatus;
        emit ClaimStatusChanged(claimId, oldStatus, newStatus);
    }

    /// @inheritdoc IClaimToken
    function recover(uint256 claimId, address to) external onlyRole(RECOVERY_ROLE) {
        ClaimSlot storage c = _existing(claimId);
        address from = c.holder;
        uint64 entity = _attestations[from].entityId;
        if (entity == 0 || _attestations[to].entityId != entity || to == from) {
            revert ClaimTokenEntityMismatch(from, to);
        }
        _requireEligible(to, _global.restrictionVersion);
        _move(from, to, claimId, true);
        emit ClaimRecovered(claimId, from, to);
    }

    /// @inheritdoc IClaimToken
    function pause() external onlyRole(PAUSER_ROLE) {
        if (_global.paused) revert ClaimTokenPaused();
        _global.paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IClaimToken
    function unpause() external onlyRole(PAUSER_ROLE) {
        if (!_global.paused) revert ClaimTokenNotPaused();
        _global.paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IClaimToken
    function paused() external view returns (bool) {
        return _global.paused;
    }

    /// @inheritdoc IClaimToken
    function claimIdOf(bytes32 claimRef) external view returns (uint256) {
        return _claimIdOfRef[claimRef];
    }

    /// @inheritdoc IClaimToken
    function claimOf(uint256 claimId) external view returns (ClaimView memory v) {
        ClaimSlot storage c = _existing(claimId);
        v.holder = c.holder;
        v.classId = c.classId;
        v.estateId = _classes[c.classId].estateId;
        v.amount = c.amount;
        v.status = ClaimStatus(c.status);
        v.claimRef = _claimRefs[claimId];
        v.evidence = _evidence[claimId];
    }

    /// @inheritdoc IClaimToken
    function classOf(uint32 classId) external view returns (ClassView memory v) {
        ClassSlot storage c = _classes[classId];
        v.defined = c.defined;
        v.estateId = c.estateId;
        v.claimCount = c.claimCount;
        v.totalAllowed = c.totalAllowed;
        v.disputedAllowed = c.disputedAllowed;
    }

    /// @inheritdoc IClaimToken
    function claimCount() external view returns (uint256) {
        return _global.claimCount;
    }

    // ================================================================== market and distributor
    /// @inheritdoc IClaimToken
    function marketTransfer(address from, address to, uint256 claimId) external returns (uint32 classId) {
        if (msg.sender != market) revert ClaimTokenOnlyMarket(msg.sender);
        return _move(from, to, claimId, false).classId;
    }

    /// @inheritdoc IClaimToken
    function amountOf(uint256 claimId) external view returns (uint96) {
        return _existing(claimId).amount;
    }

    /// @inheritdoc IClaimToken
    function beginRound(uint32 classId)
        external
        returns (uint32 roundId, uint128 totalAllowed, uint128 disputedAllowed)
    {
        if (msg.sender != distributor) revert ClaimTokenOnlyDistributor(msg.sender);
        ClassSlot storage k = _classes[classId];
        if (!k.defined) revert ClaimTokenUnknownClass(classId);
        roundId = _global.epoch + 1;
        _global.epoch = roundId;
        totalAllowed = k.totalAllowed;
        disputedAllowed = k.disputedAllowed;
        emit RoundOpened(roundId, classId, totalAllowed, disputedAllowed);
    }

    /// @inheritdoc IClaimToken
    function epoch() external view returns (uint32) {
        return _global.epoch;
    }

    /// @inheritdoc IClaimToken
    function recordAt(uint256 claimId, uint32 roundId, uint256 hint)
        external
        view
        returns (address holder, uint96 amount, uint8 recordStatus, uint8 currentStatus, uint32 classId)
    {
        ClaimSlot storage c = _existing(claimId);
        currentStatus = c.status;
        classId = c.classId;
        if (roundId > c.epoch) return (c.holder, c.amount, currentStatus, currentStatus, classId);
        Record[] storage history = _history[claimId];
        // No history, or a round at or before the first record's start: the claim was minted after that round.
        if (history.length == 0 || roundId <= history[0].fromEpoch) revert ClaimTokenNotOfRecord(claimId, roundId);
        if (hint >= history.length) revert ClaimTokenBadRecordHint(claimId, roundId, hint);
        Record storage r = history[hint];
        if (roundId <= r.fromEpoch || roundId > r.toEpoch) revert ClaimTokenBadRecordHint(claimId, roundId, hint);
        return (r.holder, r.amount, r.status, currentStatus, classId);
    }

    /// @inheritdoc IClaimToken
    function recordCount(uint256 claimId) external view returns (uint256) {
        return _history[claimId].length;
    }

    /// @inheritdoc IClaimToken
    function recordOf(uint256 claimId, uint256 index) external view returns (Record memory) {
        return _history[claimId][index];
    }

    // ================================================================== ERC-721
    function name() external pure returns (string memory) {
        return "pyclaims Claim";
    }

    function symbol() external pure returns (string memory) {
        return "PYCLAIM";
    }

    /// @notice Claims carry no off-chain metadata URI: everything about a claim that may be public is on chain.
    function tokenURI(uint256 claimId) external view returns (string memory) {
        _existing(claimId);
        return "";
    }

    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner];
    }

    function ownerOf(uint256 claimId) external view returns (address) {
        return _existing(claimId).holder;
    }

    function approve(address to, uint256 claimId) external {
        ClaimSlot storage c = _existing(claimId);
        address owner = c.holder;
        if (msg.sender != owner && !_operatorApprovals[owner][msg.sender]) revert ERC721InvalidApprover(msg.sender);
        c.approved = to;
        c.hasApproval = to != address(0);
        emit Approval(owner, to, claimId);
    }

    function getApproved(uint256 claimId) external view returns (address) {
        return _existing(claimId).approved;
    }

    function setApprovalForAll(address operator, bool approved) external {
        if (operator == address(0)) revert ERC721InvalidOperator(operator);
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    function transferFrom(address from, address to, uint256 claimId) public {
        ClaimSlot storage c = _existing(claimId);
        if (msg.sender != from && c.approved != msg.sender && !_operatorApprovals[from][msg.sender]) {
            revert ERC721InsufficientApproval(msg.sender, claimId);
        }
        _move(from, to, claimId, false);
    }

    function safeTransferFrom(address from, address to, uint256 claimId) external {
        safeTransferFrom(from, to, claimId, "");
    }

    function safeTransferFrom(address from, address to, uint256 claimId, bytes memory data) public {
        transferFrom(from, to, claimId);
        _checkOnERC721Received(from, to, claimId, data);
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ================================================================== internals
    function _attest(address wallet, uint64 entityId, uint16 country, uint40 expiry, uint32 flags) private {
        if (wallet == address(0)) revert ClaimTokenZeroAddress("wallet");
        if (entityId == 0) revert ClaimTokenInvalidEntity(entityId);
        if (country == 0 || country > _MAX_COUNTRY) revert ClaimTokenInvalidCountry(country);
        if (expiry <= block.timestamp) revert ClaimTokenInvalidExpiry(expiry, block.timestamp);
        uint32 nonce = _attestations[wallet].nonce + 1;
        _attestations[wallet] = AttestationSlot({
            entityId: entityId,
            country: country,
            expiry: expiry,
            flags: flags,
            nonce: nonce,
            restrictionVersion: _global.restrictionVersion,
            restricted: isRestricted(country)
        });
        emit Attested(wallet, entityId, country, expiry, flags, nonce);
    }

    /// @dev Whether `a`'s country is restricted now: the cached bit while no restriction changed since the
    /// attestation was written, otherwise the restricted set itself.
    function _restrictedNow(AttestationSlot memory a, uint32 version) private view returns (bool) {
        return a.restrictionVersion == version ? a.restricted : isRestricted(a.country);
    }

    /// @dev Reverts with the precise reason `wallet` may not hold or receive a claim.
    function _requireEligible(address wallet, uint32 version) private view {
        AttestationSlot memory a = _attestations[wallet];
        if (a.expiry == 0) revert ClaimTokenNotAttested(wallet);
        if (a.expiry <= block.timestamp) revert ClaimTokenAttestationExpired(wallet, a.expiry);
        if (_restrictedNow(a, version)) revert ClaimTokenJurisdictionRestricted(wallet, a.country);
    }

    /// @dev Recovers the EIP-712 signer (low-s only, via OpenZeppelin ECDSA) and requires it to hold `role`.
    function _requireSignerRole(bytes32 structHash, bytes calldata signature, bytes32 role) private view {
        address signer = ECDSA.recoverCalldata(_hashTypedDataV4(structHash), signature);
        if (!hasRole(role, signer)) revert ClaimTokenUnauthorizedSigner(signer, role);
    }

    function _mint(MintRequest calldata req) private returns (uint256 claimId) {
        GlobalSlot memory g = _global;
        if (g.paused) revert ClaimTokenPaused();
        bytes32 ref = req.claimRef;
        if (ref == bytes32(0)) revert ClaimTokenInvalidClaimRef();
        uint256 existing = _claimIdOfRef[ref];
        if (existing != 0) revert ClaimTokenClaimExists(ref, existing);
        if (req.amount == 0) revert ClaimTokenZeroAmount();
        uint8 status = req.status;
        if (status > _DISPUTED) revert ClaimTokenInvalidStatus(status);
        ClassSlot storage k = _classes[req.classId];
        if (!k.defined) revert ClaimTokenUnknownClass(req.classId);
        address holder = req.holder;
        if (holder == address(0)) revert ERC721InvalidReceiver(address(0));
        // A creditor in a restricted jurisdiction keeps the claim, as Disputed; every other mint needs eligibility.
        AttestationSlot memory a = _attestations[holder];
        if (a.expiry == 0) revert ClaimTokenNotAttested(holder);
        if (a.expiry <= block.timestamp) revert ClaimTokenAttestationExpired(holder, a.expiry);
        if (status != _DISPUTED && _restrictedNow(a, g.restrictionVersion)) {
            revert ClaimTokenJurisdictionRestricted(holder, a.country);
        }

        claimId = uint256(g.claimCount) + 1;
        _global.claimCount = uint64(claimId);
        _claims[claimId] = ClaimSlot({
            holder: holder,
            classId: req.classId,
            epoch: g.epoch,
            status: status,
            hasApproval: false,
            amount: req.amount,
            approved: address(0)
        });
        _claimRefs[claimId] = ref;
        if (req.evidence != bytes32(0)) _evidence[claimId] = req.evidence;
        _claimIdOfRef[ref] = claimId;
        k.claimCount += 1;
        k.totalAllowed += req.amount;
        if (status == _DISPUTED) k.disputedAllowed += req.amount;
        // A wallet holds at most every claim there is: below 2^64.
        unchecked {
            _balances[holder] += 1;
        }
        emit Transfer(address(0), holder, claimId);
        emit ClaimMinted(claimId, req.classId, holder, ref, req.amount, status, req.evidence);
    }

    function _existing(uint256 claimId) private view returns (ClaimSlot storage c) {
        c = _claims[claimId];
        if (c.holder == address(0)) revert ERC721NonexistentToken(claimId);
    }

    /// @dev Before the holder, amount or status of a claim changes: if rounds were opened since its current values
    /// became true, keep those values as the record for those rounds.
    function _checkpoint(uint256 claimId, ClaimSlot storage c, uint32 current) private {
        uint32 since = c.epoch;
        if (since < current) {
            _history[claimId].push(
                Record({holder: c.holder, amount: c.amount, status: c.status, fromEpoch: since, toEpoch: current})
            );
            c.epoch = current;
        }
    }

    /// @dev The one path every claim movement takes.
    function _move(address from, address to, uint256 claimId, bool recovery) private returns (ClaimSlot storage c) {
        GlobalSlot memory g = _global;
        if (g.paused) revert ClaimTokenPaused();
        c = _claims[claimId];
        address holder = c.holder;
        if (holder == address(0)) revert ERC721NonexistentToken(claimId);
        if (holder != from) revert ERC721IncorrectOwner(from, claimId, holder);
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        if (!recovery) {
            uint8 status = c.status;
            if (status != _ALLOWED) revert ClaimTokenNotTransferable(claimId, status);
            _requireEligible(from, g.restrictionVersion);
            _requireEligible(to, g.restrictionVersion);
        }
        _checkpoint(claimId, c, g.epoch);
        if (c.hasApproval) {
            c.hasApproval = false;
            c.approved = address(0);
        }
        // `from` holds this claim, so its balance is at least 1; `to` holds fewer claims than exist (< 2^64).
        unchecked {
            _balances[from] -= 1;
            _balances[to] += 1;
        }
        c.holder = to;
        emit Transfer(from, to, claimId);
    }

    function _checkOnERC721Received(address from, address to, uint256 claimId, bytes memory data) private {
        if (to.code.length == 0) return;
        try IERC721Receiver(to).onERC721Received(msg.sender, from, claimId, data) returns (bytes4 retval) {
            if (retval != IERC721Receiver.onERC721Received.selector) revert ERC721InvalidReceiver(to);
        } catch (bytes memory reason) {
            if (reason.length == 0) revert ERC721InvalidReceiver(to);
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }
}
