// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Role} from "../types/Membership.sol";
import {IObligations} from "./IObligations.sol";

/// @title IPaymentChannels
/// @notice One-way payment channels from a consumer (payer) to a provider (payee) in one token. The payer
/// escrows a deposit and pays by signing EIP-712 vouchers off-chain, each for the cumulative amount owed;
/// the payee claims the newest voucher whenever it likes without closing. Closing is cooperative (the payee
/// signs a close authorisation, the payer closes at once) or unilateral (the payer starts the challenge
/// period, during which the payee can still claim, then takes the rest). A channel also ends at its expiry.
/// @dev A channel is named by `channelId(payer, payee, nonce)`, where the nonce is the opening block's
/// number and a salt the payer chose: no id is ever used twice, so a voucher of a closed channel never pays
/// out again. A channel is one storage word; functions take the channel's parties and nonce rather than
/// its id. A voucher names its channel by payee and nonce, and its signer is the payer: a claim recovers the
/// payer from the signature and finds the channel from it.
///
/// Deployed with a Consortium, a channel's payer must be an account of a consumer and its payee one of a
/// provider, both in good standing and not leaving (as the token records them); open channels count as
/// obligations of both accounts' members, and the token keeps a hold on the payer's account while the
/// channel is open, so that the account cannot be removed while it is owed a refund. Deployed without one (`consortium() == 0`, for a plain ERC-20), anyone may
/// open channels to anyone and there are no operators.
interface IPaymentChannels is IObligations {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice A channel as {channel} returns it. All zero for a channel that is unknown or closed.
    struct Channel {
        /// @dev Everything the payer escrowed: the opening deposit and top-ups.
        uint96 deposit;
        /// @dev Paid to the payee so far: the newest voucher claimed.
        uint96 claimed;
        /// @dev From then on the payer may take the rest: the expiry, or the end of the challenge period.
        uint40 deadline;
        /// @dev Seconds the payee has to claim after the payer starts closing; 0 once it has started.
        uint24 challengePeriod;
    }

    /// @notice One voucher of a {claimMany}: the channel's nonce (the payee is the caller, the payer its signer).
    struct Claim {
        uint96 nonce;
        uint256 amount;
        bytes32 usage;
        /// @dev The payer's signature in EIP-2098 compact form.
        bytes32 r;
        bytes32 vs;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a payer opens a channel and escrows its deposit.
    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint96 nonce,
        uint256 deposit,
        uint40 expiresAt,
        uint24 challengePeriod
    );

    /// @notice Emitted when the payer adds to a channel's deposit; `deposit` is the new total.
    event ChannelToppedUp(bytes32 indexed channelId, uint256 deposit);

    /// @notice Emitted when the payee claims a voucher; `claimed` is the new total paid, `usage` the voucher's
    /// reference to the metered use it pays for (0 for none).
    event ChannelClaimed(bytes32 indexed channelId, uint256 claimed, bytes32 usage);

    /// @notice Emitted when the payer starts closing alone; the payee may claim until `deadline`.
    event ChannelCloseRequested(bytes32 indexed channelId, uint40 deadline);

    /// @notice Emitted when a channel is closed: the payee was paid `claimed` in all, `refunded` went back.
    event ChannelClosed(bytes32 indexed channelId, uint256 claimed, uint256 refunded);

    /// @notice Emitted when operators change the shortest challenge period a new channel may have.
    event MinChallengePeriodChanged(uint24 challengePeriod);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A deposit (or a deposit after a top-up) must be positive and below 2^96.
    error PaymentChannelsInvalidDeposit(uint256 deposit);

    /// @notice A channel must expire in the future.
    error PaymentChannelsInvalidExpiry(uint40 expiresAt);

    /// @notice The challenge period is below the `minimum` operators set.
    error PaymentChannelsChallengeTooShort(uint24 challengePeriod, uint24 minimum);

    /// @notice A payee must be a nonzero address other than the payer.
    error PaymentChannelsInvalidPayee(address payee);

