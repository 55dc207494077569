// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {KeyKind} from "../types/Listing.sol";
import {UsageReport} from "../types/Metering.sol";
import {IObligations} from "./IObligations.sol";

/// @title IUsageMeter
/// @notice Pay per use with escrow: a consumer books a machine under the tariff version in force and
/// escrows a budget; device-signed usage reports draw charges on it; charges become the provider's (and
/// the licensors' and the platform's) once their dispute window has passed; the consumer can dispute a
/// report within that window; closing returns what is left.
/// @dev Reports are EIP-712 typed data (UsageReportHash) signed by a key the MachineRegistry holds for the
/// order's machine and valid over the whole period the report covers. Device reports count machine seconds,
/// units and licensed products; inspector reports count inspections. Each signer kind is a stream of its
/// own: it numbers its reports of an order 1, 2, 3, ... (a report numbered at or below the last recorded one
/// is a duplicate and is skipped, so relaying the same report twice never counts it twice), and its periods
/// are ordered and bounded: each starts no earlier than the order opened and the stream's previous period
/// ended, and ends no later than now and the order's expiry. So a stream's recorded machine seconds never
/// exceed the time since the order opened, and a key can bill only for time in which it was valid.
///
/// Gas: a report reads two storage slots of its order and writes them (plus one for licensed products or a
/// spending cap when used), so a batch of reports costs little more than the signature checks.
interface IUsageMeter is IObligations {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice `Settled`: closed, every charge paid out or refunded, no dispute open.
    enum OrderStatus {
        None,
        Open,
        Closed,
        Settled
    }

    /// @notice What becomes of a report offered to {submitReports}.
    enum ReportOutcome {
        Recorded,
        Duplicate,
        Rejected
    }

    /// @notice Why a report was rejected (in a batch it is skipped with this reason; alone it reverts).
    enum RejectReason {
        None,
        OrderNotOpen,
        InvalidSignature,
        UnknownSigner,
        SignerOfAnotherMachine,
        SignerNotValidForPeriod,
        PeriodEndsBeforeStart,
        PeriodInFuture,
        PeriodAfterExpiry,
        SequenceGap,
        CountsNotAllowedForSigner,
        LicensedProductsMismatch,
        MoreSecondsThanThePeriod,
        CountsTooLarge,
        PeriodStartsBeforeOrder,
        PeriodOverlapsPrevious
    }

    /// @notice Terms an order is opened with.
    struct OrderTerms {
        uint64 machineId;
        /// @dev The tariff version the consumer saw; opening fails if another is in force.
        uint32 tariffVersion;
        /// @dev Escrowed at opening, in token base units.
        uint128 budget;
        /// @dev Reports for periods ending after this are refused; the consumer may close from then on.
        uint40 expiresAt;
        /// @dev Seconds a charge can be disputed after it was recorded (0: charges mature at once).
        uint32 disputeWindow;
        /// @dev Most charged per `capPeriod` seconds of reported time (0: no cap).
        uint96 capPerPeriod;
        uint32 capPeriod;
        /// @dev The capability the consumer books the machine for (for the owner's usage insight), may be 0.
        bytes32 capability;
        /// @dev The version of each licence of the tariff, in its order, that the consumer was quoted (see
        /// `MachineRegistry.bookingTerms`); opening fails if any royalty changed since, so quote == charge.
        uint32[] licenseVersions;
    }

    /// @notice An order as {getOrder} returns it (assembled for reading; the meter stores it packed otherwise).
    // solhint-disable-next-line gas-struct-packing
    struct Order {
        uint64 machineId;
        uint32 tariffVersion;
        uint40 expiresAt;
        OrderStatus status;
        /// @dev Licences of the tariff (royalties locked at opening).
        uint8 licenseCount;
        bool capped;
        uint32 disputeWindow;
        uint16 feeBps;
        address payer;
        uint64 consumer;
        uint64 provider;
        uint128 escrow;
        /// @dev Returned to the payer: dispute refunds and the rest at closing.
        uint128 refunded;
        /// @dev Hash chain over the digests of the order's recorded reports, in the order they were recorded:
        /// h' = bytes12(keccak256(abi.encode(h, digest))), starting from zero.
        bytes12 reportsHash;
        /// @dev Invoices issued so far (numbered 1, 2, ...).
        uint32 invoiceCount;
        /// @dev Seconds after the expiry during which reports that ended by the expiry still land; the consumer
        /// closes only after them (fixed at opening from {reportGrace}).
        uint32 reportGrace;
        /// @dev When the order was opened: no period of its reports starts earlier.
        uint40 openedAt;
    }

