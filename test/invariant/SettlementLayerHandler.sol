// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdUtils} from "forge-std/StdUtils.sol";

import {IFiatGateway} from "../../contracts/interfaces/IFiatGateway.sol";
import {MemberStatus, Role} from "../../contracts/types/Membership.sol";
import {SettlementSetup} from "../helpers/SettlementSetup.sol";

/// @notice Drives the wired settlement layer with bounded random actions of its real actors and keeps
/// ghost records of what actually succeeded, for the invariants in SettlementLayer.t.sol.
contract SettlementLayerHandler is SettlementSetup, StdUtils {
    uint256 internal constant MEMBERS = 4;
    uint256 internal constant MAX_AMOUNT = 1e15; // one billion euros in base units

    // --- actors -------------------------------------------------------------------------------------
    uint64[] public memberIds;
    /// @dev Every account any member ever had, active or removed.
    address[] public accounts;
    mapping(address account => uint64 memberId) public memberOfAccount;
    mapping(address account => bool) public removed;
    address[] public minters;
    uint256 internal _accountNonce;

    // --- ghosts -------------------------------------------------------------------------------------
    uint256 public ghostMinted;
    uint256 public ghostBurned;
    uint256 public ghostPending;
    uint256 public ghostMovedWhilePaused;
    uint256 public ghostMintsAboveReserve;
    bytes32[] public bankRefs;
    mapping(bytes32 bankRef => uint256 mints) public ghostMintsPerRef;
    mapping(address minter => uint256) public ghostAllowanceConfigured;
    mapping(address minter => uint256) public ghostMintedSinceConfigured;
    mapping(uint64 memberId => uint256) public ghostPendingCount;
    uint64[] internal _pendingIds;

    constructor() {
        _deploySettlementLayer();
        for (uint256 i = 0; i < MEMBERS; ++i) {
            address account = _newAccount();
            uint64 memberId = _admit(account, i % 2 == 0 ? Role.Consumer : Role.Provider);
            memberIds.push(memberId);
            _track(account, memberId);
            vm.prank(account);
            consortium.addAccount(_track(_newAccount(), memberId));
        }
        minters.push(address(0x1111));
        minters.push(address(0x2222));
        for (uint256 i = 0; i < minters.length; ++i) {
            vm.prank(MASTER_MINTER);
            gateway.configureMinter(minters[i], MAX_AMOUNT * 50);
            ghostAllowanceConfigured[minters[i]] = MAX_AMOUNT * 50;
        }
        vm.warp(block.timestamp + 1);
        vm.prank(AUDITOR);
        gateway.attestReserve(MAX_AMOUNT * 20, uint40(block.timestamp), keccak256("reserve 0"));
    }

    // --- read access for the invariants ---------------------------------------------------------------

    function contracts() external view returns (address, address, address) {
        return (address(consortium), address(token), address(gateway));
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    function bankRefCount() external view returns (uint256) {
        return bankRefs.length;
    }

    function memberCount() external view returns (uint256) {
        return memberIds.length;
    }

    function minterCount() external view returns (uint256) {
        return minters.length;
    }

    // --- actions ------------------------------------------------------------------------------------

    function mint(uint256 minterSeed, uint256 toSeed, uint256 amount, uint256 refSeed) external {
        address minter = minters[minterSeed % minters.length];
        address to = _account(toSeed);
        amount = bound(amount, 1, MAX_AMOUNT);
        bool reuse = bankRefs.length > 0 && refSeed % 4 == 0;
        bytes32 ref = reuse ? bankRefs[refSeed % bankRefs.length] : keccak256(abi.encode("deposit", refSeed));
        bool paused = token.paused();
        vm.prank(minter);
        try gateway.mint(to, amount, ref) {
            if (ghostMintsPerRef[ref] == 0) bankRefs.push(ref);
            ++ghostMintsPerRef[ref];
            ghostMinted += amount;
            ghostMintedSinceConfigured[minter] += amount;
            if (paused) ++ghostMovedWhilePaused;
            (uint256 reserve, ) = gateway.attestedReserve();
            if (token.totalSupply() > reserve) ++ghostMintsAboveReserve;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _account(fromSeed);
        address to = toSeed % 10 == 0 ? address(gateway) : _account(toSeed);
        amount = bound(amount, 0, token.balanceOf(from) + 1);
        bool paused = token.paused();
        vm.prank(from);
        try token.transfer(to, amount) {
            if (paused) ++ghostMovedWhilePaused;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function transferFrom(uint256 ownerSeed, uint256 spenderSeed, uint256 toSeed, uint256 amount) external {
        address owner = _account(ownerSeed);
        address spender = _account(spenderSeed);
        address to = _account(toSeed);
        amount = bound(amount, 0, token.balanceOf(owner));
        vm.prank(owner);
        token.approve(spender, amount);
        bool paused = token.paused();
        vm.prank(spender);
        try token.transferFrom(owner, to, amount) {
            if (paused) ++ghostMovedWhilePaused;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function requestRedemption(uint256 accountSeed, uint256 amount) external {
        address account = _account(accountSeed);
        amount = bound(amount, 1, token.balanceOf(account) + 1);
        vm.prank(account);
        token.approve(address(gateway), amount);
        bool paused = token.paused();
        vm.prank(account);
        try gateway.requestRedemption(amount, keccak256(abi.encode("payout", account))) returns (uint64 id) {
            ghostPending += amount;
            ++ghostPendingCount[memberOfAccount[account]];
            _pendingIds.push(id);
            if (paused) ++ghostMovedWhilePaused;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function markRedemptionPaid(uint256 idSeed) external {
        if (_pendingIds.length == 0) return;
        uint256 index = idSeed % _pendingIds.length;
        IFiatGateway.Redemption memory redemption = gateway.getRedemption(_pendingIds[index]);
        bool paused = token.paused();
        vm.prank(OPERATOR);
        try gateway.markRedemptionPaid(_pendingIds[index], keccak256(abi.encode("bank tx", idSeed))) {
            ghostBurned += redemption.amount;
            _settled(index, redemption);
            if (paused) ++ghostMovedWhilePaused;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function rejectRedemption(uint256 idSeed) external {
        if (_pendingIds.length == 0) return;
        uint256 index = idSeed % _pendingIds.length;
        IFiatGateway.Redemption memory redemption = gateway.getRedemption(_pendingIds[index]);
        bool paused = token.paused();
        vm.prank(OPERATOR);
        try gateway.rejectRedemption(_pendingIds[index], keccak256("reason")) {
            _settled(index, redemption);
            if (paused) ++ghostMovedWhilePaused;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function configureMinter(uint256 minterSeed, uint256 allowance) external {
        address minter = minters[minterSeed % minters.length];
        allowance = bound(allowance, 0, MAX_AMOUNT * 10);
        vm.prank(MASTER_MINTER);
        gateway.configureMinter(minter, allowance);
        ghostAllowanceConfigured[minter] = allowance;
        ghostMintedSinceConfigured[minter] = 0;
    }

    function removeMinter(uint256 minterSeed) external {
        address minter = minters[minterSeed % minters.length];
        if (!gateway.isMinter(minter)) return;
        vm.prank(MASTER_MINTER);
        gateway.removeMinter(minter);
        ghostAllowanceConfigured[minter] = 0;
        ghostMintedSinceConfigured[minter] = 0;
    }

    /// @dev An honest auditor: the reserve attested is at least the supply, dated after the last one.
    function attestReserve(uint256 reserve, uint256 elapsed) external {
        vm.warp(block.timestamp + bound(elapsed, 1, 30 days));
        uint256 supply = token.totalSupply();
        reserve = bound(reserve, supply, supply + MAX_AMOUNT * 10);
        vm.prank(AUDITOR);
        gateway.attestReserve(reserve, uint40(block.timestamp), keccak256(abi.encode("reserve", reserve)));
    }

    function pause() external {
        if (token.paused()) return;
        vm.prank(OPERATOR);
        token.pause();
    }

    function unpause() external {
        if (!token.paused()) return;
        vm.prank(OPERATOR);
        token.unpause();
    }

    function suspend(uint256 memberSeed) external {
        uint64 memberId = memberIds[memberSeed % memberIds.length];
        if (consortium.getMember(memberId).status != MemberStatus.Active) return;
        vm.prank(OPERATOR);
        consortium.suspend(memberId, keccak256("decision"));
    }

    function reinstate(uint256 memberSeed) external {
        uint64 memberId = memberIds[memberSeed % memberIds.length];
        if (consortium.getMember(memberId).status != MemberStatus.Suspended) return;
        vm.prank(OPERATOR);
        consortium.reinstate(memberId);
    }

    function addAccount(uint256 memberSeed) external {
        uint64 memberId = memberIds[memberSeed % memberIds.length];
        address[] memory current = consortium.accountsOf(memberId);
        if (current.length == consortium.MAX_ACCOUNTS()) return;
        address account = _newAccount();
        vm.prank(current[0]);
        consortium.addAccount(account);
        _track(account, memberId);
    }

    /// @dev Removal fails while the account holds tokens or is the member's last one; that is part of the law.
    function removeAccount(uint256 accountSeed) external {
        address account = _account(accountSeed);
        if (removed[account]) return;
        vm.prank(account);
        try consortium.removeAccount(account) {
            removed[account] = true;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    // --- internals ----------------------------------------------------------------------------------

    function _account(uint256 seed) internal view returns (address) {
        return accounts[seed % accounts.length];
    }

    function _newAccount() internal returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("account", ++_accountNonce)))));
    }

    function _track(address account, uint64 memberId) internal returns (address) {
        accounts.push(account);
        memberOfAccount[account] = memberId;
        return account;
    }

    function _settled(uint256 index, IFiatGateway.Redemption memory redemption) internal {
        ghostPending -= redemption.amount;
        --ghostPendingCount[redemption.memberId];
        _pendingIds[index] = _pendingIds[_pendingIds.length - 1];
        _pendingIds.pop();
    }
}