    /// @notice `account` may not start new business in `role`: its member lacks the role, is not in good standing,
    /// is leaving, or has not accepted the current framework agreement.
    error PaymentChannelsMissingRole(address account, Role role);

    /// @notice A channel with this id is open, or was closed in this block; use another salt or wait a block.
    error PaymentChannelsChannelExists(bytes32 channelId);

    /// @notice No open channel has this id (never opened, or closed).
    error PaymentChannelsUnknownChannel(bytes32 channelId);

    /// @notice The payer started closing the channel; the payee may claim until `deadline`.
    error PaymentChannelsClosing(bytes32 channelId, uint40 deadline);

    /// @notice The channel's deadline has passed; it only awaits its settlement.
    error PaymentChannelsPastDeadline(bytes32 channelId, uint40 deadline);

    /// @notice The voucher's `amount` is not above what was claimed already.
    error PaymentChannelsVoucherBelowClaimed(bytes32 channelId, uint256 amount, uint256 claimed);

    /// @notice The voucher's `amount` is above the channel's `deposit`.
    error PaymentChannelsVoucherAboveDeposit(bytes32 channelId, uint256 amount, uint256 deposit);

    /// @notice The signature is not `signer`'s over this channel's close authorisation.
    error PaymentChannelsInvalidSignature(bytes32 channelId, address signer);

    /// @notice The signature is malformed (r zero, or s in the upper half of the curve order): no one's voucher.
    /// (In EIP-2098 compact form the high-s twin of a signature reads as another signature, of an unrelated
    /// signer, so it finds no channel.)
    error PaymentChannelsMalformedSignature();

    /// @notice The voucher's signer `signer` has no open channel `channelId` to the caller: the channel was
    /// closed, the nonce or payee is wrong, or the voucher was signed by someone else (for another chain or
    /// deployment, or altered, it recovers an unrelated signer).
    error PaymentChannelsNoChannelOfSigner(address signer, bytes32 channelId);

    /// @notice The payee may still claim until `deadline`; settle after it.
    error PaymentChannelsDeadlineNotReached(bytes32 channelId, uint40 deadline);

    /// @notice The token was paused until recently, when no claim could pay: the payee may still claim until
    /// `until` (the last unpause plus the minimum challenge period); settle after it.
    error PaymentChannelsPauseGrace(bytes32 channelId, uint40 until);

    /// @notice The minimum challenge period must be positive.
    error PaymentChannelsInvalidMinimum(uint24 challengePeriod);

    /// @notice Deployed without a Consortium: there are no operators.
    error PaymentChannelsUngoverned();

    /// @notice The token must be the Consortium's settlement token (`expected`).
    error PaymentChannelsTokenMismatch(address token, address expected);

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The token deposits and payments are in.
    function token() external view returns (address);

    /// @notice The Consortium that says who may pay whom (0: anyone may).
    function consortium() external view returns (address);

    /// @notice The shortest challenge period, in seconds, a channel opened now may have.
    function minChallengePeriod() external view returns (uint24);

    /// @notice The id of the channel from `payer` to `payee` opened with `nonce` (block number << 32 | salt).
    function channelId(address payer, address payee, uint96 nonce) external pure returns (bytes32);

    /// @notice The channel `channelId`; all zero if it is unknown or closed.
    function channel(bytes32 channelId) external view returns (Channel memory);

    /// @notice The EIP-712 digest of a voucher paying `payee` `amount` in all on the signer's channel opened with
    /// `nonce`, with `usage`.
    function voucherDigest(address payee, uint96 nonce, uint256 amount, bytes32 usage) external view returns (bytes32);

