// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Member, Role} from "../types/Membership.sol";

/// @title IConsortium
/// @notice Membership of the consortium: which companies belong, which accounts act for them, which
/// roles they hold and which framework agreement they accepted. Every other contract asks it one
/// question: is this account an account of a member in good standing, holding role R?
/// @dev A member in good standing is an admitted, not suspended, not exited member, asked through one
/// of its active accounts. Starting new business (an order, a channel, a listing) also needs the
/// current framework agreement accepted and no exit requested.
interface IConsortium {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when operators admit a company.
    event MemberAdmitted(uint64 indexed memberId, uint8 roles, bytes32 metadataHash, address[] accounts);

    /// @notice Emitted when a member adds an account (or one is added at admission).
    event AccountAdded(uint64 indexed memberId, address indexed account);

    /// @notice Emitted when a member removes one of its accounts.
    event AccountRemoved(uint64 indexed memberId, address indexed account);

    /// @notice Emitted when an operator grants a role.
    event MemberRoleGranted(uint64 indexed memberId, Role indexed role, address indexed operator);

    /// @notice Emitted when an operator revokes a role.
    event MemberRoleRevoked(uint64 indexed memberId, Role indexed role, address indexed operator);

    /// @notice Emitted when an operator suspends a member; `reasonHash` points to the written decision.
    event MemberSuspended(uint64 indexed memberId, bytes32 reasonHash, address indexed operator);

    /// @notice Emitted when an operator lifts a suspension.
    event MemberReinstated(uint64 indexed memberId, address indexed operator);

    /// @notice Emitted when a member updates the hash of its off-chain record.
    event MetadataUpdated(uint64 indexed memberId, bytes32 metadataHash);

    /// @notice Emitted when operators publish a framework agreement version.
    event AgreementPublished(uint32 indexed version, bytes32 agreementHash);

    /// @notice Emitted when a member accepts a framework agreement version.
    event AgreementAccepted(uint64 indexed memberId, uint32 indexed version, bytes32 agreementHash, address account);

    /// @notice Emitted when a member asks to leave; it may complete at `effectiveAt`.
    event ExitRequested(uint64 indexed memberId, uint40 effectiveAt);

    /// @notice Emitted when a member withdraws its exit request.
    event ExitCancelled(uint64 indexed memberId);

    /// @notice Emitted when a member has left the consortium.
    event MemberExited(uint64 indexed memberId);

    /// @notice Emitted when operators change the notice period for exits requested from now on.
    event NoticePeriodChanged(uint40 noticePeriod);

    /// @notice Emitted when operators register one of the consortium's contracts.
    event ContractRegistered(address indexed contractAddress);

    /// @notice Emitted when operators bind the settlement token.
    event TokenBound(address indexed token);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice `account` has never been an account of any member.
    error ConsortiumNotMember(address account);

    /// @notice `account` was an account of `memberId` and has been removed.
    error ConsortiumAccountRemoved(address account, uint64 memberId);

    /// @notice The member is suspended.
    error ConsortiumMemberSuspended(uint64 memberId);

    /// @notice The member has left the consortium.
    error ConsortiumMemberExited(uint64 memberId);

    /// @notice The member does not hold `role`.
    error ConsortiumMissingRole(uint64 memberId, Role role);

    /// @notice The member already holds `role`.
    error ConsortiumRoleAlreadyHeld(uint64 memberId, Role role);

    /// @notice The member must accept the current framework agreement before starting new business.
    error ConsortiumAgreementNotAccepted(uint64 memberId, uint32 acceptedVersion, uint32 currentVersion);

    /// @notice The member asked to leave and may not start new business.
    error ConsortiumExitPending(uint64 memberId, uint40 effectiveAt);

    /// @notice No member has this id.
    error ConsortiumUnknownMember(uint64 memberId);

    /// @notice An account must be a nonzero address that is not one of the consortium's contracts
    /// (this Consortium, its token, a registered contract).
    error ConsortiumInvalidAccount(address account);

    /// @notice `account` already belongs, or belonged, to `memberId`; accounts are never reassigned.
    error ConsortiumAccountTaken(address account, uint64 memberId);

    /// @notice A member is admitted with at least one account.
    error ConsortiumNoAccounts();

    /// @notice A member has at most `max` accounts.
    error ConsortiumTooManyAccounts(uint64 memberId, uint256 max);

    /// @notice A member keeps at least one account.
    error ConsortiumLastAccount(uint64 memberId, address account);

    /// @notice `roles` has bits that name no role.
    error ConsortiumUnknownRoles(uint8 roles);

    /// @notice The consortium keeps at least one operator in good standing.
    error ConsortiumLastOperator(uint64 memberId);

    /// @notice The member is not active (suspended or exited).
    error ConsortiumMemberNotActive(uint64 memberId);

    /// @notice The member is not suspended.
    error ConsortiumMemberNotSuspended(uint64 memberId);

