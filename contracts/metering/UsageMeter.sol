// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {TariffMath} from "../libraries/TariffMath.sol";
import {UsageReportHash} from "../libraries/UsageReportHash.sol";
import {KeyKind, SignerKey} from "../types/Listing.sol";
import {UsageReport} from "../types/Metering.sol";
import {UnitTier} from "../types/Tariff.sol";
import {MeterLedger} from "./MeterLedger.sol";

/// @title UsageMeter
/// @notice Escrowed orders, device-signed usage reports, charges, invoices, disputes and payouts.
/// @dev The report path lives here and touches two storage slots per report (the order's head and its meter
/// word); everything else runs in the linked MeterLedger library on the same storage.
contract UsageMeter is IUsageMeter, EIP712, ERC165 {
    using SafeERC20 for IERC20;
    using MeterLedger for MeterLedger.State;

    /// @dev A report being recorded, decoded once into memory that the whole batch reuses.
    struct Entry {
        uint64 orderId;
        uint32 sequence;
        uint40 periodStart;
        uint40 periodEnd;
        uint64 machineSeconds;
        uint64 units;
        uint32 inspections;
        uint256 licensedCount;
        uint64[4] licensed;
        bytes32 readingsRoot;
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    /// @dev What consecutive reports of a batch usually share: the signer's key and the tariff.
    struct Memo {
        bytes32 domainSeparator;
        address signer;
        SignerKey key;
        bytes32 tariffKey;
        uint256 pricePerHour;
        uint256 pricePerUnit;
        uint256 pricePerInspection;
        uint256 setupFee;
        UnitTier[] tiers;
    }

    /// @inheritdoc IUsageMeter
    uint16 public constant MAX_FEE_BPS = MeterLedger.MAX_FEE_BPS;
    /// @inheritdoc IUsageMeter
    uint32 public constant MAX_DISPUTE_WINDOW = MeterLedger.MAX_DISPUTE_WINDOW;

    /// @dev Bytes of a packed report without its licensed-product counts (8 bytes each).
    uint256 private constant PACKED_REPORT = 140;
    uint256 private constant MAX_LICENSES = 4;

    IConsortium private immutable _consortium;
    IERC20 private immutable _token;
    IMachineRegistry private immutable _registry;

    MeterLedger.State private _state;

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
        return _state.obligations[memberId];
    }

    /// @inheritdoc IUsageMeter
    function getOrder(uint64 orderId) external view returns (Order memory) {
        return _state.getOrder(orderId);
    }

    /// @inheritdoc IUsageMeter
    function meterOf(uint64 orderId) external view returns (Meter memory) {
        return _state.meterOf(orderId);
    }

    /// @inheritdoc IUsageMeter
    function invoiceOf(uint64 orderId, uint32 number) external view returns (Invoice memory) {
        return _state.invoiceOf(orderId, number);
    }

    /// @inheritdoc IUsageMeter
    function payableTo(uint64 memberId) external view returns (uint256) {
        return _state.payouts[memberId];
    }

    /// @inheritdoc IUsageMeter
    function platformFeeBps() external view returns (uint16) {
        return _state.feeBps;
    }

    /// @inheritdoc IUsageMeter
    function platformFees() external view returns (uint256) {
        return _state.platformFees;
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function openOrder(OrderTerms calldata terms) external returns (uint64 orderId) {
        orderId = _state.open(_consortium, _registry, terms);
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
        orderId = _state.open(_consortium, _registry, terms);
        _token.safeTransferFrom(msg.sender, address(this), terms.budget);
    }

    /// @inheritdoc IUsageMeter
    function submitReport(UsageReport calldata report, bytes calldata signature) external returns (ReportOutcome) {
        Entry memory entry;
        entry.orderId = report.orderId;
        entry.sequence = report.sequence;
        entry.periodStart = report.periodStart;
        entry.periodEnd = report.periodEnd;
        entry.machineSeconds = report.machineSeconds;
        entry.units = report.units;
        entry.inspections = report.inspections;
        entry.licensedCount = report.licensedProducts.length;
        for (uint256 i; i < entry.licensedCount && i < MAX_LICENSES; ++i) {
            entry.licensed[i] = report.licensedProducts[i];
        }
        entry.readingsRoot = report.readingsRoot;
        // Anything but 65 bytes leaves v zero, which no signature has: rejected as an invalid signature.
        if (signature.length == 65) {
            entry.r = bytes32(signature[0:32]);
            entry.s = bytes32(signature[32:64]);
            entry.v = uint8(signature[64]);
        }
        return _record(entry, _newMemo(), true);
    }

    /// @inheritdoc IUsageMeter
    function submitReports(bytes calldata batch) external returns (ReportOutcome[] memory outcomes) {
        // At most one report per PACKED_REPORT bytes; the array is cut to the reports found.
        outcomes = new ReportOutcome[](batch.length / PACKED_REPORT);
        Entry memory entry;
        Memo memory memo = _newMemo();
        uint256 offset;
        uint256 count;
        while (offset < batch.length) {
            offset = _decode(batch, offset, entry);
            outcomes[count++] = _record(entry, memo, false);
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(outcomes, count)
        }
    }

    /// @inheritdoc IUsageMeter
    function closeOrder(uint64 orderId) external {
        _state.close(_consortium, _token, orderId);
    }

    /// @inheritdoc IUsageMeter
    function settle(uint64[] calldata orderIds) external {
        _state.settle(orderIds);
    }

    /// @inheritdoc IUsageMeter
    function withdraw() external returns (uint256 amount) {
        return _state.withdraw(_consortium, _token, true);
    }

    /// @inheritdoc IUsageMeter
    function settleAndWithdraw(uint64[] calldata orderIds) external returns (uint256 amount) {
        _state.settle(orderIds);
        return _state.withdraw(_consortium, _token, false);
    }

    /// @inheritdoc IUsageMeter
    function withdrawPlatformFees() external returns (uint256 amount) {
        return _state.withdrawPlatformFees(_consortium, _token);
    }

    /// @inheritdoc IUsageMeter
    function dispute(
        uint64 orderId,
        KeyKind kind,
        uint32 sequence,
        uint256 amount,
        bytes32 reasonHash
    ) external returns (uint64 disputeId) {
        return _state.dispute(_consortium, orderId, kind, sequence, amount, reasonHash);
    }

    /// @inheritdoc IUsageMeter
    function resolveDispute(uint64 disputeId, uint256 refund, bytes32 reasonHash) external {
        _state.resolveDispute(_consortium, _token, disputeId, refund, reasonHash);
    }

    /// @inheritdoc IUsageMeter
    function setPlatformFee(uint16 feeBps) external {
        _state.setPlatformFee(_consortium, feeBps);
    }

    /*//////////////////////////////////////////////////////////////
                          THE REPORT PATH
    //////////////////////////////////////////////////////////////*/

    function _newMemo() private view returns (Memo memory memo) {
        memo.domainSeparator = _domainSeparatorV4();
    }

    /// @dev Decodes the packed report at `offset` (layout in {IUsageMeter-submitReports}) into `entry`;
    /// reverts if the batch ends inside it.
    function _decode(bytes calldata batch, uint256 offset, Entry memory entry) private pure returns (uint256 next) {
        if (offset + PACKED_REPORT > batch.length) revert UsageMeterMalformedBatch(offset);
        uint256 count;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let p := add(batch.offset, offset)
            let word := calldataload(p)
            mstore(entry, shr(192, word))
            mstore(add(entry, 0x20), and(shr(160, word), 0xffffffff))
            mstore(add(entry, 0x40), and(shr(120, word), 0xffffffffff))
            mstore(add(entry, 0x60), and(shr(80, word), 0xffffffffff))
            mstore(add(entry, 0x80), and(shr(16, word), 0xffffffffffffffff))
            word := calldataload(add(p, 30))
            mstore(add(entry, 0xa0), shr(192, word))
            mstore(add(entry, 0xc0), and(shr(160, word), 0xffffffff))
            count := and(shr(152, word), 0xff)
            mstore(add(entry, 0xe0), count)
            p := add(p, 43)
            let licensed := mload(add(entry, 0x100))
            for {
                let i := 0
            } lt(i, count) {
                i := add(i, 1)
            } {
                if lt(i, 4) {
                    mstore(add(licensed, mul(i, 0x20)), shr(192, calldataload(p)))
                }
                p := add(p, 8)
            }
            mstore(add(entry, 0x120), calldataload(p))
            mstore(add(entry, 0x140), calldataload(add(p, 0x20)))
            mstore(add(entry, 0x160), calldataload(add(p, 0x40)))
            mstore(add(entry, 0x180), shr(248, calldataload(add(p, 0x60))))
            next := sub(add(p, 0x61), batch.offset)
        }
        if (next > batch.length) revert UsageMeterMalformedBatch(offset);
    }

    /// @dev The EIP-712 struct hash of the entry (UsageReportHash's type), built in scratch memory.
    function _structHash(Entry memory entry) private pure returns (bytes32 structHash) {
        bytes32 typeHash = UsageReportHash.USAGE_REPORT_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let licensed := mload(add(entry, 0x100))
            let licensedHash := keccak256(licensed, mul(mload(add(entry, 0xe0)), 0x20))
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), mload(entry))
            mstore(add(ptr, 0x40), mload(add(entry, 0x20)))
            mstore(add(ptr, 0x60), mload(add(entry, 0x40)))
            mstore(add(ptr, 0x80), mload(add(entry, 0x60)))
            mstore(add(ptr, 0xa0), mload(add(entry, 0x80)))
            mstore(add(ptr, 0xc0), mload(add(entry, 0xa0)))
            mstore(add(ptr, 0xe0), mload(add(entry, 0xc0)))
            mstore(add(ptr, 0x100), licensedHash)
            mstore(add(ptr, 0x120), mload(add(entry, 0x120)))
            structHash := keccak256(ptr, 0x140)
        }
    }

    function _record(Entry memory entry, Memo memory memo, bool strict) private returns (ReportOutcome) {
        uint256 word = _state.meters[entry.orderId];
        uint256 orderFlags = MeterLedger.flags(word);
        if (orderFlags & MeterLedger.OPEN == 0) return _reject(strict, entry, RejectReason.OrderNotOpen);
        if (entry.licensedCount != 0 && entry.licensedCount != (orderFlags >> MeterLedger.LICENSES_SHIFT) & 7) {
            return _reject(strict, entry, RejectReason.LicensedProductsMismatch);
        }
        bytes32 digest = MessageHashUtils.toTypedDataHash(memo.domainSeparator, _structHash(entry));
        // The order's head, read as one word: machine id, tariff version, reports hash (MeterLedger.Head).
        MeterLedger.Head storage headSlot = _state.heads[entry.orderId];
        uint256 head;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            head := sload(headSlot.slot)
        }
        RejectReason reason = _check(entry, digest, memo, head, word);
        if (reason != RejectReason.None) return _reject(strict, entry, reason);
        return _count(entry, memo, word, head, digest, strict);
    }

    /// @dev Counts a checked entry unless it is a duplicate, out of sequence or too large.
    function _count(
        Entry memory entry,
        Memo memory memo,
        uint256 word,
        uint256 head,
        bytes32 digest,
        bool strict
    ) private returns (ReportOutcome) {
        bool device = memo.key.kind == KeyKind.Device;
        uint256 last = device ? uint32(word) : uint32(word >> MeterLedger.INSPECTOR_SEQUENCE_SHIFT);
        if (entry.sequence <= last) {
            emit ReportDuplicate(entry.orderId, memo.key.kind, entry.sequence);
            return ReportOutcome.Duplicate;
        }
        if (entry.sequence != last + 1) return _reject(strict, entry, RejectReason.SequenceGap);
        (uint256 counted, bool tooLarge) = _added(entry, word, device);
        if (tooLarge) return _reject(strict, entry, RejectReason.CountsTooLarge);
        uint256 charge;
        (word, charge) = _charge(entry, memo, head, word, counted);
        _state.meters[entry.orderId] = word;
        _chainReport(entry.orderId, head, digest);
        emit ReportRecorded(entry.orderId, digest, charge);
        return ReportOutcome.Recorded;
    }

    /// @dev Folds the digest into the order's reports hash: h' = bytes20(keccak256(h, digest)).
    function _chainReport(uint64 orderId, uint256 head, bytes32 digest) private {
        MeterLedger.Head storage headSlot = _state.heads[orderId];
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, shl(96, shr(96, head)))
            mstore(0x20, digest)
            let chained := shr(96, keccak256(0x00, 0x40))
            sstore(headSlot.slot, or(and(head, 0xffffffffffffffffffffffff), shl(96, chained)))
        }
    }

    /// @dev Checks the entry's signature, signer and counts against its order; returns why it is rejected.
    function _check(
        Entry memory entry,
        bytes32 digest,
        Memo memory memo,
        uint256 head,
        uint256 word
    ) private view returns (RejectReason) {
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, entry.v, entry.r, entry.s);
        if (error != ECDSA.RecoverError.NoError) return RejectReason.InvalidSignature;
        if (signer != memo.signer) {
            memo.key = _registry.signerKey(signer);
            memo.signer = signer;
        }
        SignerKey memory key = memo.key;
        if (key.machineId == 0) return RejectReason.UnknownSigner;
        if (key.machineId != uint64(head)) return RejectReason.SignerOfAnotherMachine;
        uint256 periodEnd = entry.periodEnd;
        if (periodEnd < entry.periodStart) return RejectReason.PeriodEndsBeforeStart;
        if (periodEnd > block.timestamp) return RejectReason.PeriodInFuture;
        if (periodEnd > uint40(word >> MeterLedger.EXPIRY_SHIFT)) return RejectReason.PeriodAfterExpiry;
        if (key.validFrom > periodEnd || (key.validUntil != 0 && periodEnd >= key.validUntil)) {
            return RejectReason.SignerNotValidAtPeriodEnd;
        }
        if (key.kind == KeyKind.Device) {
            if (entry.inspections != 0) return RejectReason.CountsNotAllowedForSigner;
            if (entry.machineSeconds > periodEnd - entry.periodStart) return RejectReason.MoreSecondsThanThePeriod;
        } else if (entry.machineSeconds != 0 || entry.units != 0 || _anyLicensed(entry)) {
            return RejectReason.CountsNotAllowedForSigner;
        }
        return RejectReason.None;
    }

    /// @dev The meter word with the entry's sequence and counts added, unless a count would overflow.
    function _added(Entry memory entry, uint256 word, bool device) private pure returns (uint256, bool) {
        uint256 seconds_ = ((word >> MeterLedger.SECONDS_SHIFT) & MeterLedger.MASK_40) + entry.machineSeconds;
        uint256 units = ((word >> MeterLedger.UNITS_SHIFT) & MeterLedger.MASK_40) + entry.units;
        if (seconds_ > MeterLedger.MASK_40 || units > MeterLedger.MASK_40) return (word, true);
        uint256 sequenceShift = device ? 0 : MeterLedger.INSPECTOR_SEQUENCE_SHIFT;
        word &= ~(
            (MeterLedger.MASK_40 << MeterLedger.SECONDS_SHIFT) |
                (MeterLedger.MASK_40 << MeterLedger.UNITS_SHIFT) |
                (MeterLedger.MASK_32 << sequenceShift)
        );
        word |=
            (seconds_ << MeterLedger.SECONDS_SHIFT) |
            (units << MeterLedger.UNITS_SHIFT) |
            (uint256(entry.sequence) << sequenceShift);
        return (word, false);
    }

    /// @dev Prices the entry on top of the order's totals (TariffMath's rules, metered cumulatively), caps
    /// the price by the escrow left and the spending cap, and books it: royalties first, the provider's part
    /// takes what is left. `word` is the meter before the entry, `counted` after its counts; returns the
    /// meter word to store and the charge.
    function _charge(
        Entry memory entry,
        Memo memory memo,
        uint256 head,
        uint256 word,
        uint256 counted
    ) private returns (uint256, uint256 charge) {
        _loadTariff(memo, head);
        uint256 price = _price(entry, memo, word, counted);
        word = counted;
        bool licensed = _anyLicensed(entry);
        uint256 royalties = licensed ? _royaltyTotal(entry) : 0;
        uint256 orderFlags = MeterLedger.flags(word);
        if (
            orderFlags & MeterLedger.USED == 0 &&
            (licensed || entry.machineSeconds != 0 || entry.units != 0 || entry.inspections != 0)
        ) {
            price += memo.setupFee;
            orderFlags |= MeterLedger.USED;
        }
        uint256 total = price + royalties;
        uint256 left = MeterLedger.available(word);
        charge = total < left ? total : left;
        if (charge < total) {
            orderFlags |= MeterLedger.EXHAUSTED;
            emit OrderExhausted(entry.orderId, total - charge);
        }
        if (orderFlags & MeterLedger.CAPPED != 0) charge = _capped(entry, charge, total);
        if (royalties != 0) _bookRoyalties(entry, charge);
        word = MeterLedger.withAvailable(word, left - charge);
        word = (word & ~(uint256(0xff) << MeterLedger.FLAGS_SHIFT)) | (orderFlags << MeterLedger.FLAGS_SHIFT);
        return (word, charge);
    }

    /// @dev The provider's price of the entry: its machine time, units and inspections priced on top of the
    /// order's totals before it (so that time rounds once over the order and units climb the tiers).
    function _price(
        Entry memory entry,
        Memo memory memo,
        uint256 before,
        uint256 counted
    ) private pure returns (uint256 price) {
        // Cannot overflow: counts are below 2^40 in total and prices below 2^96 (see TariffMath's bounds).
        unchecked {
            uint256 hourly = memo.pricePerHour;
            price =
                (((counted >> MeterLedger.SECONDS_SHIFT) & MeterLedger.MASK_40) * hourly) /
                TariffMath.SECONDS_PER_HOUR -
                (((before >> MeterLedger.SECONDS_SHIFT) & MeterLedger.MASK_40) * hourly) /
                TariffMath.SECONDS_PER_HOUR;
            if (entry.units != 0) {
                uint64 unitsAfter = uint64((counted >> MeterLedger.UNITS_SHIFT) & MeterLedger.MASK_40);
                // Below the first tier's threshold production is linear: no need to walk the tiers.
                if (memo.tiers.length == 0 || unitsAfter <= memo.tiers[0].threshold) {
                    price += uint256(entry.units) * memo.pricePerUnit;
                } else {
                    uint96 base = uint96(memo.pricePerUnit);
                    price +=
                        TariffMath.production(base, memo.tiers, unitsAfter) -
                        TariffMath.production(base, memo.tiers, unitsAfter - entry.units);
                }
            }
            price += uint256(entry.inspections) * memo.pricePerInspection;
        }
    }

    /// @dev Loads the order's tariff into the memo unless the previous report used the same one.
    function _loadTariff(Memo memory memo, uint256 head) private view {
        // The head's low 96 bits, machine id and tariff version, are the tariff's key.
        bytes32 key = bytes32(head & MeterLedger.MASK_96);
        if (key == memo.tariffKey) return;
        MeterLedger.CachedTariff storage tariff = _state.tariffs[key];
        memo.tariffKey = key;
        memo.pricePerHour = tariff.pricePerHour;
        memo.pricePerUnit = tariff.pricePerUnit;
        memo.pricePerInspection = tariff.pricePerInspection;
        memo.setupFee = tariff.setupFee;
        memo.tiers = new UnitTier[](tariff.tierCount);
        for (uint256 i; i < memo.tiers.length; ++i) {
            memo.tiers[i] = tariff.tiers[i];
        }
    }

    function _anyLicensed(Entry memory entry) private pure returns (bool) {
        for (uint256 i; i < entry.licensedCount; ++i) {
            if (entry.licensed[i] != 0) return true;
        }
        return false;
    }

    function _royaltyTotal(Entry memory entry) private view returns (uint256 total) {
        MeterLedger.LicenseTerm[] storage terms = _state.licenseTerms[entry.orderId];
        for (uint256 i; i < entry.licensedCount; ++i) {
            total += uint256(entry.licensed[i]) * terms[i].royalty;
        }
    }

    function _bookRoyalties(Entry memory entry, uint256 budget) private {
        MeterLedger.LicenseTerm[] storage terms = _state.licenseTerms[entry.orderId];
        uint64[4] storage booked = _state.royaltyBooks[entry.orderId].charged;
        for (uint256 i; i < entry.licensedCount && budget != 0; ++i) {
            uint256 royalty = uint256(entry.licensed[i]) * terms[i].royalty;
            uint256 amount = royalty < budget ? royalty : budget;
            budget -= amount;
            // Cannot overflow: royalties are part of the charges, below 2^64.
            booked[i] += uint64(amount);
        }
    }

    /// @dev The charge within the order's spending cap for the period the entry's period end falls in.
    function _capped(Entry memory entry, uint256 charge, uint256 total) private returns (uint256) {
        MeterLedger.Cap storage cap = _state.caps[entry.orderId];
        uint256 limit = cap.limit;
        uint64 period = uint64(entry.periodEnd / cap.period);
        uint256 use = cap.use;
        uint256 spent = uint64(use >> 1) == period ? use >> 65 : 0;
        uint256 allowed = limit > spent ? limit - spent : 0;
        if (charge > allowed) {
            emit SpendingCapReached(entry.orderId, period, total - allowed);
            charge = allowed;
        }
        cap.use = 1 | (uint256(period) << 1) | ((spent + charge) << 65);
        return charge;
    }

    function _reject(bool strict, Entry memory entry, RejectReason reason) private returns (ReportOutcome) {
        if (strict) revert UsageMeterReportRejected(entry.orderId, entry.sequence, reason);
        emit ReportRejected(entry.orderId, entry.sequence, reason);
        return ReportOutcome.Rejected;
    }
}