    /// @notice An order's running meter: what every report updates. Charged so far (royalties included,
    /// net of dispute refunds) is `escrow - refunded - available`.
    struct Meter {
        uint32 deviceSequence;
        uint32 inspectorSequence;
        uint40 machineSeconds;
        uint40 units;
        /// @dev Escrow neither charged nor returned.
        uint64 available;
        /// @dev The setup fee was charged (the order was used).
        bool used;
        /// @dev A report was charged less than its price because the escrow ran out.
        bool exhausted;
        /// @dev Where each stream's next period may start: the end of its last recorded period, or the time the
        /// order opened before its first.
        uint40 devicePeriodEnd;
        uint40 inspectorPeriodEnd;
    }

    /// @notice One settlement period of an order: issued when {settle} starts a dispute window over the
    /// charges recorded since the previous invoice, settled when they mature.
    // Four slots for 800 bits of fields, in reading order.
    // solhint-disable-next-line gas-struct-packing
    struct Invoice {
        uint64 orderId;
        uint32 number;
        /// @dev When the dispute window of its charges started.
        uint40 issuedAt;
        /// @dev When its charges matured and were credited; 0 while pending.
        uint40 settledAt;
        /// @dev The device and inspector reports it covers; `first > last` when it covers none of a kind.
        uint32 firstDeviceSequence;
        uint32 lastDeviceSequence;
        uint32 firstInspectorSequence;
        uint32 lastInspectorSequence;
        /// @dev The order's reports hash after the last report it covers; the previous invoice's (zero for the
        /// first) is the one before its first. Folding the covered reports' digests over it gives this value.
        bytes12 reportsHash;
        /// @dev Machine seconds and units of the covered reports.
        uint40 machineSeconds;
        uint40 units;
        /// @dev Charges of the period, gross of dispute refunds: the covered reports' charges plus a minimum
        /// charge top-up at closing.
        uint64 charged;
        /// @dev Of `charged`, the licensors' royalties.
        uint64 royalties;
        /// @dev Credited at settlement: the provider's net and the platform fee; `heldBack` is the provider's part
        /// that open disputes froze at that moment (a snapshot). Disputes freeze per order: what a resolution
        /// releases later is credited by the next {settle}, to this invoice if no later one was issued yet,
        /// else to the pending one; what it refunds goes back to the payer.
        uint64 providerNet;
        uint64 platformFee;
        uint64 heldBack;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a consumer opens an order and escrows its budget.
    event OrderOpened(
        uint64 indexed orderId,
        uint64 indexed machineId,
        uint64 indexed consumer,
        uint64 provider,
        uint32 tariffVersion,
        uint256 budget,
        uint40 expiresAt,
        bytes32 capability
    );

    /// @notice Emitted when a report is recorded, with its EIP-712 digest (which names the signed report in the
    /// transaction's input) and what it was charged. What the charge fell short of the price is in
    /// {OrderExhausted} or {SpendingCapReached}.
    event ReportRecorded(uint64 indexed orderId, bytes32 digest, uint256 charge);

    /// @notice Emitted when a report already recorded is offered again; nothing changes.
    event ReportDuplicate(uint64 indexed orderId, KeyKind indexed kind, uint32 sequence);

    /// @notice Emitted when a report in a batch is rejected; the rest of the batch goes on.
    event ReportRejected(uint64 indexed orderId, uint32 sequence, RejectReason reason);

    /// @notice Emitted when a report would exceed the remaining escrow: the machine should stop.
    event OrderExhausted(uint64 indexed orderId, uint256 uncharged);