    /// @notice The hash offered is not the current framework agreement; read the current one first.
    error ConsortiumAgreementMismatch(bytes32 offered, bytes32 current);

    /// @notice The member already accepted the current version.
    error ConsortiumAgreementAlreadyAccepted(uint64 memberId, uint32 version);

    /// @notice An agreement hash must be nonzero and differ from the current one.
    error ConsortiumInvalidAgreement(bytes32 agreementHash);

    /// @notice The member has not asked to leave.
    error ConsortiumExitNotRequested(uint64 memberId);

    /// @notice The notice period runs until `effectiveAt`.
    error ConsortiumNoticePeriodRunning(uint64 memberId, uint40 effectiveAt);

    /// @notice `source` reports `count` open obligations for the member.
    error ConsortiumOpenObligations(uint64 memberId, address source, uint256 count);

    /// @notice `source` counts `count` open obligations of the member through `account` (open payment channels
    /// it pays or is paid by): close them before the account is removed.
    error ConsortiumAccountInUse(address account, address source, uint256 count);

    /// @notice Notice periods are at most `max` seconds.
    error ConsortiumNoticePeriodTooLong(uint40 noticePeriod, uint40 max);

    /// @notice `contractAddress` does not implement IObligations (ERC-165).
    error ConsortiumNotObligationsContract(address contractAddress);

    /// @notice `contractAddress` is already registered.
    error ConsortiumContractAlreadyRegistered(address contractAddress);

    /// @notice At most `max` contracts can be registered.
    error ConsortiumTooManyContracts(uint256 max);

    /// @notice The token is already bound.
    error ConsortiumTokenAlreadyBound(address token);

    /// @notice `token` is not a settlement token governed by this Consortium.
    error ConsortiumInvalidToken(address token);

    /// @notice `account` is not an active account of the caller's member `memberId`.
    error ConsortiumNotOwnAccount(address account, uint64 memberId);

    /// @notice Only an account of the leaving member `memberId`, or of an operator, completes its exit; `caller` is
    /// neither.
    error ConsortiumNotExitingMember(address caller, uint64 memberId);

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Most accounts one member may have.
    function MAX_ACCOUNTS() external view returns (uint256);

    /// @notice Most contracts that can be registered.
    function MAX_CONTRACTS() external view returns (uint256);

    /// @notice Longest notice period operators may set, in seconds.
    function MAX_NOTICE_PERIOD() external view returns (uint40);

    /// @notice The member an account belongs or belonged to (0 if none), and whether it still acts for it
    /// (not removed, and the member has not exited).
    function memberOf(address account) external view returns (uint64 memberId, bool active);

    /// @notice The member's record; `status` is `None` for an unknown id.
    function getMember(uint64 memberId) external view returns (Member memory);

    /// @notice The member's accounts: its active ones, or for an exited member those it had when it left.
    function accountsOf(uint64 memberId) external view returns (address[] memory);

    /// @notice Number of members ever admitted; ids run from 1 to this number.
    function memberCount() external view returns (uint64);

    /// @notice Number of members in good standing that hold the operator role.
    function operatorCount() external view returns (uint256);

    /// @notice Whether `account` is an active account of a member in good standing holding `role`.
    /// @dev The non-reverting form of {requireRole}.
    function hasRole(address account, Role role) external view returns (bool);

    /// @notice The member `account` acts for, if the member is in good standing.
    /// Requirements:
    /// - `account` is an active account of a member that is neither suspended nor exited.
    /// @return memberId The member.
    function requireMember(address account) external view returns (uint64 memberId);

    /// @notice Like {requireMember}, and the member holds `role`.
    function requireRole(address account, Role role) external view returns (uint64 memberId);

    /// @notice Like {requireRole}, and the member may start new business: it accepted the current
    /// framework agreement and has not asked to leave.
    function requireNewBusiness(address account, Role role) external view returns (uint64 memberId);

    /// @notice The member `account` acts for, whatever its standing: for self-service and protective acts
    /// (pausing a machine, revoking a key, retiring a licence) that a suspended member may still do.
    /// Requirements:
    /// - `account` is an active account of a member that has not exited.
    function requireAccount(address account) external view returns (uint64 memberId);

    /// @notice Whether member `memberId` may start new business in `role`: in good standing, holding `role`,
    /// the current framework agreement accepted and no exit requested.
    /// @dev The member-id form of {requireNewBusiness}, for contracts that know a counterparty only by its
    /// id (the provider of a machine being booked, the licensor of a licence).
    function inBusiness(uint64 memberId, Role role) external view returns (bool);

    /// @notice The current framework agreement.
    function currentAgreement() external view returns (uint32 version, bytes32 agreementHash);

    /// @notice The hash of framework agreement `version` (0 if never published).
    function agreementHash(uint32 version) external view returns (bytes32);

    /// @notice Seconds between an exit request and the earliest completion, for requests made now.
    function noticePeriod() external view returns (uint40);

    /// @notice The contracts whose obligations block exits.
    function registeredContracts() external view returns (address[] memory);

