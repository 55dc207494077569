// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IObligations} from "./IObligations.sol";

/// @title IFiatGateway
/// @notice The fiat on- and off-ramp of the settlement token, modelled on regulated fiat-backed
/// tokens: minters mint against bank deposits (once per bank reference, within an allowance that a
/// master minter sets, never above the reserve an auditor attested last); members redeem by locking
/// tokens here until an operator reports the bank payout (tokens burned) or rejects it (tokens returned).
/// @dev Every event carries the references the treasury needs to reconcile with the bank statement.
/// Pending redemptions are obligations that block a member's exit.
interface IFiatGateway is IObligations {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    enum RedemptionStatus {
        None,
        Pending,
        Paid,
        Rejected
    }

    /// @notice A redemption request, in two storage slots.
    struct Redemption {
        address account;
        uint64 memberId;
        RedemptionStatus status;
        uint128 amount;
        uint40 requestedAt;
        uint40 settledAt;
        /// @dev Hash of the payout instructions (bank account, remittance text), kept off-chain.
        bytes32 payoutRef;
    }

    /// @notice What a bank reference minted.
    struct MintRecord {
        address to;
        uint96 amount;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when the master minter sets a minter's remaining allowance.
    event MinterConfigured(address indexed minter, uint256 allowance);

    /// @notice Emitted when the master minter removes a minter.
    event MinterRemoved(address indexed minter);

    /// @notice Emitted when tokens are minted against the bank deposit `bankRef`.
    event Minted(
        bytes32 indexed bankRef,
        address indexed minter,
        address indexed to,
        uint256 amount,
        uint256 allowanceLeft
    );

    /// @notice Emitted when an auditor attests the fiat reserve backing the token.
    event ReserveAttested(
        uint64 indexed auditorMemberId,
        uint256 reserve,
        uint40 asOf,
        bytes32 reportHash,
        uint256 supply
    );

    /// @notice Emitted when a member asks to redeem tokens for fiat; the tokens are locked here.
    event RedemptionRequested(
        uint64 indexed redemptionId,
        uint64 indexed memberId,
        address indexed account,
        uint256 amount,
        bytes32 payoutRef
    );

    /// @notice Emitted when the bank paid a redemption out; the locked tokens are burned.
    event RedemptionPaid(
        uint64 indexed redemptionId,
        uint64 indexed memberId,
        uint256 amount,
        bytes32 payoutRef,
        bytes32 bankTxRef
    );

    /// @notice Emitted when a redemption is rejected; the locked tokens go back to `refundTo`.
    event RedemptionRejected(
        uint64 indexed redemptionId,
        uint64 indexed memberId,
        address indexed refundTo,
        uint256 amount,
        bytes32 reasonHash
    );

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The admin must be a nonzero address.
    error FiatGatewayInvalidAdmin(address admin);

    /// @notice `account` is not a configured minter.
    error FiatGatewayNotMinter(address account);

    /// @notice Minters must be nonzero addresses.
    error FiatGatewayInvalidMinter(address minter);

    /// @notice Amounts must be positive.
    error FiatGatewayZeroAmount();

    /// @notice A bank reference must be nonzero.
    error FiatGatewayZeroBankReference();

    /// @notice `bankRef` has already minted; a bank deposit mints once.
    error FiatGatewayBankReferenceUsed(bytes32 bankRef);

    /// @notice The minter's remaining allowance is smaller than the amount.
    error FiatGatewayAllowanceExceeded(address minter, uint256 amount, uint256 allowance);

    /// @notice The supply after minting would exceed the reserve attested last.
    error FiatGatewayReserveExceeded(uint256 supplyAfter, uint256 reserve);

    /// @notice An attestation must not be dated in the future.
    error FiatGatewayAttestationInFuture(uint40 asOf, uint256 now_);

    /// @notice An attestation must be newer than the last one (dated `latestAsOf`).
    error FiatGatewayAttestationOutdated(uint40 asOf, uint40 latestAsOf);

