// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IFiatGateway} from "../../contracts/interfaces/IFiatGateway.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, MemberStatus, Role, Roles} from "../../contracts/types/Membership.sol";
import {SettlementLayerDeployment} from "../helpers/SettlementLayerDeployment.sol";

/// @notice Drives a fully wired settlement layer with bounded random actions, each sent by the actor that
/// would send it (and now and then by one that may not). Calls that should fail are let fail; the ghost
/// variables record only what actually succeeded, so the invariants compare the contracts with a model.
contract SettlementLayerHandler is CommonBase, StdUtils {
    /// @dev Largest single deposit, transfer or redemption tried, in base units (250,000 euros).
    uint256 internal constant MAX_AMOUNT = 250_000e6;
    uint256 internal constant MAX_ALLOWANCE = 2_000_000e6;
    /// @dev How far above the supply an honest auditor may attest the reserve.
    uint256 internal constant MAX_RESERVE_HEADROOM = 3_000_000e6;
    uint256 internal constant MAX_WARP = 30 days;
    uint256 internal constant FIRST_KEY = 0xC0FFEE;
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    struct GhostRedemption {
        uint64 memberId;
        address account;
        uint256 amount;
        IFiatGateway.RedemptionStatus status;
    }

    Consortium public immutable consortium;
    SettlementToken public immutable token;
    FiatGateway public immutable gateway;
    address public immutable masterMinter;
    address public immutable issuerAdmin;

    /*//////////////////////////////////////////////////////////////
                                 ACTORS
    //////////////////////////////////////////////////////////////*/

    /// @dev Every address the handler ever used (members' accounts, outsiders, minters, issuer keys), gateway aside.
    address[] internal _accounts;
    mapping(address account => bool) internal _known;
    mapping(address account => uint256 key) internal _keys;
    mapping(uint64 memberId => address[] accounts) internal _memberAccounts;
    address[] internal _minters;
    uint256 internal _keyCount;
    uint256 internal _refNonce;
    address internal _lastOwner;
    address internal _lastSpender;
    uint256 internal _agreementNonce;

    /*//////////////////////////////////////////////////////////////
                        GHOSTS: MEMBERSHIP MODEL
    //////////////////////////////////////////////////////////////*/

    uint64 public ghost_memberCount;
    mapping(uint64 memberId => MemberStatus) public ghost_status;
    mapping(uint64 memberId => bool) public ghost_operator;
    mapping(address account => uint64 memberId) public ghost_memberOf;
    mapping(address account => bool) public ghost_accountActive;
    mapping(uint64 memberId => bool) public ghost_exitRequested;
    /// @dev The framework agreement version in force, and the one each member accepted last.
    uint32 public ghost_agreementVersion = 1;
    mapping(uint64 memberId => uint32 version) public ghost_acceptedVersion;
    /// @dev Successful removals after which the removed account still held tokens, or the member's account they
    /// were swept to (the remover, or the first remaining one) did not gain exactly what it held.
    uint256 public ghost_removalsStranding;
    /// @dev Successful exits completed by an account that is neither the member's nor an operator's.
    uint256 public ghost_exitsCompletedByOthers;

    /*//////////////////////////////////////////////////////////////
                          GHOSTS: MONEY MODEL
    //////////////////////////////////////////////////////////////*/

    uint256 public ghost_minted;
    uint256 public ghost_burned;
    bytes32[] internal _usedRefs;
    mapping(bytes32 bankRef => uint256 count) public ghost_mintsPerRef;
    mapping(bytes32 bankRef => uint256 amount) public ghost_mintedPerRef;
    mapping(address minter => bool) public ghost_minterActive;
    mapping(address minter => uint256 allowance) public ghost_allowanceConfigured;
    mapping(address minter => uint256 amount) public ghost_mintedSinceConfigured;
    uint256 public ghost_reserve;
    uint40 public ghost_reserveAsOf;
    /// @dev Successful mints after which the supply stood above the reserve attested last.
    uint256 public ghost_mintsAboveReserve;
    bool public ghost_paused;
    /// @dev Transfers, mints and burns (including a redemption's lock, burn or refund) that succeeded while paused.
    uint256 public ghost_movesWhilePaused;

    /*//////////////////////////////////////////////////////////////
                        GHOSTS: REDEMPTION MODEL
    //////////////////////////////////////////////////////////////*/

    uint64 public ghost_redemptionCount;
    mapping(uint64 redemptionId => GhostRedemption) internal _redemptions;
    uint256 public ghost_pendingSum;
    mapping(uint64 memberId => uint256 count) public ghost_pendingCount;
    /// @dev Settlements the gateway accepted for a redemption the model did not hold as pending.
    uint256 public ghost_settledNotPending;
    /// @dev Rejections whose refund did not reach the requesting account or, if removed, an active account of its member.
    uint256 public ghost_misdirectedRefunds;

    /// @dev Members' transfers that reached a frozen or leaving account (only what is owed may reach it).
    uint256 public ghost_restrictedReceipts;
    /// @dev Times a leaving account could not send its whole balance to a member in good standing, unpaused.
    uint256 public ghost_leaversStuck;

    /// @dev Successful calls per action, for the campaign summary.
    mapping(bytes4 selector => uint256 count) public successes;

    /*//////////////////////////////////////////////////////////////
                                 SETUP
    //////////////////////////////////////////////////////////////*/

    constructor() {
        address founder = _newKey();
        issuerAdmin = _newKey();
        masterMinter = _newKey();
        SettlementLayerDeployment.Deployed memory d = SettlementLayerDeployment.deploy(
            founder,
            issuerAdmin,
            masterMinter
        );
        consortium = d.consortium;
        token = d.token;
        gateway = d.gateway;
        _track(founder);
        _track(issuerAdmin);
        _track(masterMinter);
        _modelAdmission(1, _single(founder), Roles.bit(Role.Operator));
        ghost_acceptedVersion[1] = 1;

        // The founder adds a second key.
        address founderSecond = _newKey();
        vm.prank(founder);
        consortium.addAccount(founderSecond);
        _modelAccount(1, founderSecond);
        _track(founderSecond);

        // Members with several accounts each; two hold the auditor role so that attestations rarely stall.
        _admitInitial(founder, 3, Roles.bit(Role.Operator) | Roles.bit(Role.Provider));
        _admitInitial(founder, 3, Roles.bit(Role.Consumer));
        _admitInitial(founder, 2, Roles.bit(Role.Licensor) | Roles.bit(Role.Auditor));
        _admitInitial(founder, 2, Roles.bit(Role.Auditor));

        // Two outsiders that never become members.
        _track(_newKey());
        _track(_newKey());

        // Two configured minters and one that is not configured yet.
        for (uint256 i = 0; i < 3; ++i) {
            address minter = _newKey();
            _minters.push(minter);
            _track(minter);
        }
        _configure(_minters[0], 1_000_000e6);
        _configure(_minters[1], 500_000e6);

        // The auditor of member 5 attests a reserve of two million euros as of today.
        vm.warp(1_735_689_600); // 2025-01-01
        vm.prank(_memberAccounts[5][0]);
        gateway.attestReserve(2_000_000e6, uint40(block.timestamp), keccak256("reserve report 1"));
        ghost_reserve = 2_000_000e6;
        ghost_reserveAsOf = uint40(block.timestamp);

        // Some money in circulation from the start, so that early actions have something to move.
        _mintInitial(_memberAccounts[2][0], 100_000e6);
        _mintInitial(_memberAccounts[3][0], 150_000e6);
        _mintInitial(_memberAccounts[3][1], 50_000e6);
        _mintInitial(_memberAccounts[4][0], 25_000e6);
    }

    /*//////////////////////////////////////////////////////////////
                          ACTIONS: THE GATEWAY
    //////////////////////////////////////////////////////////////*/

    /// @notice A minter mints against a fresh, a reused or a zero bank reference, to any known address.
    function mint(uint256 minterSeed, uint256 toSeed, uint256 amount, uint256 refSeed) external {
        address minter = _minters[minterSeed % _minters.length];
        address to = _recipient(toSeed);
        amount = _bound(amount, 0, MAX_AMOUNT);
        bytes32 bankRef = _bankRef(refSeed);
        bool wasPaused = token.paused();
        vm.prank(minter);
        try gateway.mint(to, amount, bankRef) {
            _recordMint(minter, bankRef, amount);
            _recordMove(wasPaused);
            _succeeded();
        } catch {}
    }

    /// @notice The master minter (or, now and then, someone else) sets a minter's allowance.
    function configureMinter(uint256 callerSeed, uint256 minterSeed, uint256 allowance) external {
        address caller = _mode(callerSeed, 8) == 0 ? _account(callerSeed >> 3) : masterMinter;
        address minter = _minters[minterSeed % _minters.length];
        allowance = _bound(allowance, 0, MAX_ALLOWANCE);
        vm.prank(caller);
        try gateway.configureMinter(minter, allowance) {
            _modelConfigured(minter, allowance);
            _succeeded();
        } catch {}
    }

    /// @notice The master minter (or someone else) removes a minter.
    function removeMinter(uint256 callerSeed, uint256 minterSeed) external {
        address caller = _mode(callerSeed, 8) == 0 ? _account(callerSeed >> 3) : masterMinter;
        address minter = _minters[minterSeed % _minters.length];
        vm.prank(caller);
        try gateway.removeMinter(minter) {
            ghost_minterActive[minter] = false;
            ghost_allowanceConfigured[minter] = 0;
            ghost_mintedSinceConfigured[minter] = 0;
            _succeeded();
        } catch {}
    }

    /// @notice An honest auditor attests a reserve of at least the supply, dated after the last attestation
    /// and not in the future; time moves on first.
    function attestReserve(uint256 callerSeed, uint256 reserveSeed, uint256 asOfSeed, uint256 warpSeed) external {
        vm.warp(block.timestamp + _bound(warpSeed, 0, 7 days));
        (, uint40 lastAsOf) = gateway.attestedReserve();
        if (block.timestamp <= lastAsOf) vm.warp(uint256(lastAsOf) + 1);
        uint40 asOf = uint40(_bound(asOfSeed, uint256(lastAsOf) + 1, block.timestamp));
        uint256 supply = token.totalSupply();
        uint256 reserve = _bound(reserveSeed, supply, supply + MAX_RESERVE_HEADROOM);
        address auditor = _withRole(callerSeed, Role.Auditor);
        vm.prank(auditor);
        try gateway.attestReserve(reserve, asOf, keccak256(abi.encode("reserve report", asOf))) {
            ghost_reserve = reserve;
            ghost_reserveAsOf = asOf;
            _succeeded();
        } catch {}
    }

    /// @notice A holder locks tokens in a redemption request after approving the gateway.
    function requestRedemption(uint256 accountSeed, uint256 amount, uint256 payoutSeed) external {
        address account = _holder(accountSeed);
        amount = _amountUpTo(amount, token.balanceOf(account));
        bytes32 payoutRef = _payoutRef(payoutSeed);
        bool wasPaused = token.paused();
        vm.prank(account);
        token.approve(address(gateway), amount);
        vm.prank(account);
        try gateway.requestRedemption(amount, payoutRef) returns (uint64 redemptionId) {
            _recordRedemption(redemptionId, account, amount);
            _recordMove(wasPaused);
            _succeeded();
        } catch {}
    }

    /// @notice A holder redeems with an EIP-2612 permit (now and then an expired one) instead of an approval.
    function requestRedemptionWithPermit(
        uint256 accountSeed,
        uint256 amount,
        uint256 payoutSeed,
        uint256 deadlineSeed
    ) external {
        address account = _holder(accountSeed);
        amount = _amountUpTo(amount, token.balanceOf(account));
        bytes32 payoutRef = _payoutRef(payoutSeed);
        uint256 deadline =
            _mode(deadlineSeed, 8) == 0 ? block.timestamp - 1 : block.timestamp + _bound(deadlineSeed, 0, 1 days);
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, account, address(gateway), amount, token.nonces(account), deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[account], digest);
        bool wasPaused = token.paused();
        vm.prank(account);
        try gateway.requestRedemptionWithPermit(amount, payoutRef, deadline, v, r, s) returns (uint64 redemptionId) {
            _recordRedemption(redemptionId, account, amount);
            _recordMove(wasPaused);
            _succeeded();
        } catch {}
    }

    /// @notice An operator reports a redemption paid out (the locked tokens are burned).
    function markRedemptionPaid(uint256 callerSeed, uint256 idSeed, uint256 txSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint64 redemptionId = _redemptionId(idSeed);
        bytes32 bankTxRef = _mode(txSeed, 16) == 0 ? bytes32(0) : keccak256(abi.encode("bank tx", txSeed));
        bool wasPaused = token.paused();
        vm.prank(caller);
        try gateway.markRedemptionPaid(redemptionId, bankTxRef) {
            GhostRedemption storage redemption = _redemptions[redemptionId];
            _release(redemption, IFiatGateway.RedemptionStatus.Paid);
            ghost_burned += redemption.amount;
            _recordMove(wasPaused);
            _succeeded();
        } catch {}
    }

    /// @notice An operator rejects a redemption; the tokens go back to the requester or, if that account
    /// was removed since, to its member's first active account.
    function rejectRedemption(uint256 callerSeed, uint256 idSeed, uint256 reasonSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint64 redemptionId = _redemptionId(idSeed);
        GhostRedemption storage redemption = _redemptions[redemptionId];
        address refundTo = redemption.account;
        if (redemption.memberId != 0 && !ghost_accountActive[refundTo]) {
            refundTo = consortium.accountsOf(redemption.memberId)[0];
        }
        uint256 balanceBefore = token.balanceOf(refundTo);
        bool wasPaused = token.paused();
        vm.prank(caller);
        try gateway.rejectRedemption(redemptionId, keccak256(abi.encode("rejection", reasonSeed))) {
            _release(redemption, IFiatGateway.RedemptionStatus.Rejected);
            bool reachedMember = ghost_accountActive[refundTo] && ghost_memberOf[refundTo] == redemption.memberId;
            if (!reachedMember || token.balanceOf(refundTo) != balanceBefore + redemption.amount) {
                ++ghost_misdirectedRefunds;
            }
            _recordMove(wasPaused);
            _succeeded();
        } catch {}
    }

    /*//////////////////////////////////////////////////////////////
                           ACTIONS: THE TOKEN
    //////////////////////////////////////////////////////////////*/

    /// @notice A holder (now and then anyone) sends tokens to any known address, now and then more than it has
    /// and one time in eight a single base unit (dust, as someone would send to keep a wallet from emptying).
    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _holder(fromSeed);
        address to = _recipient(toSeed);
        amount = _mode(amount, 8) == 0 ? 1 : _amountUpTo(amount, token.balanceOf(from));
        bool wasPaused = token.paused();
        bool restricted = _restricted(to);
        vm.prank(from);
        try token.transfer(to, amount) returns (bool ok) {
            if (ok) {
                _recordMove(wasPaused);
                if (restricted) ++ghost_restrictedReceipts;
                _succeeded();
            }
        } catch {}
    }

    /// @notice A leaving account sends its whole balance to an account of another member in good standing: it
    /// must always succeed while the token is not paused, so that a leaving member can empty its wallets.
    function emptyLeavingWallet(uint256 fromSeed, uint256 toSeed) external {
        if (token.paused()) return;
        address from = _withStanding(fromSeed, AccountStanding.Leaving, true);
        address to = _withStanding(toSeed, AccountStanding.Member, false);
        if (from == address(0) || to == address(0) || ghost_memberOf[from] == ghost_memberOf[to]) return;
        uint256 amount = token.balanceOf(from);
        uint256 received = token.balanceOf(to);
        vm.prank(from);
        try token.transfer(to, amount) {
            if (token.balanceOf(from) != 0 || token.balanceOf(to) != received + amount) ++ghost_leaversStuck;
            _succeeded();
        } catch {
            ++ghost_leaversStuck;
        }
    }

    /// @notice Any known address approves another (or the gateway).
    function approve(uint256 ownerSeed, uint256 spenderSeed, uint256 amount) external {
        address owner = _holder(ownerSeed);
        address spender = _recipient(spenderSeed);
        amount = _bound(amount, 0, 2 * MAX_AMOUNT);
        vm.prank(owner);
        try token.approve(spender, amount) returns (bool ok) {
            if (ok) {
                _lastOwner = owner;
                _lastSpender = spender;
                _succeeded();
            }
        } catch {}
    }

    /// @notice A spender moves tokens from an owner; mostly the pair approved last.
    function transferFrom(uint256 spenderSeed, uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address spender = _account(spenderSeed);
        address from = _holder(fromSeed);
        // The gateway is approved too, but it spends only through its own code: the handler never impersonates it.
        if (_mode(spenderSeed, 4) != 0 && _lastOwner != address(0) && _lastSpender != address(gateway)) {
            spender = _lastSpender;
            from = _lastOwner;
        }
        address to = _recipient(toSeed);
        uint256 limit = token.allowance(from, spender);
        uint256 balance = token.balanceOf(from);
        amount = _amountUpTo(amount, limit < balance ? limit : balance);
        bool wasPaused = token.paused();
        bool restricted = _restricted(to);
        vm.prank(spender);
        try token.transferFrom(from, to, amount) returns (bool ok) {
            if (ok) {
                _recordMove(wasPaused);
                if (restricted) ++ghost_restrictedReceipts;
                _succeeded();
            }
        } catch {}
    }

    /// @notice Someone (an operator one time in four, so that the token is not paused most of the time) pauses it.
    function pause(uint256 callerSeed) external {
        address caller =
            _mode(callerSeed, 4) == 0 ? _withRole(callerSeed >> 2, Role.Operator) : _account(callerSeed >> 2);
        vm.prank(caller);
        try token.pause() {
            ghost_paused = true;
            _succeeded();
        } catch {}
    }

    /// @notice An operator (now and then someone else) unpauses the token.
    function unpause(uint256 callerSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        vm.prank(caller);
        try token.unpause() {
            ghost_paused = false;
            _succeeded();
        } catch {}
    }

    /*//////////////////////////////////////////////////////////////
                         ACTIONS: THE CONSORTIUM
    //////////////////////////////////////////////////////////////*/

    /// @notice An operator admits a company with fresh accounts (now and then one already taken).
    function admit(uint256 callerSeed, uint256 rolesSeed, uint256 accountsSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint8 roles = uint8(_bound(rolesSeed, 0, Roles.ALL));
        address[] memory accounts = new address[](_bound(accountsSeed, 1, 3));
        for (uint256 i = 0; i < accounts.length; ++i) {
            accounts[i] = _freshAddress();
        }
        if (_mode(accountsSeed, 8) == 0) accounts[0] = _account(accountsSeed >> 3);
        vm.prank(caller);
        try consortium.admit(accounts, roles, keccak256(abi.encode("member record", accounts[0]))) returns (
            uint64 memberId
        ) {
            _modelAdmission(memberId, accounts, roles);
            for (uint256 i = 0; i < accounts.length; ++i) {
                _track(accounts[i]);
            }
            _succeeded();
        } catch {}
    }

    /// @notice An operator (now and then someone else) suspends a member (or an unknown id).
    function suspend(uint256 callerSeed, uint256 memberSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint64 memberId = _memberId(memberSeed);
        vm.prank(caller);
        try consortium.suspend(memberId, keccak256(abi.encode("decision", memberSeed))) {
            ghost_status[memberId] = MemberStatus.Suspended;
            _succeeded();
        } catch {}
    }

    /// @notice An operator (now and then someone else) lifts a suspension, mostly of a suspended member.
    function reinstate(uint256 callerSeed, uint256 memberSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint64 memberId = _memberIn(memberSeed, MemberStatus.Suspended);
        vm.prank(caller);
        try consortium.reinstate(memberId) {
            ghost_status[memberId] = MemberStatus.Active;
            _succeeded();
        } catch {}
    }

    /// @notice An operator grants the operator role.
    function grantOperator(uint256 callerSeed, uint256 memberSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint64 memberId = _memberId(memberSeed);
        vm.prank(caller);
        try consortium.grantMemberRole(memberId, Role.Operator) {
            ghost_operator[memberId] = true;
            _succeeded();
        } catch {}
    }

    /// @notice An operator revokes the operator role.
    function revokeOperator(uint256 callerSeed, uint256 memberSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint64 memberId = _memberId(memberSeed);
        vm.prank(caller);
        try consortium.revokeMemberRole(memberId, Role.Operator) {
            ghost_operator[memberId] = false;
            _succeeded();
        } catch {}
    }

    /// @notice An account adds a fresh account to its member (now and then an address that may not be added).
    function addAccount(uint256 callerSeed, uint256 accountSeed) external {
        address caller = _account(callerSeed);
        address account = _freshAddress();
        if (_mode(accountSeed, 8) == 0)
            account = _mode(accountSeed, 16) == 0 ? address(gateway) : _account(accountSeed >> 4);
        vm.prank(caller);
        try consortium.addAccount(account) {
            _modelAccount(ghost_memberOf[caller], account);
            _track(account);
            _succeeded();
        } catch {}
    }

    /// @notice An account removes one of its member's accounts, whether it holds tokens (which are swept to the
    /// remover, or to the first remaining account when it removes itself) or not; one time in four an empty one.
    /// While the token is paused only an empty account is removed.
    function removeAccount(uint256 callerSeed, uint256 accountSeed) external {
        address caller = _account(callerSeed);
        address account = _account(accountSeed);
        uint64 memberId = ghost_memberOf[caller];
        address[] storage own = _memberAccounts[memberId];
        if (own.length != 0) {
            account = own[accountSeed % own.length];
            bool wantEmpty = _mode(accountSeed, 4) == 0;
            for (uint256 i = 0; i < own.length; ++i) {
                address candidate = own[(accountSeed + i) % own.length];
                if (ghost_accountActive[candidate] && (!wantEmpty || token.balanceOf(candidate) == 0)) {
                    account = candidate;
                    break;
                }
            }
        }
        uint256 balanceBefore = token.balanceOf(account);
        address[] memory accounts = memberId == 0 ? new address[](0) : consortium.accountsOf(memberId);
        uint256[] memory before = new uint256[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            before[i] = token.balanceOf(accounts[i]);
        }
        bool wasPaused = token.paused();
        vm.prank(caller);
        try consortium.removeAccount(account) {
            ghost_accountActive[account] = false;
            address to = caller != account ? caller : consortium.accountsOf(memberId)[0];
            uint256 toBefore;
            for (uint256 i = 0; i < accounts.length; ++i) {
                if (accounts[i] == to) toBefore = before[i];
            }
            if (token.balanceOf(account) != 0 || token.balanceOf(to) != toBefore + balanceBefore) {
                ++ghost_removalsStranding;
            }
            if (balanceBefore != 0) _recordMove(wasPaused);
            _succeeded();
        } catch {}
    }

    /// @notice An operator shortens or lengthens the notice period for exits requested from now on (one time in
    /// sixteen beyond the maximum).
    function setNoticePeriod(uint256 callerSeed, uint256 periodSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        uint256 period =
            _mode(periodSeed, 16) == 0
                ? _bound(periodSeed, uint256(consortium.MAX_NOTICE_PERIOD()) + 1, type(uint40).max)
                : _bound(periodSeed, 0, MAX_WARP);
        vm.prank(caller);
        try consortium.setNoticePeriod(uint40(period)) {
            _succeeded();
        } catch {}
    }

    /// @notice An account asks for its member to leave.
    function requestExit(uint256 callerSeed) external {
        address caller = _account(callerSeed);
        vm.prank(caller);
        try consortium.requestExit() {
            ghost_exitRequested[ghost_memberOf[caller]] = true;
            _succeeded();
        } catch {}
    }

    /// @notice An account withdraws its member's exit request, mostly one that has one.
    function cancelExit(uint256 callerSeed) external {
        address caller = _account(callerSeed);
        if (_mode(callerSeed, 4) != 0) {
            uint256 n = _accounts.length;
            for (uint256 i = 0; i < n; ++i) {
                address candidate = _accounts[(callerSeed + i) % n];
                if (ghost_exitRequested[ghost_memberOf[candidate]] && ghost_accountActive[candidate]) {
                    caller = candidate;
                    break;
                }
            }
        }
        vm.prank(caller);
        try consortium.cancelExit() {
            ghost_exitRequested[ghost_memberOf[caller]] = false;
            _succeeded();
        } catch {}
    }

    /// @notice A member's exit is completed, mostly one that was requested (it succeeds only after the notice
    /// period, with no tokens held and no redemption pending), by one of the member's accounts, an operator or,
    /// one time in eight, any known address (which may not).
    function completeExit(uint256 memberSeed, uint256 callerSeed) external {
        uint64 memberId = _memberId(memberSeed);
        if (_mode(memberSeed, 4) != 0) {
            for (uint64 i = 0; i < ghost_memberCount; ++i) {
                uint64 candidate = uint64((memberSeed + i) % ghost_memberCount) + 1;
                if (ghost_exitRequested[candidate] && ghost_status[candidate] != MemberStatus.Exited) {
                    memberId = candidate;
                    break;
                }
            }
        }
        uint256 mode = _mode(callerSeed, 8);
        address caller =
            mode == 0
                ? _account(callerSeed >> 3)
                : mode <= 3
                    ? _withRole(callerSeed >> 3, Role.Operator)
                    : _activeAccountOf(memberId, callerSeed >> 3);
        bool allowed =
            (ghost_accountActive[caller] && ghost_memberOf[caller] == memberId) ||
                consortium.hasRole(caller, Role.Operator);
        vm.prank(caller);
        try consortium.completeExit(memberId) {
            ghost_status[memberId] = MemberStatus.Exited;
            if (!allowed) ++ghost_exitsCompletedByOthers;
            _succeeded();
        } catch {}
    }

    /// @notice An operator (now and then someone else) publishes a new framework agreement.
    function publishAgreement(uint256 callerSeed) external {
        address caller = _withRole(callerSeed, Role.Operator);
        vm.prank(caller);
        try consortium.publishAgreement(keccak256(abi.encode("framework agreement", ++_agreementNonce))) returns (
            uint32 version
        ) {
            ghost_agreementVersion = version;
            _succeeded();
        } catch {}
    }

    /// @notice An account accepts the agreement in force for its member (one time in eight a stale one).
    function acceptAgreement(uint256 callerSeed) external {
        address caller = _account(callerSeed);
        (uint32 version, bytes32 current) = consortium.currentAgreement();
        if (_mode(callerSeed, 8) == 0) current = consortium.agreementHash(version > 1 ? version - 1 : version);
        vm.prank(caller);
        try consortium.acceptAgreement(current) {
            ghost_acceptedVersion[ghost_memberOf[caller]] = version;
            _succeeded();
        } catch {}
    }

    /// @notice Time passes.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 1, MAX_WARP));
        _succeeded();
    }

    /*//////////////////////////////////////////////////////////////
                         READ-ONLY: FOR INVARIANTS
    //////////////////////////////////////////////////////////////*/

    function accountCount() external view returns (uint256) {
        return _accounts.length;
    }

    function accountAt(uint256 index) external view returns (address) {
        return _accounts[index];
    }

    function minterCount() external view returns (uint256) {
        return _minters.length;
    }

    function minterAt(uint256 index) external view returns (address) {
        return _minters[index];
    }

    function usedRefCount() external view returns (uint256) {
        return _usedRefs.length;
    }

    function usedRefAt(uint256 index) external view returns (bytes32) {
        return _usedRefs[index];
    }

    function ghostRedemption(uint64 redemptionId) external view returns (GhostRedemption memory) {
        return _redemptions[redemptionId];
    }

    /// @notice Every account the member ever had, active or not.
    function memberAccounts(uint64 memberId) external view returns (address[] memory) {
        return _memberAccounts[memberId];
    }

    /// @notice The standing the token should record for `account`, from the membership model.
    function expectedStanding(address account) public view returns (AccountStanding) {
        if (account == address(gateway)) return AccountStanding.System;
        uint64 memberId = ghost_memberOf[account];
        if (memberId == 0 || !ghost_accountActive[account]) return AccountStanding.None;
        MemberStatus status = ghost_status[memberId];
        if (status == MemberStatus.Active) {
            return ghost_exitRequested[memberId] ? AccountStanding.Leaving : AccountStanding.Member;
        }
        if (status == MemberStatus.Suspended) return AccountStanding.Frozen;
        return AccountStanding.None;
    }

    /// @notice Members in good standing holding the operator role, from the membership model.
    function modelOperatorCount() external view returns (uint256 count) {
        for (uint64 id = 1; id <= ghost_memberCount; ++id) {
            if (ghost_operator[id] && ghost_status[id] == MemberStatus.Active) ++count;
        }
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev A choice among `n` cases that does not follow the seed's low bits, which fuzzers set to edge values.
    function _mode(uint256 seed, uint256 n) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, "mode"))) % n;
    }

    function _account(uint256 seed) private view returns (address) {
        return _accounts[seed % _accounts.length];
    }

    /// @dev Mostly an address that holds tokens; one time in eight any known address.
    function _holder(uint256 seed) private view returns (address) {
        if (_mode(seed, 8) == 0) return _account(seed >> 3);
        uint256 n = _accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address candidate = _accounts[(seed + i) % n];
            if (token.balanceOf(candidate) != 0) return candidate;
        }
        return _account(seed);
    }

    /// @dev Mostly an active member account; one time in sixteen the gateway, two in sixteen any known address.
    function _recipient(uint256 seed) private view returns (address) {
        uint256 mode = _mode(seed, 16);
        if (mode == 0) return address(gateway);
        if (mode <= 2) return _account(seed >> 4);
        uint256 n = _accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address candidate = _accounts[((seed >> 4) + i) % n];
            if (ghost_accountActive[candidate]) return candidate;
        }
        return _account(seed >> 4);
    }

    /// @dev Mostly an account holding `role` in good standing; one time in eight any known address.
    function _withRole(uint256 seed, Role role) private view returns (address) {
        if (_mode(seed, 8) == 0) return _account(seed >> 3);
        uint256 n = _accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address candidate = _accounts[((seed >> 3) + i) % n];
            if (consortium.hasRole(candidate, role)) return candidate;
        }
        return _account(seed >> 3);
    }

    /// @dev A known account the model holds at `standing` (with tokens, if `holding`), or the zero address.
    function _withStanding(uint256 seed, AccountStanding standing, bool holding) private view returns (address) {
        uint256 n = _accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address candidate = _accounts[(seed + i) % n];
            if (expectedStanding(candidate) == standing && (!holding || token.balanceOf(candidate) != 0)) {
                return candidate;
            }
        }
        return address(0);
    }

    /// @dev Mostly an active account of `memberId`; any known address if it has none.
    function _activeAccountOf(uint64 memberId, uint256 seed) private view returns (address) {
        address[] storage own = _memberAccounts[memberId];
        for (uint256 i = 0; i < own.length; ++i) {
            address candidate = own[(seed + i) % own.length];
            if (ghost_accountActive[candidate]) return candidate;
        }
        return _account(seed);
    }

    /// @dev Whether a member's transfer to `account` must not arrive: its member is suspended or leaving.
    function _restricted(address account) private view returns (bool) {
        AccountStanding standing = expectedStanding(account);
        return standing == AccountStanding.Frozen || standing == AccountStanding.Leaving;
    }

    /// @dev Up to `limit`, and one time in sixteen one more than that.
    function _amountUpTo(uint256 seed, uint256 limit) private pure returns (uint256) {
        return _mode(seed, 16) == 0 ? limit + 1 : _bound(seed >> 4, 0, limit);
    }

    /// @dev A member id, one past the last now and then.
    function _memberId(uint256 seed) private view returns (uint64) {
        return uint64(_bound(seed, 1, uint256(ghost_memberCount) + 1));
    }

    /// @dev Mostly a member with `status`; otherwise any id including an unknown one.
    function _memberIn(uint256 seed, MemberStatus status) private view returns (uint64) {
        uint64 count = ghost_memberCount;
        if (_mode(seed, 4) != 0) {
            for (uint64 i = 0; i < count; ++i) {
                uint64 candidate = uint64((seed + i) % count) + 1;
                if (ghost_status[candidate] == status) return candidate;
            }
        }
        return _memberId(seed);
    }

    /// @dev Mostly a pending redemption; otherwise any id including unknown ones.
    function _redemptionId(uint256 seed) private view returns (uint64) {
        uint64 count = ghost_redemptionCount;
        if (count == 0 || _mode(seed, 8) == 0) return uint64(_bound(seed >> 3, 0, uint256(count) + 1));
        for (uint64 i = 0; i < count; ++i) {
            uint64 id = uint64(((seed >> 3) + i) % count) + 1;
            if (_redemptions[id].status == IFiatGateway.RedemptionStatus.Pending) return id;
        }
        return uint64(_bound(seed >> 3, 1, count));
    }

    /// @dev A fresh bank reference mostly, a reused one one time in four, zero one time in eight.
    function _bankRef(uint256 seed) private returns (bytes32) {
        uint256 mode = _mode(seed, 8);
        if (mode == 0) return bytes32(0);
        if (mode <= 2 && _usedRefs.length != 0) return _usedRefs[(seed >> 3) % _usedRefs.length];
        return keccak256(abi.encode("bank deposit", ++_refNonce));
    }

    function _payoutRef(uint256 seed) private pure returns (bytes32) {
        return _mode(seed, 16) == 0 ? bytes32(0) : keccak256(abi.encode("payout instructions", seed));
    }

    function _newKey() private returns (address account) {
        uint256 key = FIRST_KEY + ++_keyCount;
        account = vm.addr(key);
        _keys[account] = key;
    }

    /// @dev A key that no contract has seen; it joins `_accounts` only once a call made it an account.
    function _freshAddress() private returns (address) {
        return _newKey();
    }

    /// @dev Adds `account` to the known addresses, once, so that sums over them count each balance once.
    function _track(address account) private {
        if (_known[account]) return;
        _known[account] = true;
        _accounts.push(account);
    }

    function _single(address account) private pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = account;
    }

    function _admitInitial(address founder, uint256 accountCount_, uint8 roles) private {
        address[] memory accounts = new address[](accountCount_);
        for (uint256 i = 0; i < accountCount_; ++i) {
            accounts[i] = _newKey();
            _track(accounts[i]);
        }
        uint64 memberId = SettlementLayerDeployment.admitMember(consortium, founder, accounts, roles);
        _modelAdmission(memberId, accounts, roles);
        ghost_acceptedVersion[memberId] = 1;
    }

    function _mintInitial(address to, uint256 amount) private {
        bytes32 bankRef = keccak256(abi.encode("bank deposit", ++_refNonce));
        vm.prank(_minters[0]);
        gateway.mint(to, amount, bankRef);
        _recordMint(_minters[0], bankRef, amount);
    }

    function _configure(address minter, uint256 allowance) private {
        vm.prank(masterMinter);
        gateway.configureMinter(minter, allowance);
        _modelConfigured(minter, allowance);
    }

    function _modelAdmission(uint64 memberId, address[] memory accounts, uint8 roles) private {
        ghost_memberCount = memberId;
        ghost_status[memberId] = MemberStatus.Active;
        ghost_operator[memberId] = Roles.has(roles, Role.Operator);
        for (uint256 i = 0; i < accounts.length; ++i) {
            _modelAccount(memberId, accounts[i]);
        }
    }

    function _modelAccount(uint64 memberId, address account) private {
        ghost_memberOf[account] = memberId;
        ghost_accountActive[account] = true;
        _memberAccounts[memberId].push(account);
    }

    function _modelConfigured(address minter, uint256 allowance) private {
        ghost_minterActive[minter] = true;
        ghost_allowanceConfigured[minter] = allowance;
        ghost_mintedSinceConfigured[minter] = 0;
    }

    function _recordMint(address minter, bytes32 bankRef, uint256 amount) private {
        ghost_minted += amount;
        if (ghost_mintsPerRef[bankRef]++ == 0) _usedRefs.push(bankRef);
        ghost_mintedPerRef[bankRef] += amount;
        ghost_mintedSinceConfigured[minter] += amount;
        (uint256 reserve, ) = gateway.attestedReserve();
        uint256 supplyAfter = token.totalSupply();
        if (supplyAfter > reserve || supplyAfter > ghost_reserve) ++ghost_mintsAboveReserve;
    }

    function _recordRedemption(uint64 redemptionId, address account, uint256 amount) private {
        ++ghost_redemptionCount;
        uint64 memberId = ghost_memberOf[account];
        _redemptions[redemptionId] = GhostRedemption({
            memberId: memberId,
            account: account,
            amount: amount,
            status: IFiatGateway.RedemptionStatus.Pending
        });
        ghost_pendingSum += amount;
        ++ghost_pendingCount[memberId];
    }

    function _release(GhostRedemption storage redemption, IFiatGateway.RedemptionStatus status) private {
        if (redemption.status != IFiatGateway.RedemptionStatus.Pending) {
            ++ghost_settledNotPending;
            return;
        }
        redemption.status = status;
        ghost_pendingSum -= redemption.amount;
        --ghost_pendingCount[redemption.memberId];
    }

    function _recordMove(bool wasPaused) private {
        if (wasPaused) ++ghost_movesWhilePaused;
    }

    function _succeeded() private {
        ++successes[msg.sig];
    }
}
