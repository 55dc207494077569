// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {AccountStanding, Role} from "../types/Membership.sol";

/// @title SettlementToken
/// @notice The euro-backed settlement token of the consortium: ERC-20, EIP-2612 permit, pausable,
/// 6 decimals, held and moved only by members in good standing and the consortium's contracts.
/// @dev Balances live in one word per account together with the account's standing (bits 128..135),
/// its member's roles (bits 136..143), the number of holds consortium contracts keep on it (bits
/// 144..175) and the framework agreement version its member accepted (bits 176..207), as USDC v2.2 keeps
/// its blacklist flag, so the sender and receiver checks read nothing a plain ERC-20 transfer would not
/// read anyway, and other contracts learn whether an account may start new business in a role from a word
/// the token reads for a transfer anyway. OpenZeppelin's ERC20 keeps allowances, metadata, the transfer
/// functions and their errors; only `_update`, `balanceOf` and `totalSupply` are ours.
contract SettlementToken is ISettlementToken, ERC20Permit, Pausable {
    /// @inheritdoc ISettlementToken
    uint256 public constant MAX_SUPPLY = type(uint128).max;

    uint256 private constant _BALANCE_MASK = type(uint128).max;
    uint256 private constant _STANDING_SHIFT = 128;
    uint256 private constant _ROLES_SHIFT = 136;
    uint256 private constant _HOLDS_SHIFT = 144;
    uint256 private constant _AGREEMENT_SHIFT = 176;
    uint256 private constant _ONE_HOLD = 1 << _HOLDS_SHIFT;

    IConsortium private immutable _consortium;

    /// @dev Declared first so that they share a slot with Pausable's flag: a mint reads the gateway and the flag
    /// at once, and a contract that escrows reads the current agreement with the flag its transfer reads anyway.
    address private _gateway;
    uint32 private _agreementVersion;
    uint40 private _unpausedAt;
    uint128 private _supply;
    mapping(address account => uint256 word) private _wallets;

    /// @notice Deploys the token for `consortium_`; the gateway is bound afterwards by an operator.
    /// @param consortium_ The Consortium that decides who may hold the token.
    /// @param name_ Token name, also the EIP-712 domain name of permits.
    /// @param symbol_ Token symbol.
    constructor(
        IConsortium consortium_,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) ERC20Permit(name_) {
        _consortium = consortium_;
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Euro cents have two decimals; six leave room for sub-cent metering prices.
    function decimals() public pure override(ERC20, IERC20Metadata) returns (uint8) {
        return 6;
    }

    /// @inheritdoc IERC20
    function totalSupply() public view override(ERC20, IERC20) returns (uint256) {
        return _supply;
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) public view override(ERC20, IERC20) returns (uint256) {
        return _wallets[account] & _BALANCE_MASK;
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc ISettlementToken
    function standingOf(address account) public view returns (AccountStanding) {
        return AccountStanding(uint8(_wallets[account] >> _STANDING_SHIFT));
    }

    /// @inheritdoc ISettlementToken
    function activeRolesOf(address account) public view returns (uint8) {
        return _activeRoles(_wallets[account]);
    }

    /// @inheritdoc ISettlementToken
    function agreementOf(address account) external view returns (uint32) {
        return uint32(_wallets[account] >> _AGREEMENT_SHIFT);
    }

    /// @inheritdoc ISettlementToken
    function currentAgreement() external view returns (uint32) {
        return _agreementVersion;
    }

    /// @inheritdoc ISettlementToken
    function unpausedAt() external view returns (uint40) {
        return _unpausedAt;
    }

    /// @inheritdoc ISettlementToken
    function holdsOf(address account) public view returns (uint256) {
        return uint32(_wallets[account] >> _HOLDS_SHIFT);
    }

    /// @inheritdoc ISettlementToken
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @inheritdoc ISettlementToken
    function gateway() external view returns (address) {
        return _gateway;
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Moves `value` of `from`'s tokens to `to` within the caller's allowance.
    /// @dev The spender moves money too, so it must be allowed to send: a member in good standing or a
    /// consortium contract, never an outsider or a suspended member, whatever the holder approved.
    function transferFrom(address from, address to, uint256 value) public override(ERC20, IERC20) returns (bool) {
        _requireMaySend(_msgSender(), standingOf(_msgSender()));
        return super.transferFrom(from, to, value);
    }

    /// @inheritdoc ISettlementToken
    function setStanding(address account, AccountStanding standing) external {
        if (msg.sender != address(_consortium)) revert SettlementTokenNotConsortium(msg.sender);
        uint256 word = _wallets[account];
        uint256 balance = word & _BALANCE_MASK;
        if (standing == AccountStanding.None) {
            if (balance != 0) revert SettlementTokenBalanceNotEmpty(account, balance);
            uint256 holds = uint32(word >> _HOLDS_SHIFT);
            if (holds != 0) revert SettlementTokenAccountHeld(account, holds);
            // An account that leaves keeps no roles either.
            word = 0;
        }
        _wallets[account] = (word & ~(uint256(0xff) << _STANDING_SHIFT)) | (uint256(standing) << _STANDING_SHIFT);
        emit StandingChanged(account, standing);
    }

    /// @inheritdoc ISettlementToken
    function setRoles(address account, uint8 roles, uint32 agreementVersion) external {
        if (msg.sender != address(_consortium)) revert SettlementTokenNotConsortium(msg.sender);
        uint256 word = _wallets[account];
        _wallets[account] =
            (word & ~((uint256(0xff) << _ROLES_SHIFT) | (uint256(type(uint32).max) << _AGREEMENT_SHIFT))) |
            (uint256(roles) << _ROLES_SHIFT) |
            (uint256(agreementVersion) << _AGREEMENT_SHIFT);
        emit RolesChanged(account, roles, agreementVersion);
    }

    /// @inheritdoc ISettlementToken
    function setCurrentAgreement(uint32 version) external {
        if (msg.sender != address(_consortium)) revert SettlementTokenNotConsortium(msg.sender);
        _agreementVersion = version;
        emit CurrentAgreementChanged(version);
    }

    /// @inheritdoc ISettlementToken
    function sweep(address from, address to) external {
        if (msg.sender != address(_consortium)) revert SettlementTokenNotConsortium(msg.sender);
        uint256 source = _wallets[from];
        uint256 value = source & _BALANCE_MASK;
        // An empty account is removed whether or not the token is paused: only moving tokens waits for the unpause.
        if (value == 0 || from == to) return;
        _requireNotPaused();
        uint256 target = _wallets[to];
        AccountStanding standing = AccountStanding(uint8(target >> _STANDING_SHIFT));
        if (standing == AccountStanding.None || standing == AccountStanding.System) revert SettlementTokenNotMember(to);
        // Cannot overflow: both balances are within the supply, below 2^128; only the balance bits change.
        unchecked {
            _wallets[from] = source - value;
            _wallets[to] = target + value;
        }
        emit Transfer(from, to, value);
    }

    /// @inheritdoc ISettlementToken
    function escrowFrom(address account, uint256 value, Role role) external {
        address holder = _msgSender();
        _requireSystem(holder);
        _spendAllowance(account, holder, value);
        _move(account, holder, value, _ONE_HOLD, 0);
        if ((_activeRoles(_wallets[account]) >> uint8(role)) & 1 == 0) revert SettlementTokenMissingRole(account, role);
    }

    /// @inheritdoc ISettlementToken
    function releaseTo(address account, uint256 value) external {
        address holder = _msgSender();
        _requireSystem(holder);
        if (value != 0) return _move(holder, account, value, 0, _ONE_HOLD);
        uint256 word = _wallets[account];
        if (uint32(word >> _HOLDS_SHIFT) == 0) revert SettlementTokenNotHeld(account);
        // Cannot underflow: the account has a hold.
        unchecked {
            _wallets[account] = word - _ONE_HOLD;
        }
    }

    /// @inheritdoc ISettlementToken
    function bindGateway(address gateway_) external {
        _consortium.requireRole(msg.sender, Role.Operator);
        if (_gateway != address(0)) revert SettlementTokenGatewayAlreadyBound(_gateway);
        if (gateway_ == address(0)) revert SettlementTokenInvalidGateway(gateway_);
        _gateway = gateway_;
        emit GatewayBound(gateway_);
    }

    /// @inheritdoc ISettlementToken
    function mint(address to, uint256 amount) external {
        if (msg.sender != _gateway) revert SettlementTokenNotGateway(msg.sender);
        if (standingOf(to) == AccountStanding.System) revert SettlementTokenMintToContract(to);
        _mint(to, amount);
    }

    /// @inheritdoc ISettlementToken
    function burn(uint256 amount) external {
        if (msg.sender != _gateway) revert SettlementTokenNotGateway(msg.sender);
        _burn(msg.sender, amount);
    }

    /// @inheritdoc ISettlementToken
    function pause() external {
        _consortium.requireRole(msg.sender, Role.Operator);
        _pause();
    }

    /// @inheritdoc ISettlementToken
    function unpause() external {
        _consortium.requireRole(msg.sender, Role.Operator);
        _unpause();
        _unpausedAt = uint40(block.timestamp);
    }

    /*//////////////////////////////////////////////////////////////
                     INTERNAL STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev Every balance change passes here: transfers, mints (`from` = 0) and burns (`to` = 0).
    function _update(address from, address to, uint256 value) internal override {
        _move(from, to, value, 0, 0);
    }

    /// @dev {_update}, adding `holdFrom` to the word of `from` and taking `releaseTo` from the word of `to` in the
    /// same writes: an escrow takes a hold on its payer as it takes the tokens, a release ends it as it pays.
    function _move(address from, address to, uint256 value, uint256 holdFrom, uint256 releaseTo_) private {
        _requireNotPaused();
        bool fromSystem;
        if (from == address(0)) {
            uint256 supply = _supply;
            if (value > MAX_SUPPLY - supply) revert SettlementTokenSupplyOverflow(supply, value);
            // Cannot overflow: checked against MAX_SUPPLY just above.
            unchecked {
                _supply = uint128(supply + value);
            }
            // A mint pays what is owed: bank deposits reach suspended and leaving members too.
            fromSystem = true;
        } else {
            uint256 word = _wallets[from];
            AccountStanding fromStanding = AccountStanding(uint8(word >> _STANDING_SHIFT));
            _requireMaySend(from, fromStanding);
            fromSystem = fromStanding == AccountStanding.System;
            uint256 balance = word & _BALANCE_MASK;
            if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
            // Cannot underflow: value <= balance, so only the balance bits change; a hold count overflowing its
            // 32 bits would take more holds than there can be channels and orders of one account.
            unchecked {
                _wallets[from] = word - value + holdFrom;
            }
        }
        if (to == address(0)) {
            // Cannot underflow: value <= balance of `from` <= supply.
            unchecked {
                _supply -= uint128(value);
            }
        } else {
            uint256 word = _wallets[to];
            AccountStanding standing = AccountStanding(uint8(word >> _STANDING_SHIFT));
            if (standing != AccountStanding.Member) {
                if (standing == AccountStanding.None) revert SettlementTokenNotMember(to);
                if (standing == AccountStanding.System) {
                    if (to != _msgSender()) revert SettlementTokenUnsolicitedTransfer(to);
                } else if (!fromSystem) {
                    // Frozen or Leaving: only what is owed arrives, so that no one can stop a wallet from emptying.
                    revert SettlementTokenRecipientRestricted(to, standing);
                }
            }
            if (releaseTo_ != 0 && uint32(word >> _HOLDS_SHIFT) == 0) revert SettlementTokenNotHeld(to);
            // Cannot overflow into the standing and role bits: balance + value <= supply <= MAX_SUPPLY; the hold
            // released was checked above.
            unchecked {
                _wallets[to] = word + value - releaseTo_;
            }
        }
        emit Transfer(from, to, value);
    }

    /*//////////////////////////////////////////////////////////////
                           PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev The roles the account may start new business in: its member's, while the account is in good standing
    /// and the member accepted the current agreement.
    function _activeRoles(uint256 word) private view returns (uint8) {
        if (AccountStanding(uint8(word >> _STANDING_SHIFT)) != AccountStanding.Member) return 0;
        if (uint32(word >> _AGREEMENT_SHIFT) != _agreementVersion) return 0;
        return uint8(word >> _ROLES_SHIFT);
    }

    function _requireSystem(address account) private view {
        if (standingOf(account) != AccountStanding.System) revert SettlementTokenNotSystemContract(account);
    }

    function _requireMaySend(address account, AccountStanding standing) private pure {
        if (standing == AccountStanding.None) revert SettlementTokenNotMember(account);
        if (standing == AccountStanding.Frozen) revert SettlementTokenSenderFrozen(account);
    }
}
