// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {KeyKind} from "../types/Listing.sol";
import {Role} from "../types/Membership.sol";
import {
    METER_WORD_AVAILABLE_MASK,
    METER_WORD_AVAILABLE_OFFSET,
    METER_WORD_DEVICE_MARK_MASK,
    MeterWord
} from "../types/MeterWord.sol";
import {
    ORDER_HEAD_CAPPED,
    ORDER_HEAD_EXPIRY_OFFSET,
    ORDER_HEAD_FLAGS_OFFSET,
    ORDER_HEAD_INSPECTOR_MARK_OFFSET,
    ORDER_HEAD_LICENSES_OFFSET,
    ORDER_HEAD_OPEN,
    ORDER_HEAD_OPENED_AT_OFFSET,
    OrderHead,
    OrderHeadLibrary
} from "../types/OrderHead.sol";
import {Tariff, UnitTier} from "../types/Tariff.sol";

/// @title MeterLedger
/// @notice The UsageMeter's storage and everything it does besides recording reports: opening and closing
/// orders, invoices and settlement, disputes, payouts. A linked library (its external functions run in the
/// meter's storage by DELEGATECALL), so that the meter's report path stays lean and both stay under the
/// contract size limit. Errors and events are the meter's (IUsageMeter).
library MeterLedger {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev The two slots of an order a report reads, each one packed word: the head, with the order's fixed
    /// terms and the inspector stream, which only opening, closing and inspector reports write, and the meter word
    /// with the device stream and the running totals, which every report writes.
    struct Hot {
        OrderHead head;
        MeterWord meter;
    }

    /// @dev The rest of an order, never touched by a plain report.
    struct Terms {
        address payer;
        uint64 consumer;
        uint16 feeBps;
        IUsageMeter.OrderStatus status;
        uint64 provider;
        uint32 disputeWindow;
        uint32 invoiceCount;
        /// @dev Below 2^46 (checked at opening), as are the refunds out of it.
        uint48 escrow;
        /// @dev Refunded by resolved disputes.
        uint48 disputeRefunds;
        /// @dev Seconds after the expiry in which reports ended by it still land (the meter's setting at opening).
        uint32 reportGrace;
        /// @dev Returned at closing.
        uint64 returned;
    }

    /// @dev A licence of an order: its licensor and the royalty locked at booking.
    struct LicenseTerm {
        uint64 licensor;
        uint96 royalty;
    }

    /// @dev Settlement of an order: what matured, the checkpoint (pending invoice) whose window is running,
    /// what disputes froze, and the order's totals when the last invoice was issued.
    struct Settlement {
        uint64 settled;
        uint64 checkpointCharged;
        uint40 checkpointAt;
        uint64 frozen;
        uint32 checkpointDeviceSequence;
        uint32 checkpointInspectorSequence;
        uint32 settledDeviceSequence;
        uint32 settledInspectorSequence;
        uint16 openDisputes;
        uint64 invoicedGross;
        uint40 invoicedSeconds;
        uint40 invoicedUnits;
    }

    /// @dev A tariff version of a machine, copied from the registry at the first booking (versions never change).
    struct CachedTariff {
        uint96 pricePerHour;
        uint96 pricePerUnit;
        uint8 tierCount;
        bool cached;
        uint96 pricePerInspection;
        uint96 setupFee;
        uint96 minimumCharge;
        UnitTier[3] tiers;
    }

    /// @dev Royalties of an order per licence, in base units: charged so far, at the checkpoint, settled.
    struct Royalties {
        uint64[4] charged;
        uint64[4] checkpoint;
        uint64[4] settled;
    }

    /// @dev A spending cap: at most `limit` per `period` seconds of reported time, kept per period (reports
    /// of the two streams need not arrive in time order).
    struct Cap {
        uint96 limit;
        uint32 period;
        mapping(uint64 periodIndex => uint256 amount) spent;
    }

    struct Dispute {
        uint64 orderId;
        uint64 amount;
        bool open;
    }

    struct State {
        /// @dev What a report reads of its order: the head, and the meter word in the next slot.
        mapping(uint64 orderId => Hot) hot;
        mapping(uint64 orderId => Terms) terms;
        mapping(uint64 orderId => Settlement) settlements;
        mapping(uint64 orderId => LicenseTerm[]) licenseTerms;
        mapping(uint64 orderId => Royalties) royaltyBooks;
        mapping(uint64 orderId => Cap) caps;
        mapping(bytes32 tariffKey => CachedTariff) tariffs;
        mapping(uint64 disputeId => Dispute) disputes;
        mapping(uint64 memberId => uint256 amount) payouts;
        mapping(uint64 memberId => uint256 count) obligations;
        mapping(uint64 orderId => mapping(uint32 number => IUsageMeter.Invoice)) invoices;
        uint64 orderCount;
        uint64 disputeCount;
        uint16 feeBps;
        uint32 reportGrace;
        uint256 platformFees;
    }

    /*//////////////////////////////////////////////////////////////
                               LIMITS
    //////////////////////////////////////////////////////////////*/

    uint16 internal constant MAX_FEE_BPS = 1000;
    uint32 internal constant MAX_DISPUTE_WINDOW = 90 days;
    uint32 internal constant MAX_REPORT_GRACE = 30 days;
    /// @dev 2^28 - 1 seconds, about 8.5 years: the device stream's mark and machine seconds fit their 28 bits of
    /// the meter word.
    uint32 internal constant MAX_ORDER_LIFETIME = uint32(METER_WORD_DEVICE_MARK_MASK);
    uint256 private constant BPS = 10_000;

    /*//////////////////////////////////////////////////////////////
                               VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice {IUsageMeter-getOrder}, assembled from the order's head, terms and meter word.
    function getOrder(State storage s, uint64 orderId) external view returns (IUsageMeter.Order memory order) {
        OrderHead head = s.hot[orderId].head;
        Terms storage terms = s.terms[orderId];
        order.machineId = head.machineId();
        order.tariffVersion = head.tariffVersion();
        order.expiresAt = head.expiresAt();
        order.status = terms.status;
        order.licenseCount = head.licenseCount();
        order.capped = head.isCapped();
        order.disputeWindow = terms.disputeWindow;
        order.feeBps = terms.feeBps;
        order.payer = terms.payer;
        order.consumer = terms.consumer;
        order.provider = terms.provider;
        order.escrow = terms.escrow;
        order.refunded = uint128(terms.disputeRefunds) + terms.returned;
        order.reportsHash = s.hot[orderId].meter.reportsHash();
        order.invoiceCount = terms.invoiceCount;
        order.reportGrace = terms.reportGrace;
        order.openedAt = head.openedAt();
    }

    /// @notice {IUsageMeter-meterOf}, unpacked from the meter word.
    function meterOf(State storage s, uint64 orderId) external view returns (IUsageMeter.Meter memory meter) {
        MeterWord word = s.hot[orderId].meter;
        OrderHead head = s.hot[orderId].head;
        meter.deviceSequence = word.deviceSequence();
        meter.inspectorSequence = head.inspectorSequence();
        meter.devicePeriodEnd = word.deviceMark(head);
        meter.inspectorPeriodEnd = head.inspectorMark();
        meter.machineSeconds = word.machineSeconds();
        meter.units = word.units();
        meter.available = uint64(word.available());
        meter.used = word.isUsed();
        meter.exhausted = word.isExhausted();
    }

    /// @notice {IUsageMeter-invoiceOf}.
    function invoiceOf(
        State storage s,
        uint64 orderId,
        uint32 number
    ) external view returns (IUsageMeter.Invoice memory invoice) {
        invoice = s.invoices[orderId][number];
        if (invoice.number == 0) revert IUsageMeter.UsageMeterUnknownInvoice(orderId, number);
    }

    /*//////////////////////////////////////////////////////////////
                               ORDERS
    //////////////////////////////////////////////////////////////*/

    // solhint-disable function-max-lines
    /// @notice Opens an order ({IUsageMeter-openOrder}); the caller transfers the budget afterwards.
    function open(
        State storage s,
        IConsortium consortium,
        IMachineRegistry registry,
        IUsageMeter.OrderTerms calldata terms
    ) external returns (uint64 orderId) {
        uint64 consumer = consortium.requireNewBusiness(msg.sender, Role.Consumer);
        if (terms.budget == 0 || terms.budget > METER_WORD_AVAILABLE_MASK)
            revert IUsageMeter.UsageMeterInvalidBudget(terms.budget);
        if (terms.expiresAt <= block.timestamp || terms.expiresAt - block.timestamp > MAX_ORDER_LIFETIME) {
            revert IUsageMeter.UsageMeterInvalidExpiry(terms.expiresAt);
        }
        if (terms.disputeWindow > MAX_DISPUTE_WINDOW) {
            revert IUsageMeter.UsageMeterDisputeWindowTooLong(terms.disputeWindow, MAX_DISPUTE_WINDOW);
        }
        if (terms.capPerPeriod != 0 && terms.capPeriod == 0) {
            revert IUsageMeter.UsageMeterInvalidCap(terms.capPerPeriod, terms.capPeriod);
        }
        IMachineRegistry.BookingTerms memory booking = registry.bookingTerms(terms.machineId);
        if (booking.tariffVersion != terms.tariffVersion) {
            revert IUsageMeter.UsageMeterTariffChanged(terms.machineId, terms.tariffVersion, booking.tariffVersion);
        }
        _requireQuotedLicenses(terms, booking);
        _cacheTariff(s.tariffs[OrderHeadLibrary.tariffKeyOf(terms.machineId, booking.tariffVersion)], booking.tariff);

        orderId = ++s.orderCount;
        Terms storage stored = s.terms[orderId];
        stored.payer = msg.sender;
        stored.consumer = consumer;
        stored.feeBps = s.feeBps;
        stored.status = IUsageMeter.OrderStatus.Open;
        stored.provider = booking.provider;
        stored.disputeWindow = terms.disputeWindow;
        stored.escrow = uint48(terms.budget);
        stored.reportGrace = s.reportGrace;
        uint256 orderFlags = ORDER_HEAD_OPEN | (booking.royalties.length << ORDER_HEAD_LICENSES_OFFSET);
        if (terms.capPerPeriod != 0) {
            orderFlags |= ORDER_HEAD_CAPPED;
            Cap storage cap = s.caps[orderId];
            cap.limit = terms.capPerPeriod;
            cap.period = terms.capPeriod;
        }
        // Both streams' marks start at the opening time (the device's offset in the meter word at 0): no period may
        // begin before the order existed. Composed here from the layouts' constants: the legacy optimizer leaves a
        // library function that builds the head a call, 20 gas per order.
        s.hot[orderId].head = OrderHead.wrap(
            uint256(OrderHeadLibrary.tariffKeyOf(terms.machineId, booking.tariffVersion)) |
                (uint256(terms.expiresAt) << ORDER_HEAD_EXPIRY_OFFSET) |
                (block.timestamp << ORDER_HEAD_INSPECTOR_MARK_OFFSET) |
                (block.timestamp << ORDER_HEAD_OPENED_AT_OFFSET) |
                (orderFlags << ORDER_HEAD_FLAGS_OFFSET)
        );
        s.hot[orderId].meter = MeterWord.wrap(uint256(terms.budget) << METER_WORD_AVAILABLE_OFFSET);
        // A licensor stays until the orders naming its licences are settled, so that its royalties reach it.
        for (uint256 i; i < booking.royalties.length; ++i) {
            s.licenseTerms[orderId].push(LicenseTerm({licensor: booking.licensors[i], royalty: booking.royalties[i]}));
            ++s.obligations[booking.licensors[i]];
        }
        ++s.obligations[consumer];
        ++s.obligations[booking.provider];
        emit IUsageMeter.OrderOpened(
            orderId,
            terms.machineId,
            consumer,
            booking.provider,
            booking.tariffVersion,
            terms.budget,
            terms.expiresAt,
            terms.capability
        );
    }

    // solhint-enable function-max-lines

    /// @notice Closes an order ({IUsageMeter-closeOrder}) and returns what is left after the minimum charge.
    function close(State storage s, IConsortium consortium, IERC20 token, uint64 orderId) external {
        uint64 member = consortium.requireAccount(msg.sender);
        Terms storage terms = s.terms[orderId];
        if (terms.status != IUsageMeter.OrderStatus.Open) {
            if (terms.status == IUsageMeter.OrderStatus.None) revert IUsageMeter.UsageMeterUnknownOrder(orderId);
            revert IUsageMeter.UsageMeterOrderNotOpen(orderId);
        }
        OrderHead head = s.hot[orderId].head;
        MeterWord word = s.hot[orderId].meter;
        if (member != terms.provider) {
            if (member != terms.consumer) revert IUsageMeter.UsageMeterNotConsumer(orderId, member);
            uint40 expiresAt = head.expiresAt();
            if (block.timestamp < expiresAt) revert IUsageMeter.UsageMeterNotExpired(orderId, expiresAt);
            // Reports that ended by the expiry may still be on their way: they land before the consumer closes.
            uint256 closableAt = uint256(expiresAt) + terms.reportGrace;
            if (block.timestamp < closableAt) revert IUsageMeter.UsageMeterReportGraceRunning(orderId, closableAt);
        }
        uint256 remaining = word.available();
        // The minimum charge tops up what the provider earned, if the order was used at all.
        if (word.isUsed()) {
            uint256 minimum = s.tariffs[head.tariffKey()].minimumCharge;
            // What the provider earned before any dispute refund: a refund is never clawed back at closing.
            uint256 earned = _charged(terms, word) + terms.disputeRefunds - _sum(s.royaltyBooks[orderId].charged);
            if (earned < minimum) remaining -= _min(minimum - earned, remaining);
        }
        s.hot[orderId].head = head.closed();
        s.hot[orderId].meter = word.withAvailable(0);
        terms.status = IUsageMeter.OrderStatus.Closed;
        // Cannot overflow: returns stay within the escrow, below 2^64.
        terms.returned = uint64(remaining);
        emit IUsageMeter.OrderClosed(orderId, _charged(terms, s.hot[orderId].meter), remaining);
        if (remaining != 0) token.safeTransfer(terms.payer, remaining);
        _finishIfDone(s, token, orderId);
    }

    /*//////////////////////////////////////////////////////////////
                        SETTLEMENT AND INVOICES
    //////////////////////////////////////////////////////////////*/

    /// @notice Settles and invoices the orders ({IUsageMeter-settle}).
    function settle(State storage s, IERC20 token, uint64[] calldata orderIds) external {
        for (uint256 i; i < orderIds.length; ++i) {
            _settle(s, token, orderIds[i]);
        }
    }

    /// @notice Pays the caller's member what it was credited; reverts on nothing only if `required`.
    function withdraw(
        State storage s,
        IConsortium consortium,
        IERC20 token,
        bool required
    ) external returns (uint256 amount) {
        uint64 member = consortium.requireAccount(msg.sender);
        amount = s.payouts[member];
        if (amount == 0) {
            if (required) revert IUsageMeter.UsageMeterNothingToWithdraw(member);
            return 0;
        }
        s.payouts[member] = 0;
        emit IUsageMeter.PayoutWithdrawn(member, msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice {IUsageMeter-withdrawPlatformFees}.
    function withdrawPlatformFees(
        State storage s,
        IConsortium consortium,
        IERC20 token
    ) external returns (uint256 amount) {
        uint64 member = consortium.requireRole(msg.sender, Role.Operator);
        amount = s.platformFees;
        if (amount == 0) revert IUsageMeter.UsageMeterNothingToWithdraw(member);
        s.platformFees = 0;
        emit IUsageMeter.PlatformFeesWithdrawn(member, msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice {IUsageMeter-setPlatformFee}.
    function setPlatformFee(State storage s, IConsortium consortium, uint16 feeBps) external {
        consortium.requireRole(msg.sender, Role.Operator);
        if (feeBps > MAX_FEE_BPS) revert IUsageMeter.UsageMeterFeeTooHigh(feeBps, MAX_FEE_BPS);
        s.feeBps = feeBps;
        emit IUsageMeter.PlatformFeeChanged(feeBps);
    }

    /// @notice {IUsageMeter-setReportGrace}.
    function setReportGrace(State storage s, IConsortium consortium, uint32 reportGrace_) external {
        consortium.requireRole(msg.sender, Role.Operator);
        if (reportGrace_ > MAX_REPORT_GRACE) {
            revert IUsageMeter.UsageMeterReportGraceTooLong(reportGrace_, MAX_REPORT_GRACE);
        }
        s.reportGrace = reportGrace_;
        emit IUsageMeter.ReportGraceChanged(reportGrace_);
    }

    /*//////////////////////////////////////////////////////////////
                               DISPUTES
    //////////////////////////////////////////////////////////////*/

    /// @notice {IUsageMeter-dispute}.
    function dispute(
        State storage s,
        IConsortium consortium,
        uint64 orderId,
        KeyKind kind,
        uint32 sequence,
        uint256 amount,
        bytes32 reasonHash
    ) external returns (uint64 disputeId) {
        uint64 member = consortium.requireRole(msg.sender, Role.Consumer);
        Terms storage terms = s.terms[orderId];
        if (terms.status == IUsageMeter.OrderStatus.None) revert IUsageMeter.UsageMeterUnknownOrder(orderId);
        if (terms.consumer != member) revert IUsageMeter.UsageMeterNotConsumer(orderId, member);
        MeterWord word = s.hot[orderId].meter;
        _requireDisputable(s, orderId, terms, kind, sequence, word);
        Settlement storage settlement = s.settlements[orderId];
        uint256 free = _disputableProviderCharges(s, orderId, terms, word);
        if (amount == 0 || amount > free) revert IUsageMeter.UsageMeterDisputeTooLarge(orderId, amount, free);
        // Cannot overflow: frozen stays below the order's charges, below 2^64.
        settlement.frozen += uint64(amount);
        ++settlement.openDisputes;
        disputeId = ++s.disputeCount;
        s.disputes[disputeId] = Dispute({orderId: orderId, amount: uint64(amount), open: true});
        emit IUsageMeter.ReportDisputed(orderId, disputeId, kind, sequence, amount, reasonHash);
    }

    /// @notice {IUsageMeter-resolveDispute}.
    function resolveDispute(
        State storage s,
        IConsortium consortium,
        IERC20 token,
        uint64 disputeId,
        uint256 refund,
        bytes32 reasonHash
    ) external {
        uint64 auditor = consortium.requireRole(msg.sender, Role.Auditor);
        Dispute storage record = s.disputes[disputeId];
        if (!record.open) revert IUsageMeter.UsageMeterUnknownDispute(disputeId);
        uint64 orderId = record.orderId;
        Terms storage terms = s.terms[orderId];
        if (auditor == terms.consumer || auditor == terms.provider) {
            revert IUsageMeter.UsageMeterAuditorIsParty(disputeId, auditor);
        }
        if (refund > record.amount) revert IUsageMeter.UsageMeterRefundTooLarge(disputeId, refund, record.amount);
        Settlement storage settlement = s.settlements[orderId];
        record.open = false;
        settlement.frozen -= record.amount;
        --settlement.openDisputes;
        emit IUsageMeter.DisputeResolved(disputeId, refund, reasonHash);
        if (refund != 0) {
            // The refund comes out of the provider's unsettled charges, the checkpoint's first.
            Royalties storage books = s.royaltyBooks[orderId];
            uint256 inCheckpoint =
                settlement.checkpointCharged - settlement.settled - (_sum(books.checkpoint) - _sum(books.settled));
            settlement.checkpointCharged -= uint64(_min(refund, inCheckpoint));
            // Charged falls by the refund as refunds rise: what is available stays.
            terms.disputeRefunds += uint48(refund);
            token.safeTransfer(terms.payer, refund);
        }
        _finishIfDone(s, token, orderId);
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Reverts unless the terms name the version of each licence of the tariff that is in force.
    function _requireQuotedLicenses(
        IUsageMeter.OrderTerms calldata terms,
        IMachineRegistry.BookingTerms memory booking
    ) private pure {
        uint256 count = booking.licenseVersions.length;
        if (terms.licenseVersions.length != count) {
            revert IUsageMeter.UsageMeterLicenseCountMismatch(terms.machineId, terms.licenseVersions.length, count);
        }
        for (uint256 i; i < count; ++i) {
            if (terms.licenseVersions[i] != booking.licenseVersions[i]) {
                revert IUsageMeter.UsageMeterLicenseChanged(
                    booking.tariff.licenseIds[i],
                    terms.licenseVersions[i],
                    booking.licenseVersions[i]
                );
            }
        }
    }

    function _cacheTariff(CachedTariff storage cached, Tariff memory tariff) private {
        if (cached.cached) return;
        cached.pricePerHour = tariff.pricePerHour;
        cached.pricePerUnit = tariff.pricePerUnit;
        cached.tierCount = uint8(tariff.tiers.length);
        cached.cached = true;
        cached.pricePerInspection = tariff.pricePerInspection;
        cached.setupFee = tariff.setupFee;
        cached.minimumCharge = tariff.minimumCharge;
        for (uint256 i; i < tariff.tiers.length; ++i) {
            cached.tiers[i] = tariff.tiers[i];
        }
    }

    function _settle(State storage s, IERC20 token, uint64 orderId) private {
        Terms storage terms = s.terms[orderId];
        if (terms.status == IUsageMeter.OrderStatus.None) revert IUsageMeter.UsageMeterUnknownOrder(orderId);
        Settlement storage settlement = s.settlements[orderId];
        MeterWord word = s.hot[orderId].meter;
        uint256 charged = _charged(terms, word);
        if (settlement.checkpointAt != 0) {
            if (block.timestamp < settlement.checkpointAt + terms.disputeWindow)
                return _finishIfDone(s, token, orderId);
            _mature(s, orderId, terms, settlement);
        } else if (settlement.checkpointCharged - settlement.settled > settlement.frozen) {
            // A resolved dispute released provider charges of the last invoice, whose window had passed.
            _mature(s, orderId, terms, settlement);
        }
        if (settlement.checkpointAt == 0 && charged != settlement.checkpointCharged) {
            _issueInvoice(s, orderId, terms, settlement, word, charged);
            if (terms.disputeWindow == 0) _mature(s, orderId, terms, settlement);
        }
        _finishIfDone(s, token, orderId);
    }

    /// @dev Issues the next invoice over what was recorded since the last one; its dispute window starts now.
    function _issueInvoice(
        State storage s,
        uint64 orderId,
        Terms storage terms,
        Settlement storage settlement,
        MeterWord word,
        uint256 charged
    ) private {
        Royalties storage books = s.royaltyBooks[orderId];
        uint32 number = ++terms.invoiceCount;
        IUsageMeter.Invoice storage invoice = s.invoices[orderId][number];
        invoice.orderId = orderId;
        invoice.number = number;
        invoice.issuedAt = uint40(block.timestamp);
        invoice.firstDeviceSequence = settlement.checkpointDeviceSequence + 1;
        invoice.lastDeviceSequence = word.deviceSequence();
        invoice.firstInspectorSequence = settlement.checkpointInspectorSequence + 1;
        invoice.lastInspectorSequence = s.hot[orderId].head.inspectorSequence();
        invoice.reportsHash = word.reportsHash();
        uint40 seconds_ = word.machineSeconds();
        uint40 units_ = word.units();
        invoice.machineSeconds = seconds_ - settlement.invoicedSeconds;
        invoice.units = units_ - settlement.invoicedUnits;
        // Gross charges (before dispute refunds) rise with every report and the minimum charge at closing.
        uint64 gross = uint64(charged + terms.disputeRefunds);
        invoice.charged = gross - settlement.invoicedGross;
        invoice.royalties = uint64(_sum(books.charged) - _sum(books.checkpoint));
        settlement.invoicedGross = gross;
        settlement.invoicedSeconds = seconds_;
        settlement.invoicedUnits = units_;
        // Cannot overflow: charges stay within the escrow, below 2^64.
        settlement.checkpointCharged = uint64(charged);
        settlement.checkpointAt = uint40(block.timestamp);
        settlement.checkpointDeviceSequence = invoice.lastDeviceSequence;
        settlement.checkpointInspectorSequence = invoice.lastInspectorSequence;
        books.checkpoint = books.charged;
        emit IUsageMeter.InvoiceIssued(orderId, number, invoice.charged, invoice.reportsHash);
    }

    /// @dev Credits the last invoice's charges: royalties to licensors, the provider's part (less what is
    /// frozen) to the provider after the platform fee.
    function _mature(State storage s, uint64 orderId, Terms storage terms, Settlement storage settlement) private {
        Royalties storage books = s.royaltyBooks[orderId];
        LicenseTerm[] storage licenses = s.licenseTerms[orderId];
        uint256 royalties;
        for (uint256 i; i < licenses.length; ++i) {
            uint256 due = books.checkpoint[i] - books.settled[i];
            if (due != 0) {
                s.payouts[licenses[i].licensor] += due;
                royalties += due;
                books.settled[i] = books.checkpoint[i];
            }
        }
        uint256 providerPart = settlement.checkpointCharged - settlement.settled - royalties;
        uint256 paid = providerPart > settlement.frozen ? providerPart - settlement.frozen : 0;
        uint256 fee = (paid * terms.feeBps) / BPS;
        s.payouts[terms.provider] += paid - fee;
        s.platformFees += fee;
        // Cannot overflow: settled stays within the charges, below 2^64.
        settlement.settled += uint64(royalties + paid);
        settlement.settledDeviceSequence = settlement.checkpointDeviceSequence;
        settlement.settledInspectorSequence = settlement.checkpointInspectorSequence;
        settlement.checkpointAt = 0;
        uint32 number = terms.invoiceCount;
        IUsageMeter.Invoice storage invoice = s.invoices[orderId][number];
        if (invoice.settledAt == 0) invoice.settledAt = uint40(block.timestamp);
        invoice.providerNet += uint64(paid - fee);
        invoice.platformFee += uint64(fee);
        invoice.heldBack = uint64(providerPart - paid);
        emit IUsageMeter.InvoiceSettled(orderId, number, paid - fee, fee, royalties, providerPart - paid);
    }

    /// @dev A closed order whose charges are all paid out or refunded and has no open dispute is settled:
    /// it no longer counts as an obligation of its consumer and provider, and the token releases its hold on
    /// the payer's account (taken at opening, so that nothing owed to it could be stranded by its removal).
    function _finishIfDone(State storage s, IERC20 token, uint64 orderId) private {
        Terms storage terms = s.terms[orderId];
        if (terms.status != IUsageMeter.OrderStatus.Closed) return;
        Settlement storage settlement = s.settlements[orderId];
        if (settlement.openDisputes != 0 || settlement.settled != _charged(terms, s.hot[orderId].meter)) return;
        terms.status = IUsageMeter.OrderStatus.Settled;
        --s.obligations[terms.consumer];
        --s.obligations[terms.provider];
        LicenseTerm[] storage licenses = s.licenseTerms[orderId];
        for (uint256 i; i < licenses.length; ++i) {
            --s.obligations[licenses[i].licensor];
        }
        ISettlementToken(address(token)).releaseTo(terms.payer, 0);
    }

    /// @dev Reverts unless report `sequence` of the `kind` stream is recorded, not settled, and, if the pending
    /// invoice covers it, inside that invoice's dispute window (whether or not someone settled since).
    function _requireDisputable(
        State storage s,
        uint64 orderId,
        Terms storage terms,
        KeyKind kind,
        uint32 sequence,
        MeterWord word
    ) private view {
        Settlement storage settlement = s.settlements[orderId];
        bool device = kind == KeyKind.Device;
        uint32 last = device ? word.deviceSequence() : s.hot[orderId].head.inspectorSequence();
        if (sequence == 0 || sequence > last) revert IUsageMeter.UsageMeterReportNotRecorded(orderId, sequence, last);
        uint32 settledUpTo = device ? settlement.settledDeviceSequence : settlement.settledInspectorSequence;
        if (sequence <= settledUpTo) revert IUsageMeter.UsageMeterReportSettled(orderId, sequence);
        uint32 invoicedUpTo = device ? settlement.checkpointDeviceSequence : settlement.checkpointInspectorSequence;
        if (sequence <= invoicedUpTo) {
            uint256 endsAt = uint256(settlement.checkpointAt) + terms.disputeWindow;
            if (block.timestamp >= endsAt) revert IUsageMeter.UsageMeterDisputeWindowPassed(orderId, sequence, endsAt);
        }
    }

    /// @dev What a new dispute may freeze: the provider's unsettled, unfrozen charges, but once the pending invoice's
    /// window has passed (or none is pending), only those recorded since the last invoice: charges whose window
    /// ended mature at the next settle, less what open disputes froze, and a dispute of a later report must not
    /// freeze them either.
    function _disputableProviderCharges(
        State storage s,
        uint64 orderId,
        Terms storage terms,
        MeterWord word
    ) private view returns (uint256 free) {
        free = _unfrozenProviderCharges(s, orderId, terms, word);
        Settlement storage settlement = s.settlements[orderId];
        uint256 checkpointAt = settlement.checkpointAt;
        if (checkpointAt != 0 && block.timestamp < checkpointAt + terms.disputeWindow) return free;
        Royalties storage books = s.royaltyBooks[orderId];
        uint256 sinceInvoice =
            _charged(terms, word) - settlement.checkpointCharged - (_sum(books.charged) - _sum(books.checkpoint));
        return _min(free, sinceInvoice);
    }

    /// @dev The provider's part of the order's charges that is neither settled nor frozen.
    function _unfrozenProviderCharges(
        State storage s,
        uint64 orderId,
        Terms storage terms,
        MeterWord word
    ) private view returns (uint256) {
        Settlement storage settlement = s.settlements[orderId];
        Royalties storage books = s.royaltyBooks[orderId];
        return
            _charged(terms, word) -
            settlement.settled -
            (_sum(books.charged) - _sum(books.settled)) -
            settlement.frozen;
    }

    /// @dev Charged so far, royalties included, net of dispute refunds.
    function _charged(Terms storage terms, MeterWord word) private view returns (uint256) {
        return uint256(terms.escrow) - terms.disputeRefunds - terms.returned - word.available();
    }

    function _sum(uint64[4] storage values) private view returns (uint256) {
        return uint256(values[0]) + values[1] + values[2] + values[3];
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