    /// @notice The settlement token whose account standing this contract keeps (0 until bound).
    function token() external view returns (address);

    /*//////////////////////////////////////////////////////////////
                         OPERATOR FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Admits a company as a new member with the given accounts and roles.
    /// @dev The member still has to accept the current framework agreement before starting business.
    /// Requirements:
    /// - The caller is an operator in good standing.
    /// - `accounts` holds 1 to {MAX_ACCOUNTS} distinct addresses that never belonged to a member and are
    ///   not the consortium's contracts.
    /// - `roles` names only known roles.
    /// @param accounts The accounts (keys) that act for the company.
    /// @param roles Bitmap of `Role`.
    /// @param metadataHash Hash of the company's off-chain record.
    /// @return memberId The new member's id.
    function admit(address[] calldata accounts, uint8 roles, bytes32 metadataHash) external returns (uint64 memberId);

    /// @notice Suspends a member: its accounts can no longer send tokens or start business, but still receive.
    /// Requirements:
    /// - The caller is an operator in good standing.
    /// - The member is active, and is not the last operator.
    function suspend(uint64 memberId, bytes32 reasonHash) external;

    /// @notice Lifts a suspension.
    /// Requirements:
    /// - The caller is an operator in good standing; the member is suspended.
    function reinstate(uint64 memberId) external;

    /// @notice Grants `role` to a member.
    /// Requirements:
    /// - The caller is an operator in good standing; the member exists, has not exited, and lacks `role`.
    function grantMemberRole(uint64 memberId, Role role) external;

    /// @notice Revokes `role` from a member.
    /// Requirements:
    /// - The caller is an operator in good standing; the member has not exited and holds `role`.
    /// - Revoking it does not leave the consortium without an operator in good standing.
    function revokeMemberRole(uint64 memberId, Role role) external;

    /// @notice Publishes a new framework agreement version; members must accept it before new business.
    /// Requirements:
    /// - The caller is an operator in good standing; `agreementHash_` is nonzero and not the current one.
    function publishAgreement(bytes32 agreementHash_) external returns (uint32 version);

    /// @notice Sets the notice period for exits requested from now on.
    /// Requirements:
    /// - The caller is an operator in good standing; `noticePeriod_` is at most {MAX_NOTICE_PERIOD}.
    function setNoticePeriod(uint40 noticePeriod_) external;

    /// @notice Registers one of the consortium's contracts: its obligations block exits and it may hold tokens.
    /// Requirements:
    /// - The caller is an operator in good standing.
    /// - `contractAddress` implements IObligations (ERC-165), is not registered, and is no member's account.
    function registerContract(address contractAddress) external;

    /// @notice Binds the settlement token, whose account standing this contract keeps from now on.
    /// @dev Pushes the standing of every account and registered contract known so far.
    /// Requirements:
    /// - The caller is an operator in good standing; no token is bound yet; `token_` is a settlement token
    ///   governed by this Consortium and no member's account.
    function bindToken(address token_) external;

    /*//////////////////////////////////////////////////////////////
                          MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Adds an account to the caller's member (key rotation, a new department, a multisig).
    /// Requirements:
    /// - The caller is an active account of a member that has not exited.
    /// - `account` never belonged to a member and is not one of the consortium's contracts (this Consortium,
    ///   the token, a registered contract); the member has room.
    function addAccount(address account) external;

    /// @notice Removes one of the caller's member's accounts; the tokens it holds move to the caller (or, when
    /// the account removes itself, to the member's first remaining account), so no balance blocks a removal.
    /// Requirements:
    /// - The caller is an active account of a member that has not exited; `account` is another or the
    ///   same active account of that member, not its last one, no consortium contract holds tokens for it,
    ///   and no registered contract counts obligations of the member through it.
    /// - The token is not paused, if `account` holds tokens.
    function removeAccount(address account) external;

    /// @notice Updates the hash of the caller's member's off-chain record.
    function updateMetadata(bytes32 metadataHash) external;

    /// @notice Accepts the current framework agreement for the caller's member.
    /// Requirements:
    /// - `agreementHash_` is the current agreement's hash (the member states what it read).
    function acceptAgreement(bytes32 agreementHash_) external;

    /// @notice Asks to leave the consortium; completes after the notice period via {completeExit}.
    /// Requirements:
    /// - The caller is an active account of a member that has not exited and has not asked yet.
    function requestExit() external;

    /// @notice Withdraws the caller's member's exit request.
    function cancelExit() external;

    /// @notice Completes a requested exit. While it is pending the member's accounts are `Leaving` in the token:
    /// they send, so the member can empty them, and receive only what is owed to them, so no one else can keep
    /// them from emptying.
    /// Requirements:
    /// - The caller is an active account of the member, or of an operator in good standing.
    /// - The notice period has passed; no registered contract reports open obligations for the member (the
    ///   meter counts unwithdrawn payouts among them); none of its accounts holds tokens; it is not the last
    ///   operator.
    function completeExit(uint64 memberId) external;
}