    /// @notice The EIP-712 digest of the payee's authorisation to close the channel at `amount` in all.
    function closeDigest(bytes32 channelId, uint256 amount) external view returns (bytes32);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens a channel to `payee` and escrows `deposit` (approved beforehand); returns its id and nonce.
    /// Requirements:
    /// - `deposit` is positive; `expiresAt` is in the future; `challengePeriod` is at least {minChallengePeriod}.
    /// - `payee` is nonzero and not the caller; with a Consortium, the caller is a consumer's account and
    ///   `payee` a provider's, both in good standing, not leaving, and under the current framework agreement
    ///   (the caller's refusal is the token's `SettlementTokenMissingRole`).
    /// - No channel of the two with this salt was opened in this block.
    function open(
        address payee,
        uint32 salt,
        uint96 deposit,
        uint40 expiresAt,
        uint24 challengePeriod
    ) external returns (bytes32 channelId, uint96 nonce);

    /// @notice Like {open}, with an EIP-2612 permit for the deposit in the same transaction.
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
    ) external returns (bytes32 channelId, uint96 nonce);

    /// @notice Adds `amount` (approved beforehand) to the deposit of the caller's channel to `payee`.
    /// Requirements:
    /// - The channel is open, not closing, and before its deadline; the new deposit is below 2^96.
    function topUp(address payee, uint96 nonce, uint96 amount) external;

    /// @notice Pays the caller (the payee) what a voucher for `amount` in all adds to what was claimed on the
    /// signer's channel opened with `nonce`. The channel stays open. `r` and `vs` are the payer's signature in
    /// EIP-2098 compact form.
    /// Requirements:
    /// - The signer has an open channel with `nonce` to the caller (also while closing, and after its deadline
    ///   until it is settled).
    /// - `amount` is above what was claimed and at most the deposit.
    function claim(uint96 nonce, uint256 amount, bytes32 usage, bytes32 r, bytes32 vs) external;

    /// @notice {claim} on many channels of the caller at once, paid in one transfer. A voucher that pays nothing
    /// (not above what its channel claimed, or whose channel was closed meanwhile) is skipped, so a payout run
    /// can be repeated; a malformed signature or a voucher above its deposit reverts all.
    function claimMany(Claim[] calldata claims) external returns (uint256 paid);

    /// @notice Closes the caller's channel to `payee` at once, as the payee agreed by signing a close
    /// authorisation for `amount` in all: the payee gets `amount` less what it claimed, the caller the rest.
    /// @dev A close authorisation has no expiry: it stays good for as long as the channel is open and nothing
    /// above `amount` was claimed. A payee signs one only for its final amount and serves no more on the channel
    /// afterwards (the payee agent signs none: it claims and lets the payer close or settle); to take back an
    /// authorisation, claim a newer voucher, after which the authorisation is below what was claimed and reverts.
    /// Requirements:
    /// - The channel is open; `amount` is at least what was claimed and at most the deposit.
    /// - The signature (EIP-2098 compact) is the payee's.
    function closeCooperatively(address payee, uint96 nonce, uint256 amount, bytes32 r, bytes32 vs) external;

    /// @notice The payee gives the channel up: closes it at once at what it claimed (claim the newest voucher first)
    /// and returns the rest to `payer`. A provider that leaves the consortium ends its channels this way.
    /// Requirements:
    /// - The caller is the payee of an open channel from `payer` with `nonce`.
    function release(address payer, uint96 nonce) external;

    /// @notice Starts closing the caller's channel to `payee` alone: the payee may claim for the challenge
    /// period (or until the expiry, if that is sooner), then {settle} returns the rest to the caller.
    /// Requirements:
    /// - The channel is open and not closing yet.
    function requestClose(address payee, uint96 nonce) external;

    /// @notice Closes a channel whose deadline has passed and returns what the payee did not claim to the payer.
    /// Anyone may call it; the money goes to the payer.
    /// Requirements:
    /// - The channel is open and its deadline has passed.
    /// - With a Consortium, {minChallengePeriod} has passed since the token was last unpaused (a pause stops
    ///   claims, and must not cost the payee its voucher).
    function settle(address payer, address payee, uint96 nonce) external;

    /// @notice Sets the shortest challenge period new channels may have.
    /// Requirements:
    /// - There is a Consortium; the caller is an operator in good standing; `challengePeriod` is positive.
    function setMinChallengePeriod(uint24 challengePeriod) external;
}
