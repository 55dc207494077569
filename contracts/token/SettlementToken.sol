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
/// its member's roles (bits 136..143) and the number of holds consortium contracts keep on it (bits
/// 144..175), as USDC v2.2 keeps its blacklist flag, so the sender and receiver checks read nothing a plain
/// ERC-20 transfer would not read anyway, and other contracts learn an account's roles from a word the
/// token reads for a transfer anyway. OpenZeppelin's ERC20 keeps allowances, metadata, the
/// transfer functions and their errors; only `_update`, `balanceOf` and `totalSupply` are ours.
contract SettlementToken is ISettlementToken, ERC20Permit, Pausable {
    /// @inheritdoc ISettlementToken
    uint256 public constant MAX_SUPPLY = type(uint128).max;

    uint256 private constant _BALANCE_MASK = type(uint128).max;
    uint256 private constant _STANDING_SHIFT = 128;
    uint256 private constant _ROLES_SHIFT = 136;
    uint256 private constant _HOLDS_SHIFT = 144;
    uint256 private constant _ONE_HOLD = 1 << _HOLDS_SHIFT;

    IConsortium private immutable _consortium;

    /// @dev Declared first so that it shares a slot with Pausable's flag: a mint reads both at once.
    address private _gateway;
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
    function activeRolesOf(address account) external view returns (uint8) {
        uint256 word = _wallets[account];
        return
            AccountStanding(uint8(word >> _STANDING_SHIFT)) == AccountStanding.Member ? uint8(word >> _ROLES_SHIFT) : 0;
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
    function setRoles(address account, uint8 roles) external {
        if (msg.sender != address(_consortium)) revert SettlementTokenNotConsortium(msg.sender);
        uint256 word = _wallets[account];
        _wallets[account] = (word & ~(uint256(0xff) << _ROLES_SHIFT)) | (uint256(roles) << _ROLES_SHIFT);
        emit RolesChanged(account, roles);
    }

    /// @inheritdoc ISettlementToken
    function escrowFrom(address account, uint256 value) external returns (uint8 roles) {
        address holder = _msgSender();
        _requireSystem(holder);
        _spendAllowance(account, holder, value);
        _move(account, holder, value, _ONE_HOLD, 0);
        uint256 word = _wallets[account];
        return
            AccountStanding(uint8(word >> _STANDING_SHIFT)) == AccountStanding.Member ? uint8(word >> _ROLES_SHIFT) : 0;
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
        if (from == address(0)) {
            uint256 supply = _supply;
            if (value > MAX_SUPPLY - supply) revert SettlementTokenSupplyOverflow(supply, value);
            // Cannot overflow: checked against MAX_SUPPLY just above.
            unchecked {
                _supply = uint128(supply + value);
            }
        } else {
            uint256 word = _wallets[from];
            _requireMaySend(from, AccountStanding(uint8(word >> _STANDING_SHIFT)));
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
                if (standing == AccountStanding.System && to != _msgSender()) {
                    revert SettlementTokenUnsolicitedTransfer(to);
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

    function _requireSystem(address account) private view {
        if (standingOf(account) != AccountStanding.System) revert SettlementTokenNotSystemContract(account);
    }

    function _requireMaySend(address account, AccountStanding standing) private pure {
        if (standing == AccountStanding.None) revert SettlementTokenNotMember(account);
        if (standing == AccountStanding.Frozen) revert SettlementTokenSenderFrozen(account);
    }
}
