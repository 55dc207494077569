// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {AccountStanding, Member, MemberStatus, Role, Roles} from "../types/Membership.sol";

/// @title Consortium
/// @notice Members, their accounts and roles, the framework agreement, and the rules for entry and exit.
/// @dev The source of truth for who may transact. It pushes every change of an account's standing to
/// the settlement token in the same transaction, so the token never acts on stale membership.
contract Consortium is IConsortium {
    using EnumerableSet for EnumerableSet.AddressSet;
    using Roles for uint8;

    struct AccountRecord {
        uint64 memberId;
        bool active;
    }

    /// @inheritdoc IConsortium
    uint256 public constant MAX_ACCOUNTS = 16;
    /// @inheritdoc IConsortium
    uint256 public constant MAX_CONTRACTS = 16;
    /// @inheritdoc IConsortium
    uint40 public constant MAX_NOTICE_PERIOD = 730 days;

    mapping(uint64 memberId => Member) private _members;
    mapping(uint64 memberId => EnumerableSet.AddressSet) private _accounts;
    mapping(address account => AccountRecord) private _accountRecords;
    mapping(uint32 version => bytes32 agreementHash) private _agreements;
    mapping(address contractAddress => bool) private _isRegistered;
    address[] private _contracts;

    ISettlementToken private _token;
    uint64 private _memberCount;
    uint32 private _agreementVersion;
    uint40 private _noticePeriod;
    uint256 private _operatorCount;

    /// @notice Founds the consortium with its first member, first operator and first framework agreement.
    /// @param founderAccounts The accounts of the founding member, which becomes the first operator.
    /// @param founderMetadata Hash of the founding member's off-chain record.
    /// @param agreementHash_ The first framework agreement; the founder accepts it by deploying.
    /// @param noticePeriod_ Seconds between an exit request and its earliest completion.
    constructor(
        address[] memory founderAccounts,
        bytes32 founderMetadata,
        bytes32 agreementHash_,
        uint40 noticePeriod_
    ) {
        _publishAgreement(agreementHash_);
        _setNoticePeriod(noticePeriod_);
        uint64 founder = _admit(founderAccounts, Roles.bit(Role.Operator), founderMetadata);
        _acceptAgreement(founder, agreementHash_, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsortium
    function memberOf(address account) external view returns (uint64 memberId, bool active) {
        AccountRecord memory record = _accountRecords[account];
        return (record.memberId, record.active && _members[record.memberId].status != MemberStatus.Exited);
    }

    /// @inheritdoc IConsortium
    function getMember(uint64 memberId) external view returns (Member memory) {
        return _members[memberId];
    }

    /// @inheritdoc IConsortium
    function accountsOf(uint64 memberId) external view returns (address[] memory) {
        return _accounts[memberId].values();
    }

    /// @inheritdoc IConsortium
    function memberCount() external view returns (uint64) {
        return _memberCount;
    }

    /// @inheritdoc IConsortium
    function operatorCount() external view returns (uint256) {
        return _operatorCount;
    }

    /// @inheritdoc IConsortium
    function hasRole(address account, Role role) external view returns (bool) {
        AccountRecord memory record = _accountRecords[account];
        if (!record.active) return false;
        Member storage member = _members[record.memberId];
        return member.status == MemberStatus.Active && member.roles.has(role);
    }

    /// @inheritdoc IConsortium
    function requireMember(address account) external view returns (uint64 memberId) {
        (memberId, ) = _requireGoodStanding(account);
    }

    /// @inheritdoc IConsortium
    function requireRole(address account, Role role) external view returns (uint64 memberId) {
        (memberId, ) = _requireRole(account, role);
    }

    /// @inheritdoc IConsortium
    function requireNewBusiness(address account, Role role) external view returns (uint64 memberId) {
        Member storage member;
        (memberId, member) = _requireRole(account, role);
        if (member.agreementVersion != _agreementVersion) {
            revert ConsortiumAgreementNotAccepted(memberId, member.agreementVersion, _agreementVersion);
        }
        if (member.exitEffectiveAt != 0) revert ConsortiumExitPending(memberId, member.exitEffectiveAt);
    }

    /// @inheritdoc IConsortium
    function requireAccount(address account) external view returns (uint64 memberId) {
        (memberId, ) = _activeAccount(account);
    }

    /// @inheritdoc IConsortium
    function inBusiness(uint64 memberId, Role role) external view returns (bool) {
        Member storage member = _members[memberId];
        return
            member.status == MemberStatus.Active &&
            member.roles.has(role) &&
            member.agreementVersion == _agreementVersion &&
            member.exitEffectiveAt == 0;
    }

    /// @inheritdoc IConsortium
    function currentAgreement() external view returns (uint32 version, bytes32 agreementHash_) {
        return (_agreementVersion, _agreements[_agreementVersion]);
    }

    /// @inheritdoc IConsortium
    function agreementHash(uint32 version) external view returns (bytes32) {
        return _agreements[version];
    }

    /// @inheritdoc IConsortium
    function noticePeriod() external view returns (uint40) {
        return _noticePeriod;
    }

    /// @inheritdoc IConsortium
    function registeredContracts() external view returns (address[] memory) {
        return _contracts;
    }

    /// @inheritdoc IConsortium
    function token() external view returns (address) {
        return address(_token);
    }

    /*//////////////////////////////////////////////////////////////
                         OPERATOR FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsortium
    function admit(address[] calldata accounts, uint8 roles, bytes32 metadataHash) external returns (uint64 memberId) {
        _requireRole(msg.sender, Role.Operator);
        return _admit(accounts, roles, metadataHash);
    }

    /// @inheritdoc IConsortium
    function suspend(uint64 memberId, bytes32 reasonHash) external {
        _requireRole(msg.sender, Role.Operator);
        Member storage member = _existingMember(memberId);
        if (member.status != MemberStatus.Active) revert ConsortiumMemberNotActive(memberId);
        _changeMember(memberId, member, MemberStatus.Suspended, member.roles);
        emit MemberSuspended(memberId, reasonHash, msg.sender);
    }

    /// @inheritdoc IConsortium
    function reinstate(uint64 memberId) external {
        _requireRole(msg.sender, Role.Operator);
        Member storage member = _existingMember(memberId);
        if (member.status != MemberStatus.Suspended) revert ConsortiumMemberNotSuspended(memberId);
        _changeMember(memberId, member, MemberStatus.Active, member.roles);
        emit MemberReinstated(memberId, msg.sender);
    }

    /// @inheritdoc IConsortium
    function grantMemberRole(uint64 memberId, Role role) external {
        _requireRole(msg.sender, Role.Operator);
        Member storage member = _existingMember(memberId);
        if (member.status == MemberStatus.Exited) revert ConsortiumMemberExited(memberId);
        if (member.roles.has(role)) revert ConsortiumRoleAlreadyHeld(memberId, role);
        _changeMember(memberId, member, member.status, member.roles | Roles.bit(role));
        emit MemberRoleGranted(memberId, role, msg.sender);
    }

    /// @inheritdoc IConsortium
    function revokeMemberRole(uint64 memberId, Role role) external {
        _requireRole(msg.sender, Role.Operator);
        Member storage member = _existingMember(memberId);
        if (member.status == MemberStatus.Exited) revert ConsortiumMemberExited(memberId);
        if (!member.roles.has(role)) revert ConsortiumMissingRole(memberId, role);
        _changeMember(memberId, member, member.status, member.roles & ~Roles.bit(role));
        emit MemberRoleRevoked(memberId, role, msg.sender);
    }

    /// @inheritdoc IConsortium
    function publishAgreement(bytes32 agreementHash_) external returns (uint32 version) {
        _requireRole(msg.sender, Role.Operator);
        return _publishAgreement(agreementHash_);
    }

    /// @inheritdoc IConsortium
    function setNoticePeriod(uint40 noticePeriod_) external {
        _requireRole(msg.sender, Role.Operator);
        _setNoticePeriod(noticePeriod_);
    }

    /// @inheritdoc IConsortium
    function registerContract(address contractAddress) external {
        _requireRole(msg.sender, Role.Operator);
        if (_isRegistered[contractAddress]) revert ConsortiumContractAlreadyRegistered(contractAddress);
        if (_contracts.length == MAX_CONTRACTS) revert ConsortiumTooManyContracts(MAX_CONTRACTS);
        uint64 owner = _accountRecords[contractAddress].memberId;
        if (owner != 0) revert ConsortiumAccountTaken(contractAddress, owner);
        if (!ERC165Checker.supportsInterface(contractAddress, type(IObligations).interfaceId)) {
            revert ConsortiumNotObligationsContract(contractAddress);
        }
        _isRegistered[contractAddress] = true;
        _contracts.push(contractAddress);
        _pushStanding(contractAddress, AccountStanding.System);
        emit ContractRegistered(contractAddress);
    }

    /// @inheritdoc IConsortium
    function bindToken(address token_) external {
        _requireRole(msg.sender, Role.Operator);
        if (address(_token) != address(0)) revert ConsortiumTokenAlreadyBound(address(_token));
        uint64 owner = _accountRecords[token_].memberId;
        if (owner != 0) revert ConsortiumAccountTaken(token_, owner);
        if (token_.code.length == 0) revert ConsortiumInvalidToken(token_);
        try ISettlementToken(token_).consortium() returns (address governor) {
            if (governor != address(this)) revert ConsortiumInvalidToken(token_);
        } catch {
            revert ConsortiumInvalidToken(token_);
        }
        _token = ISettlementToken(token_);
        emit TokenBound(token_);
        ISettlementToken(token_).setCurrentAgreement(_agreementVersion);
        for (uint64 id = 1; id <= _memberCount; ++id) {
            _pushMemberRoles(id, _members[id]);
            _pushMemberStanding(id, _members[id]);
        }
        for (uint256 i = 0; i < _contracts.length; ++i) {
            _pushStanding(_contracts[i], AccountStanding.System);
        }
    }

    /*//////////////////////////////////////////////////////////////
                          MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsortium
    function addAccount(address account) external {
        (uint64 memberId, Member storage member) = _callerMember();
        _addAccount(memberId, account);
        _pushRoles(account, member);
        _pushStanding(account, _standingFor(member));
    }

    /// @inheritdoc IConsortium
    function removeAccount(address account) external {
        (uint64 memberId, ) = _callerMember();
        AccountRecord storage record = _accountRecords[account];
        if (record.memberId != memberId || !record.active) revert ConsortiumNotOwnAccount(account, memberId);
        EnumerableSet.AddressSet storage accounts = _accounts[memberId];
        if (accounts.length() == 1) revert ConsortiumLastAccount(memberId, account);
        uint256 count = _contracts.length;
        uint256[] memory before = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            before[i] = IObligations(_contracts[i]).openObligations(memberId);
        }
        record.active = false;
        accounts.remove(account);
        // Its tokens go to the member's account that removes it (or, removing itself, the first one left).
        if (address(_token) != address(0)) _token.sweep(account, msg.sender != account ? msg.sender : accounts.at(0));
        _pushStanding(account, AccountStanding.None);
        // Contracts that count obligations per account (payment channels) would lose the account's: refuse.
        for (uint256 i = 0; i < count; ++i) {
            uint256 remaining = IObligations(_contracts[i]).openObligations(memberId);
            if (remaining < before[i]) revert ConsortiumAccountInUse(account, _contracts[i], before[i] - remaining);
        }
        emit AccountRemoved(memberId, account);
    }

    /// @inheritdoc IConsortium
    function updateMetadata(bytes32 metadataHash) external {
        (uint64 memberId, Member storage member) = _callerMember();
        member.metadataHash = metadataHash;
        emit MetadataUpdated(memberId, metadataHash);
    }

    /// @inheritdoc IConsortium
    function acceptAgreement(bytes32 agreementHash_) external {
        (uint64 memberId, ) = _callerMember();
        _acceptAgreement(memberId, agreementHash_, msg.sender);
    }

    /// @inheritdoc IConsortium
    function requestExit() external {
        (uint64 memberId, Member storage member) = _callerMember();
        if (member.exitEffectiveAt != 0) revert ConsortiumExitPending(memberId, member.exitEffectiveAt);
        uint40 effectiveAt = uint40(block.timestamp) + _noticePeriod;
        member.exitEffectiveAt = effectiveAt;
        // A member that leaves starts no new business and receives only what is owed to it: `Leaving` in the token.
        _pushMemberStanding(memberId, member);
        emit ExitRequested(memberId, effectiveAt);
    }

    /// @inheritdoc IConsortium
    function cancelExit() external {
        (uint64 memberId, Member storage member) = _callerMember();
        if (member.exitEffectiveAt == 0) revert ConsortiumExitNotRequested(memberId);
        member.exitEffectiveAt = 0;
        _pushMemberStanding(memberId, member);
        emit ExitCancelled(memberId);
    }

    /// @inheritdoc IConsortium
    function completeExit(uint64 memberId) external {
        Member storage member = _existingMember(memberId);
        if (member.status == MemberStatus.Exited) revert ConsortiumMemberExited(memberId);
        // The member itself ends its membership, or an operator does for it: never an outsider, whose timing could
        // cut a member off from money that reaches it in the same block.
        AccountRecord memory caller = _accountRecords[msg.sender];
        if (!caller.active || (caller.memberId != memberId && !_isOperator(caller.memberId))) {
            revert ConsortiumNotExitingMember(msg.sender, memberId);
        }
        uint40 effectiveAt = member.exitEffectiveAt;
        if (effectiveAt == 0) revert ConsortiumExitNotRequested(memberId);
        if (block.timestamp < effectiveAt) revert ConsortiumNoticePeriodRunning(memberId, effectiveAt);
        for (uint256 i = 0; i < _contracts.length; ++i) {
            uint256 open = IObligations(_contracts[i]).openObligations(memberId);
            if (open != 0) revert ConsortiumOpenObligations(memberId, _contracts[i], open);
        }
        // The token refuses to clear an account that still holds a balance, so no token is locked out.
        _changeMember(memberId, member, MemberStatus.Exited, member.roles);
        emit MemberExited(memberId);
    }

    /*//////////////////////////////////////////////////////////////
                       INTERNAL READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _requireGoodStanding(address account) internal view returns (uint64 memberId, Member storage member) {
        AccountRecord memory record = _accountRecords[account];
        memberId = record.memberId;
        if (memberId == 0) revert ConsortiumNotMember(account);
        if (!record.active) revert ConsortiumAccountRemoved(account, memberId);
        member = _members[memberId];
        if (member.status == MemberStatus.Suspended) revert ConsortiumMemberSuspended(memberId);
        if (member.status == MemberStatus.Exited) revert ConsortiumMemberExited(memberId);
    }

    function _requireRole(address account, Role role) internal view returns (uint64 memberId, Member storage member) {
        (memberId, member) = _requireGoodStanding(account);
        if (!member.roles.has(role)) revert ConsortiumMissingRole(memberId, role);
    }

    /// @dev The caller's member, for self-service: suspended members may still manage themselves.
    function _callerMember() internal view returns (uint64 memberId, Member storage member) {
        return _activeAccount(msg.sender);
    }

    /// @dev The member `account` acts for, suspended or not.
    function _activeAccount(address account) internal view returns (uint64 memberId, Member storage member) {
        AccountRecord memory record = _accountRecords[account];
        memberId = record.memberId;
        if (memberId == 0) revert ConsortiumNotMember(account);
        if (!record.active) revert ConsortiumAccountRemoved(account, memberId);
        member = _members[memberId];
        if (member.status == MemberStatus.Exited) revert ConsortiumMemberExited(memberId);
    }

    function _existingMember(uint64 memberId) internal view returns (Member storage member) {
        member = _members[memberId];
        if (member.status == MemberStatus.None) revert ConsortiumUnknownMember(memberId);
    }

    /// @dev Addresses that can never act for a member: tokens sent there could never move again.
    function _isSystemAddress(address account) internal view returns (bool) {
        return
            account == address(0) || account == address(this) || account == address(_token) || _isRegistered[account];
    }

    /// @dev What the member's accounts may do with the token: a member whose exit is pending is `Leaving`.
    function _standingFor(Member storage member) internal view returns (AccountStanding) {
        MemberStatus status = member.status;
        if (status == MemberStatus.Active) {
            return member.exitEffectiveAt == 0 ? AccountStanding.Member : AccountStanding.Leaving;
        }
        if (status == MemberStatus.Suspended) return AccountStanding.Frozen;
        return AccountStanding.None;
    }

    function _isOperator(uint64 memberId) internal view returns (bool) {
        Member storage member = _members[memberId];
        return _countsAsOperator(member.status, member.roles);
    }

    function _countsAsOperator(MemberStatus status, uint8 roles) internal pure returns (bool) {
        return status == MemberStatus.Active && roles.has(Role.Operator);
    }

    /*//////////////////////////////////////////////////////////////
                     INTERNAL STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _admit(address[] memory accounts, uint8 roles, bytes32 metadataHash) internal returns (uint64 memberId) {
        if (roles & ~Roles.ALL != 0) revert ConsortiumUnknownRoles(roles);
        if (accounts.length == 0) revert ConsortiumNoAccounts();
        // Cannot overflow: ids are issued one per admission, far fewer than 2^64.
        unchecked {
            memberId = ++_memberCount;
        }
        if (accounts.length > MAX_ACCOUNTS) revert ConsortiumTooManyAccounts(memberId, MAX_ACCOUNTS);
        Member storage member = _members[memberId];
        member.status = MemberStatus.Active;
        member.roles = roles;
        member.admittedAt = uint40(block.timestamp);
        member.metadataHash = metadataHash;
        if (_countsAsOperator(MemberStatus.Active, roles)) ++_operatorCount;
        emit MemberAdmitted(memberId, roles, metadataHash, accounts);
        // Every record first, then the token: no state of the admission is written after a call out.
        for (uint256 i = 0; i < accounts.length; ++i) {
            _addAccount(memberId, accounts[i]);
        }
        for (uint256 i = 0; i < accounts.length; ++i) {
            _pushRoles(accounts[i], member);
            _pushStanding(accounts[i], AccountStanding.Member);
        }
    }

    function _addAccount(uint64 memberId, address account) internal {
        if (_isSystemAddress(account)) revert ConsortiumInvalidAccount(account);
        uint64 owner = _accountRecords[account].memberId;
        if (owner != 0) revert ConsortiumAccountTaken(account, owner);
        EnumerableSet.AddressSet storage accounts = _accounts[memberId];
        if (accounts.length() == MAX_ACCOUNTS) revert ConsortiumTooManyAccounts(memberId, MAX_ACCOUNTS);
        accounts.add(account);
        _accountRecords[account] = AccountRecord({memberId: memberId, active: true});
        emit AccountAdded(memberId, account);
    }

    /// @dev Applies a new status and role set, keeps the operator count and the token's standing and roles in step,
    /// and refuses any change that would leave the consortium without an operator in good standing.
    function _changeMember(uint64 memberId, Member storage member, MemberStatus status, uint8 roles) internal {
        MemberStatus oldStatus = member.status;
        bool wasOperator = _countsAsOperator(oldStatus, member.roles);
        bool isOperator = _countsAsOperator(status, roles);
        if (wasOperator && !isOperator) {
            if (_operatorCount == 1) revert ConsortiumLastOperator(memberId);
            --_operatorCount;
        } else if (isOperator && !wasOperator) {
            ++_operatorCount;
        }
        uint8 oldRoles = member.roles;
        member.status = status;
        member.roles = roles;
        // Roles first: an exit's standing `None` then clears them in the token.
        if (roles != oldRoles) _pushMemberRoles(memberId, member);
        if (status != oldStatus) _pushMemberStanding(memberId, member);
    }

    /// @dev The member's roles and accepted agreement version to every one of its accounts.
    function _pushMemberRoles(uint64 memberId, Member storage member) internal {
        if (address(_token) == address(0)) return;
        address[] memory accounts = _accounts[memberId].values();
        for (uint256 i = 0; i < accounts.length; ++i) {
            _token.setRoles(accounts[i], member.roles, member.agreementVersion);
        }
    }

    function _pushRoles(address account, Member storage member) internal {
        if (address(_token) != address(0)) _token.setRoles(account, member.roles, member.agreementVersion);
    }

    function _pushMemberStanding(uint64 memberId, Member storage member) internal {
        if (address(_token) == address(0)) return;
        AccountStanding standing = _standingFor(member);
        address[] memory accounts = _accounts[memberId].values();
        for (uint256 i = 0; i < accounts.length; ++i) {
            _token.setStanding(accounts[i], standing);
        }
    }

    function _pushStanding(address account, AccountStanding standing) internal {
        if (address(_token) != address(0)) _token.setStanding(account, standing);
    }

    function _publishAgreement(bytes32 agreementHash_) internal returns (uint32 version) {
        if (agreementHash_ == bytes32(0) || agreementHash_ == _agreements[_agreementVersion]) {
            revert ConsortiumInvalidAgreement(agreementHash_);
        }
        version = ++_agreementVersion;
        _agreements[version] = agreementHash_;
        emit AgreementPublished(version, agreementHash_);
        if (address(_token) != address(0)) _token.setCurrentAgreement(version);
    }

    function _acceptAgreement(uint64 memberId, bytes32 agreementHash_, address account) internal {
        uint32 version = _agreementVersion;
        bytes32 current = _agreements[version];
        if (agreementHash_ != current) revert ConsortiumAgreementMismatch(agreementHash_, current);
        Member storage member = _members[memberId];
        if (member.agreementVersion == version) revert ConsortiumAgreementAlreadyAccepted(memberId, version);
        member.agreementVersion = version;
        emit AgreementAccepted(memberId, version, agreementHash_, account);
        _pushMemberRoles(memberId, member);
    }

    function _setNoticePeriod(uint40 noticePeriod_) internal {
        if (noticePeriod_ > MAX_NOTICE_PERIOD) revert ConsortiumNoticePeriodTooLong(noticePeriod_, MAX_NOTICE_PERIOD);
        _noticePeriod = noticePeriod_;
        emit NoticePeriodChanged(noticePeriod_);
    }
}