    /// @notice Emitted when a report would exceed the spending cap of its period.
    event SpendingCapReached(uint64 indexed orderId, uint64 periodIndex, uint256 uncharged);

    /// @notice Emitted when an order is closed and the rest of its escrow returned.
    event OrderClosed(uint64 indexed orderId, uint256 charged, uint256 returned);

    /// @notice Emitted when {settle} issues an invoice over the charges recorded since the previous one.
    event InvoiceIssued(uint64 indexed orderId, uint32 indexed number, uint256 charged, bytes12 reportsHash);

    /// @notice Emitted when an invoice's charges mature and are credited: provider net, platform fee, royalties;
    /// `heldBack` stays frozen by open disputes.
    event InvoiceSettled(
        uint64 indexed orderId,
        uint32 indexed number,
        uint256 providerNet,
        uint256 platformFee,
        uint256 royalties,
        uint256 heldBack
    );

    /// @notice Emitted when a member withdraws what it was credited.
    event PayoutWithdrawn(uint64 indexed memberId, address indexed to, uint256 amount);

    /// @notice Emitted when a consumer disputes a report; `amount` of the order's charges is frozen.
    event ReportDisputed(
        uint64 indexed orderId,
        uint64 indexed disputeId,
        KeyKind kind,
        uint32 sequence,
        uint256 amount,
        bytes32 reasonHash
    );

    /// @notice Emitted when an operator withdraws the platform fees collected.
    event PlatformFeesWithdrawn(uint64 indexed memberId, address indexed to, uint256 amount);

    /// @notice Emitted when an auditor resolves a dispute: `refund` goes back to the payer, the rest is released.
    event DisputeResolved(uint64 indexed disputeId, uint256 refund, bytes32 reasonHash);

    /// @notice Emitted when operators change the platform fee for orders opened from now on.
    event PlatformFeeChanged(uint16 feeBps);

    /// @notice Emitted when operators change the report grace for orders opened from now on.
    event ReportGraceChanged(uint32 reportGrace);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice No order has this id.
    error UsageMeterUnknownOrder(uint64 orderId);

    /// @notice The order is not open.
    error UsageMeterOrderNotOpen(uint64 orderId);

    /// @notice The tariff in force is version `current`, not the `expected` one the consumer saw.
    error UsageMeterTariffChanged(uint64 machineId, uint32 expected, uint32 current);

    /// @notice Licence `licenseId` of the tariff is at version `current`, not the `expected` one the consumer was
    /// quoted: its royalty changed; quote again.
    error UsageMeterLicenseChanged(uint32 licenseId, uint32 expected, uint32 current);

    /// @notice The tariff of machine `machineId` names `expected` licences; the terms gave `given` licence versions.
    error UsageMeterLicenseCountMismatch(uint64 machineId, uint256 given, uint256 expected);

    /// @notice A budget must be positive and below 2^46 base units (the meter's escrow counter).
    error UsageMeterInvalidBudget(uint256 budget);

    /// @notice An order must expire in the future, at most {MAX_ORDER_LIFETIME} seconds from now.
    error UsageMeterInvalidExpiry(uint40 expiresAt);

    /// @notice A spending cap needs a positive period.
    error UsageMeterInvalidCap(uint96 capPerPeriod, uint32 capPeriod);

    /// @notice The dispute window is at most `max` seconds.
    error UsageMeterDisputeWindowTooLong(uint32 disputeWindow, uint32 max);

    /// @notice Only the order's consumer may do this; the caller's member is `memberId`.
    error UsageMeterNotConsumer(uint64 orderId, uint64 memberId);

    /// @notice A consumer closes an order only after it expired, unless the provider agrees.
    error UsageMeterNotExpired(uint64 orderId, uint40 expiresAt);

    /// @notice Reports that ended by the expiry may still land until `closableAt` (the expiry plus the order's
    /// report grace); the consumer closes after it.
    error UsageMeterReportGraceRunning(uint64 orderId, uint256 closableAt);

    /// @notice The report grace is at most `max` seconds.
    error UsageMeterReportGraceTooLong(uint32 reportGrace, uint32 max);