    /// @notice A payout reference (hash of the payout instructions) must be nonzero.
    error FiatGatewayZeroPayoutReference();

    /// @notice No redemption has this id.
    error FiatGatewayUnknownRedemption(uint64 redemptionId);

    /// @notice The redemption is no longer pending.
    error FiatGatewayRedemptionNotPending(uint64 redemptionId, RedemptionStatus status);

    /// @notice A bank transaction reference must be nonzero.
    error FiatGatewayZeroBankTxReference();

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The role that configures minters.
    function MASTER_MINTER_ROLE() external view returns (bytes32);

    /// @notice Whether `account` is a configured minter.
    function isMinter(address account) external view returns (bool);

    /// @notice The amount `minter` may still mint.
    function minterAllowance(address minter) external view returns (uint256);

    /// @notice What `bankRef` minted (zero record if nothing).
    function mintOf(bytes32 bankRef) external view returns (MintRecord memory);

    /// @notice The reserve attested last and the date it was attested for.
    function attestedReserve() external view returns (uint256 reserve, uint40 asOf);

    /// @notice A redemption request.
    function getRedemption(uint64 redemptionId) external view returns (Redemption memory);

    /// @notice Number of redemptions ever requested; ids run from 1 to this number.
    function redemptionCount() external view returns (uint64);

    /// @notice Tokens locked in pending redemptions (equals this contract's token balance).
    function pendingTotal() external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Sets how much `minter` may still mint (replacing, not adding to, what is left).
    /// Requirements:
    /// - The caller holds MASTER_MINTER_ROLE; `minter` is nonzero.
    function configureMinter(address minter, uint256 allowance) external;

    /// @notice Removes a minter.
    /// Requirements:
    /// - The caller holds MASTER_MINTER_ROLE; `minter` is a minter.
    function removeMinter(address minter) external;

    /// @notice Mints `amount` to `to` against the bank deposit identified by `bankRef`.
    /// Requirements:
    /// - The caller is a minter with at least `amount` allowance left.
    /// - `bankRef` is nonzero and has never minted; `amount` is positive and below 2^96 (one record slot).
    /// - The supply after minting stays within the attested reserve.
    /// - `to` is a member's account that may receive; the token is not paused.
    function mint(address to, uint256 amount, bytes32 bankRef) external;

    /// @notice Attests the fiat reserve backing the token as of `asOf`.
    /// Requirements:
    /// - The caller is an auditor in good standing.
    /// - `asOf` is not in the future and is later than the last attestation's.
    function attestReserve(uint256 reserve, uint40 asOf, bytes32 reportHash) external;

    /// @notice Asks to redeem `amount` tokens for fiat; the tokens move here (approve them first).
    /// Requirements:
    /// - The caller is an account of a member in good standing, allowed to send tokens.
    /// - `amount` is positive; `payoutRef` is nonzero.
    /// @param payoutRef Hash of the payout instructions kept off-chain.
    /// @return redemptionId The new request's id.
    function requestRedemption(uint256 amount, bytes32 payoutRef) external returns (uint64 redemptionId);

    /// @notice Like {requestRedemption}, with an EIP-2612 permit instead of a prior approval.
    function requestRedemptionWithPermit(
        uint256 amount,
        bytes32 payoutRef,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint64 redemptionId);

    /// @notice Reports that the bank paid redemption `redemptionId` out; burns the locked tokens.
    /// Requirements:
    /// - The caller is an operator in good standing; the redemption is pending; `bankTxRef` is nonzero.
    function markRedemptionPaid(uint64 redemptionId, bytes32 bankTxRef) external;

    /// @notice Rejects redemption `redemptionId` and returns the locked tokens to the requesting
    /// account, or, if that account was removed since, to the member's first active account.
    /// Requirements:
    /// - The caller is an operator in good standing; the redemption is pending.
    function rejectRedemption(uint64 redemptionId, bytes32 reasonHash) external;
}
