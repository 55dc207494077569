// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {IPaymentChannels} from "../interfaces/IPaymentChannels.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {ChannelHash} from "../libraries/ChannelHash.sol";
import {ChannelWord, ChannelWordLibrary} from "../types/ChannelWord.sol";
import {Role} from "../types/Membership.sol";

/// @title PaymentChannels
/// @notice One-way micropayment channels, consumer to provider, with EIP-712 cumulative vouchers.
/// @dev A channel is one storage word ({ChannelWord}: deposit, claimed, deadline, challenge period). Its parties are
/// not stored: every function hashes the id from them, so a caller who is not the party the id names finds no
/// channel.
contract PaymentChannels is IPaymentChannels, EIP712, ERC165 {
    using SafeERC20 for IERC20;

    /// @dev A nonce is the opening block's number above a 32-bit salt.
    uint8 private constant NONCE_SALT_BITS = 32;
    /// @dev What a channel closed in its opening block leaves, so that no later open in that block reuses its
    /// id: deposit 1, deadline 0 (no open channel has deadline 0).
    uint256 private constant TOMBSTONE = 1;
    /// @dev Set in an account's count of open channels once used, so that the count never returns to zero
    /// (an empty slot costs a new storage word to write again).
    uint256 private constant COUNTED = 1 << 255;

    IERC20 private immutable _token;
    IConsortium private immutable _consortium;

    uint24 private _minChallengePeriod;
    mapping(bytes32 channelId => ChannelWord word) private _channels;
    mapping(address account => uint256 count) private _openChannels;

    /// @notice Deploys the channels for `token_`; with a Consortium, operators then register the contract.
    /// @param token_ The token deposits and payments are in.
    /// @param consortium_ The Consortium whose consumers pay its providers, or 0 for a plain ERC-20.
    /// @param minChallengePeriod_ The shortest challenge period, in seconds, a channel may have.
    constructor(IERC20 token_, IConsortium consortium_, uint24 minChallengePeriod_) EIP712("PaymentChannels", "1") {
        if (address(consortium_) != address(0) && consortium_.token() != address(token_)) {
            revert PaymentChannelsTokenMismatch(address(token_), consortium_.token());
        }
        if (minChallengePeriod_ == 0) revert PaymentChannelsInvalidMinimum(minChallengePeriod_);
        _token = token_;
        _consortium = consortium_;
        _minChallengePeriod = minChallengePeriod_;
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return
            interfaceId == type(IObligations).interfaceId ||
            interfaceId == type(IPaymentChannels).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IObligations
    function openObligations(uint64 memberId) external view returns (uint256 count) {
        if (address(_consortium) == address(0)) return 0;
        address[] memory accounts = _consortium.accountsOf(memberId);
        for (uint256 i; i < accounts.length; ++i) {
            count += _openChannels[accounts[i]] & ~COUNTED;
        }
    }

    /// @inheritdoc IPaymentChannels
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IPaymentChannels
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @inheritdoc IPaymentChannels
    function minChallengePeriod() external view returns (uint24) {
        return _minChallengePeriod;
    }

    /// @inheritdoc IPaymentChannels
    function channelId(address payer, address payee, uint96 nonce) public pure returns (bytes32 id) {
        // keccak256(abi.encode(payer, payee, nonce)), hashed in scratch memory.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, and(payer, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x20), and(payee, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x40), and(nonce, 0xffffffffffffffffffffffff))
            id := keccak256(ptr, 0x60)
        }
    }

    /// @inheritdoc IPaymentChannels
    function channel(bytes32 channelId_) external view returns (Channel memory c) {
        ChannelWord word = _channels[channelId_];
        if (word.deadline() == 0) return c;
        c.deposit = word.deposit();
        c.claimed = word.claimed();
        c.deadline = word.deadline();
        c.challengePeriod = word.challengePeriod();
    }

    /// @inheritdoc IPaymentChannels
    function voucherDigest(address payee, uint96 nonce, uint256 amount, bytes32 usage) public view returns (bytes32) {
        return _hashTypedDataV4(ChannelHash.voucher(payee, nonce, amount, usage));
    }

    /// @inheritdoc IPaymentChannels
    function closeDigest(bytes32 channelId_, uint256 amount) public view returns (bytes32) {
        return _hashTypedDataV4(ChannelHash.close(channelId_, amount));
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentChannels
    function open(
        address payee,
        uint32 salt,
        uint96 deposit,
        uint40 expiresAt,
        uint24 challengePeriod
    ) external returns (bytes32 id, uint96 nonce) {
        return _open(payee, salt, deposit, expiresAt, challengePeriod);
    }

    /// @inheritdoc IPaymentChannels
    function openWithPermit(
        address payee,
        uint32 salt,
        uint96 deposit,
        uint40 expiresAt,
        uint24 challengePeriod,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bytes32 id, uint96 nonce) {
        // A permit someone front-ran has already set the allowance; the transfer decides.
        try
            IERC20Permit(address(_token)).permit(msg.sender, address(this), deposit, permitDeadline, v, r, s)
        {} catch {} // solhint-disable-line no-empty-blocks
        return _open(payee, salt, deposit, expiresAt, challengePeriod);
    }

    /// @inheritdoc IPaymentChannels
    function topUp(address payee, uint96 nonce, uint96 amount) external {
        bytes32 id = channelId(msg.sender, payee, nonce);
        ChannelWord word = _openChannel(id);
        uint40 deadline = word.deadline();
        if (word.challengePeriod() == 0) revert PaymentChannelsClosing(id, deadline);
        if (block.timestamp >= deadline) revert PaymentChannelsPastDeadline(id, deadline);
        if (amount == 0) revert PaymentChannelsInvalidDeposit(0);
        uint256 deposit = word.deposit() + uint256(amount);
        if (deposit > type(uint96).max) revert PaymentChannelsInvalidDeposit(deposit);
        _channels[id] = word.toppedUp(amount);
        emit ChannelToppedUp(id, deposit);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IPaymentChannels
    function claim(uint96 nonce, uint256 amount, bytes32 usage, bytes32 r, bytes32 vs) external {
        _token.safeTransfer(msg.sender, _claim(nonce, amount, usage, r, vs, true));
    }

    /// @inheritdoc IPaymentChannels
    function claimMany(Claim[] calldata claims) external returns (uint256 paid) {
        for (uint256 i; i < claims.length; ++i) {
            Claim calldata c = claims[i];
            // Cannot overflow: every payment is within a deposit below 2^96, and claims are fewer than 2^160.
            unchecked {
                paid += _claim(c.nonce, c.amount, c.usage, c.r, c.vs, false);
            }
        }
        if (paid != 0) _token.safeTransfer(msg.sender, paid);
    }

    /// @inheritdoc IPaymentChannels
    function closeCooperatively(address payee, uint96 nonce, uint256 amount, bytes32 r, bytes32 vs) external {
        bytes32 id = channelId(msg.sender, payee, nonce);
        ChannelWord word = _openChannel(id);
        uint256 claimed = word.claimed();
        if (amount < claimed) revert PaymentChannelsVoucherBelowClaimed(id, amount, claimed);
        _requireWithinDeposit(id, word, amount);
        _requireSigner(closeDigest(id, amount), r, vs, payee, id);
        // Cannot underflow: claimed <= amount <= deposit.
        unchecked {
            _close(id, nonce, msg.sender, payee, amount, word.deposit() - amount);
            if (amount != claimed) _token.safeTransfer(payee, amount - claimed);
        }
    }

    /// @inheritdoc IPaymentChannels
    function release(address payer, uint96 nonce) external {
        bytes32 id = channelId(payer, msg.sender, nonce);
        ChannelWord word = _openChannel(id);
        uint256 claimed = word.claimed();
        // Cannot underflow: claimed <= deposit.
        unchecked {
            _close(id, nonce, payer, msg.sender, claimed, word.deposit() - claimed);
        }
    }

    /// @inheritdoc IPaymentChannels
    function requestClose(address payee, uint96 nonce) external {
        bytes32 id = channelId(msg.sender, payee, nonce);
        ChannelWord word = _openChannel(id);
        uint40 deadline = word.deadline();
        uint256 challengePeriod = word.challengePeriod();
        if (challengePeriod == 0) revert PaymentChannelsClosing(id, deadline);
        // The payee gets the challenge period, but never beyond the expiry the payer promised already.
        uint256 end = block.timestamp + challengePeriod;
        if (end < deadline) deadline = uint40(end);
        _channels[id] = word.closingAt(deadline);
        emit ChannelCloseRequested(id, deadline);
    }

    /// @inheritdoc IPaymentChannels
    function settle(address payer, address payee, uint96 nonce) external {
        bytes32 id = channelId(payer, payee, nonce);
        ChannelWord word = _openChannel(id);
        uint40 deadline = word.deadline();
        if (block.timestamp < deadline) revert PaymentChannelsDeadlineNotReached(id, deadline);
        if (address(_consortium) != address(0)) {
            // While the token was paused no claim could pay: after it resumes, the payee gets at least the minimum
            // challenge period to claim its newest voucher before anyone may settle.
            uint256 graceEnd = uint256(ISettlementToken(address(_token)).unpausedAt()) + _minChallengePeriod;
            if (block.timestamp < graceEnd) revert PaymentChannelsPauseGrace(id, uint40(graceEnd));
        }
        uint256 claimed = word.claimed();
        // Cannot underflow: claimed <= deposit.
        unchecked {
            _close(id, nonce, payer, payee, claimed, word.deposit() - claimed);
        }
    }

    /// @inheritdoc IPaymentChannels
    function setMinChallengePeriod(uint24 challengePeriod) external {
        if (address(_consortium) == address(0)) revert PaymentChannelsUngoverned();
        _consortium.requireRole(msg.sender, Role.Operator);
        if (challengePeriod == 0) revert PaymentChannelsInvalidMinimum(challengePeriod);
        _minChallengePeriod = challengePeriod;
        emit MinChallengePeriodChanged(challengePeriod);
    }

    /*//////////////////////////////////////////////////////////////
                          INTERNAL READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev The channel's word; reverts if no channel with this id is open.
    function _openChannel(bytes32 id) private view returns (ChannelWord word) {
        word = _channels[id];
        if (word.deadline() == 0) revert PaymentChannelsUnknownChannel(id);
    }

    function _requireWithinDeposit(bytes32 id, ChannelWord word, uint256 amount) private pure {
        uint256 deposit = word.deposit();
        if (amount > deposit) revert PaymentChannelsVoucherAboveDeposit(id, amount, deposit);
    }

    /// @dev Reverts unless `signer` signed `digest` (EIP-2098 compact signature, low s only).
    function _requireSigner(bytes32 digest, bytes32 r, bytes32 vs, address signer, bytes32 id) private pure {
        (address recovered, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, r, vs);
        if (error != ECDSA.RecoverError.NoError || recovered != signer) {
            revert PaymentChannelsInvalidSignature(id, signer);
        }
    }

    /// @dev Reverts unless `roles`, the roles `account` may start new business in as the settlement token records them
    /// (role, good standing, not leaving, the current agreement accepted), include `role`.
    function _requireRole(address account, uint8 roles, Role role) private pure {
        if ((roles >> uint8(role)) & 1 == 0) revert PaymentChannelsMissingRole(account, role);
    }

    /*//////////////////////////////////////////////////////////////
                        INTERNAL STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _open(
        address payee,
        uint32 salt,
        uint96 deposit,
        uint40 expiresAt,
        uint24 challengePeriod
    ) private returns (bytes32 id, uint96 nonce) {
        if (deposit == 0) revert PaymentChannelsInvalidDeposit(deposit);
        if (expiresAt <= block.timestamp) revert PaymentChannelsInvalidExpiry(expiresAt);
        uint24 minimum = _minChallengePeriod;
        if (challengePeriod < minimum) revert PaymentChannelsChallengeTooShort(challengePeriod, minimum);
        if (payee == msg.sender || payee == address(0)) revert PaymentChannelsInvalidPayee(payee);
        bool governed = address(_consortium) != address(0);
        if (governed) _requireRole(payee, ISettlementToken(address(_token)).activeRolesOf(payee), Role.Provider);
        nonce = (uint96(block.number) << NONCE_SALT_BITS) | salt;
        id = channelId(msg.sender, payee, nonce);
        if (ChannelWord.unwrap(_channels[id]) != 0) revert PaymentChannelsChannelExists(id);
        _channels[id] = ChannelWordLibrary.create(deposit, expiresAt, challengePeriod);
        if (governed) {
            _countOpened(msg.sender);
            _countOpened(payee);
        }
        emit ChannelOpened(id, msg.sender, payee, nonce, deposit, expiresAt, challengePeriod);
        if (governed) {
            // Escrowed with a hold on the payer's account (which cannot be removed while it is owed a refund); the
            // token checks with the transfer that the payer may start business as a consumer.
            ISettlementToken(address(_token)).escrowFrom(msg.sender, deposit, Role.Consumer);
        } else {
            _token.safeTransferFrom(msg.sender, address(this), deposit);
        }
    }

    /// @dev Ends the channel: pays `refund` to the payer and releases the token's hold on it (the payee's part is
    /// the caller's to pay).
    function _close(bytes32 id, uint96 nonce, address payer, address payee, uint256 claimed, uint256 refund) private {
        // A channel closed in its opening block leaves a tombstone, since its id could be opened again in it.
        _channels[id] = ChannelWord.wrap(nonce >> NONCE_SALT_BITS == block.number ? TOMBSTONE : 0);
        emit ChannelClosed(id, claimed, refund);
        if (address(_consortium) != address(0)) {
            // Cannot underflow: both were counted when the channel opened.
            unchecked {
                --_openChannels[payer];
                --_openChannels[payee];
            }
            ISettlementToken(address(_token)).releaseTo(payer, refund);
        } else if (refund != 0) {
            _token.safeTransfer(payer, refund);
        }
    }

    /// @dev Records a voucher for `amount` in all on its signer's channel `nonce` to the caller; returns what it
    /// adds to the claimed total. A voucher that adds nothing (not above what was claimed, or without an open
    /// channel) reverts if `strict`, else returns 0.
    function _claim(
        uint96 nonce,
        uint256 amount,
        bytes32 usage,
        bytes32 r,
        bytes32 vs,
        bool strict
    ) private returns (uint256 paid) {
        (address payer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(
            _hashTypedDataV4(ChannelHash.voucher(msg.sender, nonce, amount, usage)),
            r,
            vs
        );
        if (error != ECDSA.RecoverError.NoError) revert PaymentChannelsMalformedSignature();
        bytes32 id = channelId(payer, msg.sender, nonce);
        ChannelWord word = _channels[id];
        if (word.deadline() == 0) {
            if (strict) revert PaymentChannelsNoChannelOfSigner(payer, id);
            return 0;
        }
        {
            uint256 claimed = word.claimed();
            if (amount <= claimed) {
                if (strict) revert PaymentChannelsVoucherBelowClaimed(id, amount, claimed);
                return 0;
            }
            // Cannot underflow: amount > claimed.
            unchecked {
                paid = amount - claimed;
            }
        }
        if (amount > word.deposit()) revert PaymentChannelsVoucherAboveDeposit(id, amount, word.deposit());
        _channels[id] = word.withClaimed(amount);
        emit ChannelClaimed(id, amount, usage);
    }

    function _countOpened(address account) private {
        // Cannot overflow: an account opens fewer than 2^255 channels.
        unchecked {
            _openChannels[account] = (_openChannels[account] | COUNTED) + 1;
        }
    }
}