    /// @notice The report was rejected for `reason`.
    error UsageMeterReportRejected(uint64 orderId, uint32 sequence, RejectReason reason);

    /// @notice The report is not (yet) recorded: its stream's last recorded number is `last`.
    error UsageMeterReportNotRecorded(uint64 orderId, uint32 sequence, uint32 last);

    /// @notice The report's charges matured already; it can no longer be disputed.
    error UsageMeterReportSettled(uint64 orderId, uint32 sequence);

    /// @notice The dispute window of the invoice covering the report ended at `endedAt`; it can no longer be
    /// disputed (its charges mature at the next settle).
    error UsageMeterDisputeWindowPassed(uint64 orderId, uint32 sequence, uint256 endedAt);

    /// @notice Auditor member `memberId` is the consumer or the provider of the disputed order; another auditor
    /// resolves it.
    error UsageMeterAuditorIsParty(uint64 disputeId, uint64 memberId);

    /// @notice At most `available` of the order's charges can still be frozen.
    error UsageMeterDisputeTooLarge(uint64 orderId, uint256 amount, uint256 available);

    /// @notice No open dispute has this id.
    error UsageMeterUnknownDispute(uint64 disputeId);

    /// @notice A refund cannot exceed the frozen amount `frozen`.
    error UsageMeterRefundTooLarge(uint64 disputeId, uint256 refund, uint256 frozen);

    /// @notice The platform fee is at most `max` basis points.
    error UsageMeterFeeTooHigh(uint16 feeBps, uint16 max);

    /// @notice A packed batch ends inside the report starting at byte `offset`; encode batches with
    /// `encodeReportBatch` (src/codec/batch.ts).
    error UsageMeterMalformedBatch(uint256 offset);

    /// @notice The order has no invoice numbered `number`.
    error UsageMeterUnknownInvoice(uint64 orderId, uint32 number);

    /// @notice Nothing to withdraw for member `memberId`.
    error UsageMeterNothingToWithdraw(uint64 memberId);

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The Consortium that says who is a consumer, provider, auditor or operator.
    function consortium() external view returns (address);

    /// @notice The token orders escrow and pay out in.
    function token() external view returns (address);

    /// @notice The MachineRegistry whose machines, tariffs and signer keys orders and reports use.
    function registry() external view returns (address);

    /// @notice Highest platform fee operators may set, in basis points.
    function MAX_FEE_BPS() external view returns (uint16);

    /// @notice Longest dispute window an order may have, in seconds.
    function MAX_DISPUTE_WINDOW() external view returns (uint32);

    /// @notice Longest report grace operators may set, in seconds.
    function MAX_REPORT_GRACE() external view returns (uint32);

    /// @notice Longest time from an order's opening to its expiry, in seconds (2^28 - 1, about 8.5 years).
    function MAX_ORDER_LIFETIME() external view returns (uint32);

    /// @notice The order; `status` is `None` for an unknown id.
    function getOrder(uint64 orderId) external view returns (Order memory);

    /// @notice The order's running meter.
    function meterOf(uint64 orderId) external view returns (Meter memory);

    /// @notice What member `memberId` can withdraw.
    function payableTo(uint64 memberId) external view returns (uint256);

    /// @notice Invoice `number` (from 1) of the order.
    function invoiceOf(uint64 orderId, uint32 number) external view returns (Invoice memory);

    /// @notice The platform fee, in basis points, of orders opened from now on.
    function platformFeeBps() external view returns (uint16);

    /// @notice Platform fees collected and not yet withdrawn.
    function platformFees() external view returns (uint256);

    /// @notice Seconds after an order's expiry during which its late reports still land, for orders opened from
    /// now on.
    function reportGrace() external view returns (uint32);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens an order on a bookable machine and escrows `terms.budget` (approved beforehand).
    /// Requirements:
    /// - The caller is an account of a consumer member that may start new business.
    /// - The machine is bookable, its tariff in force is `terms.tariffVersion`, and its licences are at
    ///   `terms.licenseVersions`.
    /// - The budget is positive, the expiry in the future and at most {MAX_ORDER_LIFETIME} away, the dispute
    ///   window at most {MAX_DISPUTE_WINDOW}.
    function openOrder(OrderTerms calldata terms) external returns (uint64 orderId);

