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
import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {TariffMath} from "../libraries/TariffMath.sol";
import {UsageReportHash} from "../libraries/UsageReportHash.sol";
import {KeyKind, SignerKey} from "../types/Listing.sol";
import {Role} from "../types/Membership.sol";
import {UsageReport} from "../types/Metering.sol";
import {Tariff, UnitTier} from "../types/Tariff.sol";

/// @title UsageMeter
/// @notice Escrowed orders, device-signed usage reports, charges, disputes and payouts.
contract UsageMeter is IUsageMeter, EIP712, ERC165 {
    using SafeERC20 for IERC20;

    /// @dev A licence of an order: its licensor and the royalty locked at booking.
    struct LicenseTerm {
        uint64 licensor;
        uint96 royalty;
    }

    /// @dev Settlement of an order: what matured, the checkpoint whose window is running, what is frozen.
    struct Settlement {
        uint104 settled;
        uint104 checkpointCharged;
        uint40 checkpointAt;
        uint104 frozen;
        uint32 checkpointDeviceSequence;
        uint32 checkpointInspectorSequence;
        uint32 settledDeviceSequence;
        uint32 settledInspectorSequence;
        uint16 openDisputes;
    }

    /// @dev A tariff version of a machine, copied from the registry at the first booking (versions never change).
    struct CachedTariff {
        uint96 pricePerHour;
        uint96 pricePerUnit;
        uint8 tierCount;
        uint8 licenseCount;
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

    /// @dev A spending cap: at most `limit` per `period` seconds of reported time; `use` packs the current
    /// period's index and spending (bit 0 always set, so that the slot is never zero).
    struct Cap {
        uint96 limit;
        uint32 period;
        uint256 use;
    }

    /// @dev A report's price while it is booked.
    struct Priced {
        uint256 provider;
        uint256[] royalties;
        uint256 royaltyTotal;
        uint256 charge;
        uint256 uncharged;
    }

    struct Dispute {
        uint64 orderId;
        uint104 amount;
        bool open;
    }

    /// @inheritdoc IUsageMeter
    uint16 public constant MAX_FEE_BPS = 1000;
    /// @inheritdoc IUsageMeter
    uint32 public constant MAX_DISPUTE_WINDOW = 90 days;

    uint8 private constant USED = 1;
    uint8 private constant EXHAUSTED = 2;
    /// @dev Set in every open order's meter, so that its slot is never zero.
    uint8 private constant OPENED = 128;
    /// @dev Set in every capped order's cap use, so that its slot is never zero.
    uint256 private constant CAP_USE_SET = 1;

    IConsortium private immutable _consortium;
    IERC20 private immutable _token;
    IMachineRegistry private immutable _registry;

    mapping(uint64 orderId => Order) private _orders;
    /// @dev Each order's Meter packed into one word (see _loadMeter), read and written whole: a report
    /// costs one storage read and one write of its order's meter.
    mapping(uint64 orderId => uint256 packed) private _meters;
    mapping(uint64 orderId => Settlement) private _settlements;
    mapping(uint64 orderId => LicenseTerm[]) private _licenseTerms;
    mapping(uint64 orderId => Royalties) private _royaltyBooks;
    mapping(uint64 orderId => Cap) private _caps;
    mapping(bytes32 tariffKey => CachedTariff) private _tariffs;
    mapping(uint64 disputeId => Dispute) private _disputes;
    mapping(uint64 memberId => uint256 amount) private _payable;
    mapping(uint64 memberId => uint256 count) private _obligations;

    uint64 private _orderCount;
    uint64 private _disputeCount;
    uint16 private _feeBps;
    uint256 private _platformFees;

    /// @notice Deploys the meter; operators then register it with the Consortium.
    /// @param consortium_ The Consortium that says who is a consumer, provider, auditor, operator.
    /// @param token_ The settlement token escrow and payouts are in.
    /// @param registry_ The registry of machines, their keys and tariffs.
    constructor(IConsortium consortium_, IERC20 token_, IMachineRegistry registry_) EIP712("UsageMeter", "1") {
        _consortium = consortium_;
        _token = token_;
        _registry = registry_;
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return
            interfaceId == type(IObligations).interfaceId ||
            interfaceId == type(IUsageMeter).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IObligations
    function openObligations(uint64 memberId) external view returns (uint256 count) {
        return _obligations[memberId];
    }

    /// @inheritdoc IUsageMeter
    function getOrder(uint64 orderId) external view returns (Order memory) {
        return _orders[orderId];
    }

    /// @inheritdoc IUsageMeter
    function meterOf(uint64 orderId) external view returns (Meter memory) {
        return _loadMeter(orderId);
    }

    /// @inheritdoc IUsageMeter
    function payableTo(uint64 memberId) external view returns (uint256) {
        return _payable[memberId];
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function openOrder(OrderTerms calldata terms) external returns (uint64 orderId) {
        orderId = _open(terms);
        _token.safeTransferFrom(msg.sender, address(this), terms.budget);
    }

    /// @inheritdoc IUsageMeter
    function openOrderWithPermit(
        OrderTerms calldata terms,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint64 orderId) {
        // A permit someone front-ran has already set the allowance; the transfer below decides.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), terms.budget, deadline, v, r, s) {} catch {} // solhint-disable-line no-empty-blocks
        orderId = _open(terms);
        _token.safeTransferFrom(msg.sender, address(this), terms.budget);
    }

    /// @inheritdoc IUsageMeter
    function submitReport(UsageReport calldata report, bytes calldata signature) external returns (ReportOutcome) {
        return _record(report, signature, true);
    }

    /// @inheritdoc IUsageMeter
    function submitReports(
        UsageReport[] calldata reports,
        bytes[] calldata signatures
    ) external returns (ReportOutcome[] memory outcomes) {
        if (signatures.length != reports.length) revert UsageMeterLengthMismatch(reports.length, signatures.length);
        outcomes = new ReportOutcome[](reports.length);
        for (uint256 i; i < reports.length; ++i) {
            outcomes[i] = _record(reports[i], signatures[i], false);
        }
    }

    /// @inheritdoc IUsageMeter
    function closeOrder(uint64 orderId) external {
        uint64 member = _consortium.requireAccount(msg.sender);
        Order storage order = _orders[orderId];
        if (order.status != OrderStatus.Open) {
            if (order.status == OrderStatus.None) revert UsageMeterUnknownOrder(orderId);
            revert UsageMeterOrderNotOpen(orderId);
        }
        if (member != order.provider) {
            if (member != order.consumer) revert UsageMeterNotConsumer(orderId, member);
            if (block.timestamp < order.expiresAt) revert UsageMeterNotExpired(orderId, order.expiresAt);
        }
        Meter memory meter = _loadMeter(orderId);
        // The minimum charge tops up what the provider earned, if the order was used at all.
        if (meter.flags & USED != 0) {
            uint256 minimum = _tariffs[_tariffKey(order.machineId, order.tariffVersion)].minimumCharge;
            uint256 earned = _charged(order, meter) - _sum(_royaltyBooks[orderId].charged);
            if (earned < minimum) meter.available -= uint104(_min(minimum - earned, meter.available));
        }
        uint256 remaining = meter.available;
        meter.available = 0;
        _storeMeter(orderId, meter);
        order.status = OrderStatus.Closed;
        // Cannot overflow: refunds stay within the escrow.
        order.refunded += uint128(remaining);
        emit OrderClosed(orderId, _charged(order, meter), remaining);
        if (remaining != 0) _token.safeTransfer(order.payer, remaining);
        _finishIfDone(orderId);
    }

    /// @inheritdoc IUsageMeter
    function settle(uint64[] calldata orderIds) public {
        for (uint256 i; i < orderIds.length; ++i) {
            _settle(orderIds[i]);
        }
    }

    /// @inheritdoc IUsageMeter
    function withdraw() public returns (uint256 amount) {
        uint64 member = _consortium.requireAccount(msg.sender);
        amount = _payable[member];
        if (amount == 0) revert UsageMeterNothingToWithdraw(member);
        _payout(member, amount);
    }

    /// @inheritdoc IUsageMeter
    function settleAndWithdraw(uint64[] calldata orderIds) external returns (uint256 amount) {
        settle(orderIds);
        uint64 member = _consortium.requireAccount(msg.sender);
        amount = _payable[member];
        if (amount != 0) _payout(member, amount);
    }

    /// @inheritdoc IUsageMeter
    function withdrawPlatformFees() external returns (uint256 amount) {
        uint64 member = _consortium.requireRole(msg.sender, Role.Operator);
        amount = _platformFees;
        if (amount == 0) revert UsageMeterNothingToWithdraw(member);
        _platformFees = 0;
        emit PlatformFeesWithdrawn(member, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IUsageMeter
    function dispute(
        uint64 orderId,
        KeyKind kind,
        uint32 sequence,
        uint256 amount,
        bytes32 reasonHash
    ) external returns (uint64 disputeId) {
        uint64 member = _consortium.requireRole(msg.sender, Role.Consumer);
        Order storage order = _orders[orderId];
        if (order.status == OrderStatus.None) revert UsageMeterUnknownOrder(orderId);
        if (order.consumer != member) revert UsageMeterNotConsumer(orderId, member);
        Meter memory meter = _loadMeter(orderId);
        Settlement storage settlement = _settlements[orderId];
        uint32 last = kind == KeyKind.Device ? meter.deviceSequence : meter.inspectorSequence;
        if (sequence == 0 || sequence > last) revert UsageMeterReportNotRecorded(orderId, sequence, last);
        uint32 settledUpTo =
            kind == KeyKind.Device ? settlement.settledDeviceSequence : settlement.settledInspectorSequence;
        if (sequence <= settledUpTo) revert UsageMeterReportSettled(orderId, sequence);
        uint256 available = _unsettledProviderCharges(orderId, _charged(order, meter), settlement) - settlement.frozen;
        if (amount == 0 || amount > available) revert UsageMeterDisputeTooLarge(orderId, amount, available);
        // Cannot overflow: frozen stays below the order's charges, below 2^64.
        settlement.frozen += uint104(amount);
        ++settlement.openDisputes;
        disputeId = ++_disputeCount;
        _disputes[disputeId] = Dispute({orderId: orderId, amount: uint104(amount), open: true});
        emit ReportDisputed(orderId, disputeId, kind, sequence, amount, reasonHash);
    }

    /// @inheritdoc IUsageMeter
    function resolveDispute(uint64 disputeId, uint256 refund, bytes32 reasonHash) external {
        _consortium.requireRole(msg.sender, Role.Auditor);
        Dispute storage record = _disputes[disputeId];
        if (!record.open) revert UsageMeterUnknownDispute(disputeId);
        if (refund > record.amount) revert UsageMeterRefundTooLarge(disputeId, refund, record.amount);
        uint64 orderId = record.orderId;
        Settlement storage settlement = _settlements[orderId];
        record.open = false;
        settlement.frozen -= record.amount;
        --settlement.openDisputes;
        emit DisputeResolved(disputeId, refund, reasonHash);
        if (refund != 0) {
            // The refund comes out of the provider's unsettled charges, the checkpoint's first.
            uint256 inCheckpoint =
                settlement.checkpointCharged -
                    settlement.settled -
                    (_sum(_royaltyBooks[orderId].checkpoint) - _sum(_royaltyBooks[orderId].settled));
            settlement.checkpointCharged -= uint104(_min(refund, inCheckpoint));
            // Charged falls by the refund as refunded rises: what is available stays.
            Order storage order = _orders[orderId];
            order.refunded += uint128(refund);
            _token.safeTransfer(order.payer, refund);
        }
        _finishIfDone(orderId);
    }

    /// @inheritdoc IUsageMeter
    function setPlatformFee(uint16 feeBps) external {
        _consortium.requireRole(msg.sender, Role.Operator);
        if (feeBps > MAX_FEE_BPS) revert UsageMeterFeeTooHigh(feeBps, MAX_FEE_BPS);
        _feeBps = feeBps;
        emit PlatformFeeChanged(feeBps);
    }

    /*//////////////////////////////////////////////////////////////
                       INTERNAL READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _loadMeter(uint64 orderId) internal view returns (Meter memory meter) {
        uint256 word = _meters[orderId];
        meter.deviceSequence = uint32(word);
        meter.inspectorSequence = uint32(word >> 32);
        meter.machineSeconds = uint40(word >> 64);
        meter.units = uint40(word >> 104);
        meter.available = uint104(word >> 144);
        meter.flags = uint8(word >> 248);
    }

    function _tariffKey(uint64 machineId, uint32 version) internal pure returns (bytes32) {
        return bytes32((uint256(machineId) << 32) | version);
    }

    function _validAt(SignerKey memory key, uint256 timestamp) internal pure returns (bool) {
        return key.validFrom <= timestamp && (key.validUntil == 0 || timestamp < key.validUntil);
    }

    /// @dev Charged so far, royalties included, net of dispute refunds.
    function _charged(Order storage order, Meter memory meter) internal view returns (uint256) {
        return order.escrow - order.refunded - meter.available;
    }

    /// @dev The provider's part of the charges not yet settled (frozen ones included).
    function _unsettledProviderCharges(
        uint64 orderId,
        uint256 charged,
        Settlement storage settlement
    ) internal view returns (uint256) {
        return
            charged -
            settlement.settled -
            (_sum(_royaltyBooks[orderId].charged) - _sum(_royaltyBooks[orderId].settled));
    }

    function _sum(uint64[4] storage values) internal view returns (uint256) {
        return uint256(values[0]) + values[1] + values[2] + values[3];
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev Checks a report against its order; returns its signer's kind, or why it is rejected.
    function _check(
        UsageReport calldata report,
        bytes32 digest,
        bytes calldata signature,
        Order storage order
    ) internal view returns (KeyKind kind, RejectReason reason) {
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, signature);
        if (error != ECDSA.RecoverError.NoError) return (kind, RejectReason.InvalidSignature);
        SignerKey memory key = _registry.signerKey(signer);
        kind = key.kind;
        if (key.machineId == 0) return (kind, RejectReason.UnknownSigner);
        if (key.machineId != order.machineId) return (kind, RejectReason.SignerOfAnotherMachine);
        if (report.periodEnd < report.periodStart) return (kind, RejectReason.PeriodEndsBeforeStart);
        if (report.periodEnd > block.timestamp) return (kind, RejectReason.PeriodInFuture);
        if (report.periodEnd > order.expiresAt) return (kind, RejectReason.PeriodAfterExpiry);
        if (!_validAt(key, report.periodEnd)) return (kind, RejectReason.SignerNotValidAtPeriodEnd);
        if (kind == KeyKind.Device) {
            if (report.inspections != 0) return (kind, RejectReason.CountsNotAllowedForSigner);
            if (report.machineSeconds > report.periodEnd - report.periodStart) {
                return (kind, RejectReason.MoreSecondsThanThePeriod);
            }
        } else if (report.machineSeconds != 0 || report.units != 0 || _any(report.licensedProducts)) {
            return (kind, RejectReason.CountsNotAllowedForSigner);
        }
        uint256 counted = report.licensedProducts.length;
        if (counted != 0 && counted != order.licenseCount) {
            return (kind, RejectReason.LicensedProductsMismatch);
        }
    }

    function _any(uint64[] calldata values) internal pure returns (bool) {
        for (uint256 i; i < values.length; ++i) {
            if (values[i] != 0) return true;
        }
        return false;
    }

    /*//////////////////////////////////////////////////////////////
                     INTERNAL STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _storeMeter(uint64 orderId, Meter memory meter) internal {
        _meters[orderId] =
            uint256(meter.deviceSequence) |
            (uint256(meter.inspectorSequence) << 32) |
            (uint256(meter.machineSeconds) << 64) |
            (uint256(meter.units) << 104) |
            (uint256(meter.available) << 144) |
            (uint256(meter.flags) << 248);
    }

    function _open(OrderTerms calldata terms) internal returns (uint64 orderId) {
        uint64 consumer = _consortium.requireNewBusiness(msg.sender, Role.Consumer);
        if (terms.budget == 0 || terms.budget > type(uint64).max) revert UsageMeterInvalidBudget(terms.budget);
        if (terms.expiresAt <= block.timestamp) revert UsageMeterInvalidExpiry(terms.expiresAt);
        if (terms.disputeWindow > MAX_DISPUTE_WINDOW) {
            revert UsageMeterDisputeWindowTooLong(terms.disputeWindow, MAX_DISPUTE_WINDOW);
        }
        if (terms.capPerPeriod != 0 && terms.capPeriod == 0) {
            revert UsageMeterInvalidCap(terms.capPerPeriod, terms.capPeriod);
        }
        IMachineRegistry.BookingTerms memory booking = _registry.bookingTerms(terms.machineId);
        if (booking.tariffVersion != terms.tariffVersion) {
            revert UsageMeterTariffChanged(terms.machineId, terms.tariffVersion, booking.tariffVersion);
        }
        _cacheTariff(terms.machineId, booking.tariffVersion, booking.tariff);

        orderId = ++_orderCount;
        _orders[orderId] = Order({
            machineId: terms.machineId,
            tariffVersion: booking.tariffVersion,
            expiresAt: terms.expiresAt,
            status: OrderStatus.Open,
            licenseCount: uint8(booking.royalties.length),
            capped: terms.capPerPeriod != 0,
            disputeWindow: terms.disputeWindow,
            feeBps: _feeBps,
            payer: msg.sender,
            consumer: consumer,
            provider: booking.provider,
            escrow: terms.budget,
            refunded: 0
        });
        _storeMeter(orderId, Meter(0, 0, 0, 0, uint104(terms.budget), OPENED));
        for (uint256 i; i < booking.royalties.length; ++i) {
            _licenseTerms[orderId].push(LicenseTerm({licensor: booking.licensors[i], royalty: booking.royalties[i]}));
        }
        if (terms.capPerPeriod != 0) {
            _caps[orderId] = Cap({limit: terms.capPerPeriod, period: terms.capPeriod, use: CAP_USE_SET});
        }
        ++_obligations[consumer];
        ++_obligations[booking.provider];
        emit OrderOpened(
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

    function _cacheTariff(uint64 machineId, uint32 version, Tariff memory tariff) internal {
        CachedTariff storage cached = _tariffs[_tariffKey(machineId, version)];
        if (cached.cached) return;
        cached.pricePerHour = tariff.pricePerHour;
        cached.pricePerUnit = tariff.pricePerUnit;
        cached.tierCount = uint8(tariff.tiers.length);
        cached.licenseCount = uint8(tariff.licenseIds.length);
        cached.cached = true;
        cached.pricePerInspection = tariff.pricePerInspection;
        cached.setupFee = tariff.setupFee;
        cached.minimumCharge = tariff.minimumCharge;
        for (uint256 i; i < tariff.tiers.length; ++i) {
            cached.tiers[i] = tariff.tiers[i];
        }
    }

    function _record(
        UsageReport calldata report,
        bytes calldata signature,
        bool strict
    ) internal returns (ReportOutcome) {
        Order storage order = _orders[report.orderId];
        if (order.status != OrderStatus.Open) return _reject(strict, report, RejectReason.OrderNotOpen);
        bytes32 digest = _hashTypedDataV4(UsageReportHash.hash(report));
        (KeyKind kind, RejectReason reason) = _check(report, digest, signature, order);
        if (reason != RejectReason.None) return _reject(strict, report, reason);

        Meter memory meter = _loadMeter(report.orderId);
        {
            uint32 last = kind == KeyKind.Device ? meter.deviceSequence : meter.inspectorSequence;
            if (report.sequence <= last) {
                emit ReportDuplicate(report.orderId, kind, report.sequence);
                return ReportOutcome.Duplicate;
            }
            if (report.sequence != last + 1) return _reject(strict, report, RejectReason.SequenceGap);
        }
        if (
            uint256(meter.machineSeconds) + report.machineSeconds > type(uint40).max ||
            uint256(meter.units) + report.units > type(uint40).max
        ) return _reject(strict, report, RejectReason.CountsTooLarge);

        if (kind == KeyKind.Device) meter.deviceSequence = report.sequence;
        else meter.inspectorSequence = report.sequence;
        Priced memory priced = _price(order, meter, report);
        _book(report.orderId, order, meter, report.periodEnd, priced);
        _storeMeter(report.orderId, meter);
        emit ReportRecorded(report.orderId, kind, report.sequence, digest, priced.charge);
        return ReportOutcome.Recorded;
    }

    /// @dev Prices the report on top of the order's totals and advances the meter's counts.
    function _price(
        Order storage order,
        Meter memory meter,
        UsageReport calldata report
    ) internal view returns (Priced memory priced) {
        CachedTariff storage tariff = _tariffs[_tariffKey(order.machineId, order.tariffVersion)];
        bool used = report.machineSeconds != 0 || report.units != 0 || report.inspections != 0;
        // Cannot overflow: counts are below 2^40 in total and prices below 2^96 (see TariffMath's bounds).
        unchecked {
            uint256 before = meter.machineSeconds;
            uint256 seconds_ = before + report.machineSeconds;
            priced.provider =
                (seconds_ * tariff.pricePerHour) / TariffMath.SECONDS_PER_HOUR -
                (before * tariff.pricePerHour) / TariffMath.SECONDS_PER_HOUR;
            meter.machineSeconds = uint40(seconds_);
            if (report.units != 0) {
                UnitTier[] memory tiers = new UnitTier[](tariff.tierCount);
                for (uint256 i; i < tiers.length; ++i) {
                    tiers[i] = tariff.tiers[i];
                }
                uint64 units = meter.units + uint64(report.units);
                priced.provider +=
                    TariffMath.production(tariff.pricePerUnit, tiers, units) -
                    TariffMath.production(tariff.pricePerUnit, tiers, meter.units);
                meter.units = uint40(units);
            }
            priced.provider += uint256(report.inspections) * tariff.pricePerInspection;
        }
        if (_any(report.licensedProducts)) {
            used = true;
            (priced.royalties, priced.royaltyTotal) = _royaltiesOf(report.orderId, report.licensedProducts);
        }
        if (used && meter.flags & USED == 0) {
            priced.provider += tariff.setupFee;
            meter.flags |= USED;
        }
    }

    /// @dev Caps the price by the escrow left and the spending cap, and books it: royalties first, the
    /// provider's part takes what is left.
    function _book(
        uint64 orderId,
        Order storage order,
        Meter memory meter,
        uint40 periodEnd,
        Priced memory priced
    ) internal {
        uint256 total = priced.provider + priced.royaltyTotal;
        uint256 charge = _min(total, meter.available);
        if (charge < total) {
            meter.flags |= EXHAUSTED;
            emit OrderExhausted(orderId, total - charge);
        }
        if (order.capped) charge = _capped(orderId, periodEnd, charge, total);
        if (priced.royaltyTotal != 0) _bookRoyalties(orderId, priced.royalties, charge);
        // Cannot underflow: the charge is at most what is available.
        meter.available -= uint104(charge);
        priced.charge = charge;
        priced.uncharged = total - charge;
    }

    function _royaltiesOf(
        uint64 orderId,
        uint64[] calldata licensed
    ) internal view returns (uint256[] memory royalties, uint256 total) {
        LicenseTerm[] storage terms = _licenseTerms[orderId];
        royalties = new uint256[](licensed.length);
        for (uint256 i; i < licensed.length; ++i) {
            royalties[i] = uint256(licensed[i]) * terms[i].royalty;
            total += royalties[i];
        }
    }

    function _bookRoyalties(uint64 orderId, uint256[] memory royalties, uint256 budget) internal {
        uint64[4] storage booked = _royaltyBooks[orderId].charged;
        for (uint256 i; i < royalties.length && budget != 0; ++i) {
            uint256 amount = _min(royalties[i], budget);
            budget -= amount;
            // Cannot overflow: royalties are part of the charges, below 2^64.
            booked[i] += uint64(amount);
        }
    }

    /// @dev The charge within the order's spending cap for the period `periodEnd` falls in.
    function _capped(uint64 orderId, uint40 periodEnd, uint256 charge, uint256 total) internal returns (uint256) {
        Cap storage cap = _caps[orderId];
        uint256 limit = cap.limit;
        uint64 period = uint64(periodEnd / cap.period);
        uint256 use = cap.use;
        uint256 spent = uint64(use >> 1) == period ? use >> 65 : 0;
        uint256 allowed = limit > spent ? limit - spent : 0;
        if (charge > allowed) {
            emit SpendingCapReached(orderId, period, total - allowed);
            charge = allowed;
        }
        cap.use = CAP_USE_SET | (uint256(period) << 1) | ((spent + charge) << 65);
        return charge;
    }

    function _reject(bool strict, UsageReport calldata report, RejectReason reason) internal returns (ReportOutcome) {
        if (strict) revert UsageMeterReportRejected(report.orderId, report.sequence, reason);
        emit ReportRejected(report.orderId, report.sequence, reason);
        return ReportOutcome.Rejected;
    }

    function _settle(uint64 orderId) internal {
        Order storage order = _orders[orderId];
        if (order.status == OrderStatus.None) revert UsageMeterUnknownOrder(orderId);
        Settlement storage settlement = _settlements[orderId];
        Meter memory meter = _loadMeter(orderId);
        uint256 charged = _charged(order, meter);
        if (order.disputeWindow == 0) {
            _checkpoint(orderId, settlement, meter, charged);
            _mature(orderId, order, settlement);
        } else {
            if (settlement.checkpointAt != 0 && block.timestamp >= settlement.checkpointAt + order.disputeWindow) {
                _mature(orderId, order, settlement);
            }
            if (settlement.checkpointAt == 0 && charged != settlement.checkpointCharged) {
                _checkpoint(orderId, settlement, meter, charged);
            }
        }
        _finishIfDone(orderId);
    }

    function _checkpoint(uint64 orderId, Settlement storage settlement, Meter memory meter, uint256 charged) internal {
        // Cannot overflow: charges stay within the escrow, below 2^64.
        settlement.checkpointCharged = uint104(charged);
        settlement.checkpointAt = uint40(block.timestamp);
        settlement.checkpointDeviceSequence = meter.deviceSequence;
        settlement.checkpointInspectorSequence = meter.inspectorSequence;
        _royaltyBooks[orderId].checkpoint = _royaltyBooks[orderId].charged;
    }

    /// @dev Credits the checkpoint's charges: royalties to licensors, the provider's part (less what is
    /// frozen) to the provider after the platform fee.
    function _mature(uint64 orderId, Order storage order, Settlement storage settlement) internal {
        uint64[4] storage checkpointRoyalties = _royaltyBooks[orderId].checkpoint;
        uint64[4] storage settledRoyalties = _royaltyBooks[orderId].settled;
        LicenseTerm[] storage terms = _licenseTerms[orderId];
        uint256 royalties;
        for (uint256 i; i < terms.length; ++i) {
            uint256 due = checkpointRoyalties[i] - settledRoyalties[i];
            if (due != 0) {
                _payable[terms[i].licensor] += due;
                royalties += due;
                settledRoyalties[i] = checkpointRoyalties[i];
            }
        }
        uint256 providerPart = settlement.checkpointCharged - settlement.settled - royalties;
        uint256 paid = providerPart > settlement.frozen ? providerPart - settlement.frozen : 0;
        uint256 fee = (paid * order.feeBps) / 10_000;
        _payable[order.provider] += paid - fee;
        _platformFees += fee;
        // Cannot overflow: settled stays within the charges, below 2^64.
        settlement.settled += uint104(royalties + paid);
        settlement.settledDeviceSequence = settlement.checkpointDeviceSequence;
        settlement.settledInspectorSequence = settlement.checkpointInspectorSequence;
        settlement.checkpointAt = 0;
        if (royalties != 0 || paid != 0) emit ChargesSettled(orderId, paid - fee, fee, royalties);
    }

    /// @dev A closed order whose charges are all paid out or refunded and has no open dispute is settled:
    /// it no longer counts as an obligation of its consumer and provider.
    function _finishIfDone(uint64 orderId) internal {
        Order storage order = _orders[orderId];
        if (order.status != OrderStatus.Closed) return;
        Settlement storage settlement = _settlements[orderId];
        if (settlement.openDisputes != 0 || settlement.settled != _charged(order, _loadMeter(orderId))) return;
        order.status = OrderStatus.Settled;
        --_obligations[order.consumer];
        --_obligations[order.provider];
    }

    function _payout(uint64 member, uint256 amount) internal {
        _payable[member] = 0;
        emit PayoutWithdrawn(member, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }
}
