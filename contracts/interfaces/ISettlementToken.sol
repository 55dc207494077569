// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {AccountStanding, Role} from "../types/Membership.sol";

/// @title ISettlementToken
/// @notice The euro-backed settlement token (6 decimals, 1 token = 1 euro held in reserve). Only
/// accounts of members in good standing and the consortium's own contracts hold or move it (as holder,
/// recipient or spender of an allowance); the supply changes only through the FiatGateway.
/// @dev Each account's standing, its member's roles and the agreement version its member accepted are kept
/// next to its balance, in the same storage word, and are written only by the Consortium, so a transfer's
/// membership checks cost no extra storage read and a contract that moves an account's tokens learns whether
/// it may start new business in a role for little more.
interface ISettlementToken is IERC20Metadata, IERC20Permit {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when the Consortium changes what an account may do with the token.
    event StandingChanged(address indexed account, AccountStanding standing);

    /// @notice Emitted when the Consortium changes the roles (a `Role` bitmap) an account acts in, or the
    /// framework agreement version its member accepted.
    event RolesChanged(address indexed account, uint8 roles, uint32 agreementVersion);

    /// @notice Emitted when the Consortium publishes a new framework agreement: accounts whose member accepted
    /// another version start no new business until it accepts this one.
    event CurrentAgreementChanged(uint32 version);

    /// @notice Emitted when operators bind the FiatGateway, the only minter and burner.
    event GatewayBound(address indexed gateway);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Only the Consortium sets account standing and roles.
    error SettlementTokenNotConsortium(address caller);

    /// @notice Only the FiatGateway mints and burns.
    error SettlementTokenNotGateway(address caller);

    /// @notice The gateway is already bound.
    error SettlementTokenGatewayAlreadyBound(address gateway);

    /// @notice The gateway must be a nonzero address.
    error SettlementTokenInvalidGateway(address gateway);

    /// @notice `account` is not an account of a member in good standing, nor a consortium contract.
    error SettlementTokenNotMember(address account);

    /// @notice `account` belongs to a suspended member: it may receive what is owed to it but not send, nor
    /// spend an allowance.
    error SettlementTokenSenderFrozen(address account);

    /// @notice `account`'s member is suspended (`Frozen`) or leaving (`Leaving`): it receives only what the
    /// consortium's contracts pay it and mints of its bank deposits, not transfers from members.
    error SettlementTokenRecipientRestricted(address account, AccountStanding standing);

    /// @notice `account` may not start new business in `role`: its member lacks the role, is not in good
    /// standing, is leaving, or has not accepted the current framework agreement.
    error SettlementTokenMissingRole(address account, Role role);

    /// @notice `account` is a consortium contract; it takes only tokens it pulls itself (use its functions).
    error SettlementTokenUnsolicitedTransfer(address account);

    /// @notice New tokens go to members' accounts only.
    error SettlementTokenMintToContract(address account);

    /// @notice Minting `amount` would take the supply above the largest supply the token keeps.
    error SettlementTokenSupplyOverflow(uint256 supply, uint256 amount);

    /// @notice `account` still holds `balance`; move or redeem it before it leaves.
    error SettlementTokenBalanceNotEmpty(address account, uint256 balance);

    /// @notice Consortium contracts hold tokens for `account` (`holds` open channels or orders it would be
    /// refunded to); close them before the account leaves.
    error SettlementTokenAccountHeld(address account, uint256 holds);

    /// @notice Only a consortium contract escrows and releases members' tokens.
    error SettlementTokenNotSystemContract(address caller);

    /// @notice No consortium contract holds tokens for `account`: there is no hold to release.
    error SettlementTokenNotHeld(address account);

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The Consortium that decides who may hold the token.
    function consortium() external view returns (address);

    /// @notice The FiatGateway (0 until bound).
    function gateway() external view returns (address);

    /// @notice What `account` may do with the token.
    function standingOf(address account) external view returns (AccountStanding);

    /// @notice The roles (a `Role` bitmap) `account` may start new business in now: its member's roles while the
    /// account is in good standing (`Member`, so not leaving) and its member accepted the current framework
    /// agreement, none otherwise.
    function activeRolesOf(address account) external view returns (uint8);

    /// @notice The framework agreement version `account`'s member accepted last (0: none).
    function agreementOf(address account) external view returns (uint32);

    /// @notice The framework agreement version in force, as the Consortium pushed it.
    function currentAgreement() external view returns (uint32);

    /// @notice When the token was last unpaused (0: never). Contracts whose deadlines ran while nothing could
    /// move give their parties time after it (see PaymentChannels' settle).
    function unpausedAt() external view returns (uint40);

    /// @notice How many holds consortium contracts keep on `account`: open channels and orders whose escrow
    /// goes back to it. An account with holds cannot be removed.
    function holdsOf(address account) external view returns (uint256);

    /// @notice The largest total supply the token keeps (balances are stored in 128 bits).
    function MAX_SUPPLY() external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Sets what `account` may do with the token.
    /// Requirements:
    /// - The caller is the Consortium.
    /// - Setting `None` only for an account that holds no tokens, so that no token is ever locked; it also
    ///   clears the account's roles.
    function setStanding(address account, AccountStanding standing) external;

    /// @notice Sets the roles (a `Role` bitmap) `account` acts in and the agreement version its member accepted,
    /// as the member holds them.
    /// Requirements:
    /// - The caller is the Consortium.
    function setRoles(address account, uint8 roles, uint32 agreementVersion) external;

    /// @notice Sets the framework agreement version in force.
    /// Requirements:
    /// - The caller is the Consortium.
    function setCurrentAgreement(uint32 version) external;

    /// @notice Moves all of `from`'s tokens to `to`, another account of the same member, as `from` is removed:
    /// a balance never blocks a removal, nor is it left behind.
    /// Requirements:
    /// - The caller is the Consortium; `to` is a member's account; the token is not paused, if `from` holds tokens.
    function sweep(address from, address to) external;

    /// @notice Escrows `value` of `account`'s tokens with the caller (within the allowance `account` gave it) and
    /// takes a hold on `account`, so that the account cannot be removed while the caller owes it a refund.
    /// Requirements:
    /// - The caller is a consortium contract; `account` may send and allowed the caller `value`.
    /// - `account` may start new business in `role` (see {activeRolesOf}), read with the transfer.
    function escrowFrom(address account, uint256 value, Role role) external;

    /// @notice Pays `value` of the caller's tokens back to `account` and releases one hold on it (with `value` 0
    /// it only releases the hold).
    /// Requirements:
    /// - The caller is a consortium contract; `account` has a hold and may receive.
    function releaseTo(address account, uint256 value) external;

    /// @notice Binds the FiatGateway, once.
    /// Requirements:
    /// - The caller is an operator in good standing; no gateway is bound yet; `gateway_` is nonzero.
    function bindGateway(address gateway_) external;

    /// @notice Creates `amount` tokens for `to`.
    /// Requirements:
    /// - The caller is the gateway; the token is not paused; `to` is a member's account that may receive.
    function mint(address to, uint256 amount) external;

    /// @notice Destroys `amount` of the gateway's own tokens (a paid redemption).
    /// Requirements:
    /// - The caller is the gateway; the token is not paused.
    function burn(uint256 amount) external;

    /// @notice Stops all transfers, mints and burns.
    /// Requirements:
    /// - The caller is an operator in good standing; the token is not paused.
    function pause() external;

    /// @notice Resumes transfers, mints and burns; records the time in {unpausedAt}.
    /// Requirements:
    /// - The caller is an operator in good standing; the token is paused.
    function unpause() external;
}