    /// @notice Like {openOrder}, with an EIP-2612 permit for the budget in the same transaction.
    function openOrderWithPermit(
        OrderTerms calldata terms,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint64 orderId);

    /// @notice Records one report; reverts with the reason if it is rejected. A duplicate is skipped.
    function submitReport(UsageReport calldata report, bytes calldata signature) external returns (ReportOutcome);

    /// @notice Records a packed batch of reports one after the other. Duplicates are skipped; a rejected report
    /// is skipped with a {ReportRejected} event naming the reason, and the rest of the batch goes on. Anyone may
    /// submit.
    /// @dev Each report is packed big-endian, without padding, then its signature r, s, v: 140 + 8n bytes for n
    /// licensed-product counts (layout in contracts/types/PackedReport.sol; `encodeReportBatch` in
    /// src/codec/batch.ts writes it). A batch that ends inside a report reverts.
    function submitReports(bytes calldata batch) external returns (ReportOutcome[] memory outcomes);

    /// @notice Closes an order: no more reports count, the unused escrow (after the minimum charge, if the
    /// order was used) goes back to the payer. Charges still inside their dispute window mature as usual.
    /// Requirements:
    /// - The order is open.
    /// - The caller is an account of the provider (closing early releases the consumer), or of the consumer
    ///   once the order expired and its report grace has passed.
    function closeOrder(uint64 orderId) external;

    /// @notice For each order: settles its pending invoice once the dispute window has passed (credits the
    /// provider's net, the platform fee and the royalties), then, if no invoice is pending and charges were
    /// recorded since the last one, issues the next invoice, which starts their dispute window. With a
    /// window of zero both happen at once. Anyone may call it.
    function settle(uint64[] calldata orderIds) external;

    /// @notice Pays out what the caller's member was credited, to the caller.
    /// Requirements:
    /// - The caller is an active account of a member (a suspended member may still withdraw).
    function withdraw() external returns (uint256 amount);

    /// @notice {settle} the orders, then {withdraw}: a provider's payout run in one transaction.
    function settleAndWithdraw(uint64[] calldata orderIds) external returns (uint256 amount);

    /// @notice Disputes a recorded report whose charge has not matured; freezes `amount` of the order's
    /// provider charges until an auditor resolves it.
    /// Requirements:
    /// - The caller is an account of the order's consumer in good standing.
    /// - Report `sequence` of the `kind` stream is recorded and not settled, and the dispute window of the invoice
    ///   covering it (if one was issued) has not passed.
    /// - `amount` is positive and at most the order's unsettled, unfrozen provider charges.
    function dispute(
        uint64 orderId,
        KeyKind kind,
        uint32 sequence,
        uint256 amount,
        bytes32 reasonHash
    ) external returns (uint64 disputeId);

    /// @notice Resolves a dispute: `refund` (up to the frozen amount) goes back to the payer, the rest
    /// of the frozen amount is released to mature.
    /// Requirements:
    /// - The caller is an auditor in good standing whose member is neither the order's consumer nor its
    ///   provider; the dispute is open.
    function resolveDispute(uint64 disputeId, uint256 refund, bytes32 reasonHash) external;

    /// @notice Pays the platform fees collected to the caller.
    /// Requirements:
    /// - The caller is an operator in good standing; fees were collected.
    function withdrawPlatformFees() external returns (uint256 amount);

    /// @notice Sets the platform fee for orders opened from now on.
    /// Requirements:
    /// - The caller is an operator in good standing; `feeBps` is at most {MAX_FEE_BPS}.
    function setPlatformFee(uint16 feeBps) external;

    /// @notice Sets the report grace for orders opened from now on.
    /// Requirements:
    /// - The caller is an operator in good standing; `reportGrace_` is at most {MAX_REPORT_GRACE}.
    function setReportGrace(uint32 reportGrace_) external;
}
