// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {TariffMath} from "../libraries/TariffMath.sol";
import {UsageReportHash} from "../libraries/UsageReportHash.sol";
import {KeyKind, SignerKey} from "../types/Listing.sol";
import {Role} from "../types/Membership.sol";
import {UsageReport} from "../types/Metering.sol";
import {UnitTier} from "../types/Tariff.sol";
// The layout constants are used in the report path's assembly, which solhint does not read.
// solhint-disable no-unused-import
import {
    HEAD_INSPECTOR_MARK_SHIFT,
    HEAD_INSPECTOR_SEQUENCE_SHIFT,
    HEAD_OPENED_AT_SHIFT,
    METER_DEVICE_MARK_SHIFT,
    METER_SECONDS_SHIFT,
    METER_UNITS_SHIFT,
    MeterLedger
} from "./MeterLedger.sol";
// solhint-enable no-unused-import

/// @title UsageMeter
/// @notice Escrowed orders, device-signed usage reports, charges, invoices, disputes and payouts.
/// @dev The report path lives here and touches two storage slots per report (the order's head and its meter
/// word); everything else runs in the linked MeterLedger library on the same storage.
contract UsageMeter is IUsageMeter, EIP712, ERC165 {
    using SafeERC20 for IERC20;
    using MeterLedger for MeterLedger.State;

    /// @dev What consecutive reports of a batch usually share: the signer's key and the tariff.
    struct Memo {
        bytes32 domainSeparator;
        bytes32 typeHash;
        address signer;
        /// @dev The signer's key packed: machine id (bits 0-63), valid from (64-103), valid until (104-143),
        /// kind (144-151).
        uint256 key;
        /// @dev The low 96 bits of the head of the orders the tariff below belongs to (machine id, version).
        uint256 tariffKey;
        uint256 pricePerHour;
        uint256 pricePerUnit;
        uint256 pricePerInspection;
        uint256 setupFee;
        /// @dev Units up to which production is linear (the first tier's threshold, or all).
        uint256 linearUpTo;
        UnitTier[] tiers;
    }

    /// @inheritdoc IUsageMeter
    uint16 public constant MAX_FEE_BPS = MeterLedger.MAX_FEE_BPS;
    /// @inheritdoc IUsageMeter
    uint32 public constant MAX_DISPUTE_WINDOW = MeterLedger.MAX_DISPUTE_WINDOW;
    /// @inheritdoc IUsageMeter
    uint32 public constant MAX_REPORT_GRACE = MeterLedger.MAX_REPORT_GRACE;
    /// @inheritdoc IUsageMeter
    uint32 public constant MAX_ORDER_LIFETIME = MeterLedger.MAX_ORDER_LIFETIME;

    /// @dev Bytes of a packed report without its licensed-product counts (8 bytes each).
    uint256 private constant PACKED_REPORT = 140;
    uint256 private constant MAX_LICENSES = 4;
    /// @dev Where a packed report's count of licensed products is.
    uint256 private constant LICENSED_COUNT_AT = 42;
    /// @dev The same count as a byte of the report's second word (bytes 32-63).
    uint256 private constant LICENSED_COUNT_IN_WORD_1 = 10;
    uint256 private constant KEY_VALID_FROM_SHIFT = 64;
    uint256 private constant KEY_VALID_UNTIL_SHIFT = 104;
    uint256 private constant KEY_KIND_SHIFT = 144;
    /// @dev The largest s of a signature in low-s form (half the secp256k1 group order), as ECDSA accepts.
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev keccak256(""): the hash of an empty array of licensed-product counts.
    uint256 private constant EMPTY_ARRAY_HASH = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;
    /// @dev The meter word's counters below its reports hash.
    uint256 private constant MASK_160 = (1 << 160) - 1;
    /// @dev The reason for each bit of {_check}'s failed rules, bit 0 in the first byte (RejectReason's values;
    /// 0xff for a duplicate). A period starting before the stream's mark reads as PeriodOverlapsPrevious, or as
    /// PeriodStartsBeforeOrder while the stream has no report yet.
    uint256 private constant REASON_OF_BIT = 0x0304060708050a0cff090f0d0000000000000000000000000000000000000000;

    // RejectReason's values the report path's assembly names, as plain numbers.
    uint256 private constant ORDER_NOT_OPEN = 1;
    uint256 private constant LICENSED_PRODUCTS_MISMATCH = 11;
    uint256 private constant PERIOD_STARTS_BEFORE_ORDER = 14;
    uint256 private constant PERIOD_OVERLAPS_PREVIOUS = 15;
    /// @dev Not a rejection: the report was recorded before.
    uint256 private constant DUPLICATE = 255;

    IConsortium private immutable _consortium;
    IERC20 private immutable _token;
    IMachineRegistry private immutable _registry;

    MeterLedger.State private _state;

    /// @notice Deploys the meter; operators then register it with the Consortium.
    /// @param consortium_ The Consortium that says who is a consumer, provider, auditor, operator.
    /// @param token_ The settlement token escrow and payouts are in.
    /// @param registry_ The registry of machines, their keys and tariffs.
    /// @param reportGrace_ Seconds after an order's expiry in which its late reports still land (at most
    /// {MAX_REPORT_GRACE}); operators may change it for later orders.
    constructor(
        IConsortium consortium_,
        IERC20 token_,
        IMachineRegistry registry_,
        uint32 reportGrace_
    ) EIP712("UsageMeter", "1") {
        if (reportGrace_ > MAX_REPORT_GRACE) revert UsageMeterReportGraceTooLong(reportGrace_, MAX_REPORT_GRACE);
        _consortium = consortium_;
        _token = token_;
        _registry = registry_;
        _state.reportGrace = reportGrace_;
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
        // An unwithdrawn payout is an obligation too: a member never leaves with money it could no longer reach.
        return _state.obligations[memberId] + (_state.payouts[memberId] != 0 ? 1 : 0);
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
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @inheritdoc IUsageMeter
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IUsageMeter
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IUsageMeter
    function platformFeeBps() external view returns (uint16) {
        return _state.feeBps;
    }

    /// @inheritdoc IUsageMeter
    function platformFees() external view returns (uint256) {
        return _state.platformFees;
    }

    /// @inheritdoc IUsageMeter
    function reportGrace() external view returns (uint32) {
        return _state.reportGrace;
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function openOrder(OrderTerms calldata terms) external returns (uint64 orderId) {
        orderId = _state.open(_consortium, _registry, terms);
        // Escrowed with a hold on the payer's account, which therefore cannot be removed before the order ends.
        ISettlementToken(address(_token)).escrowFrom(msg.sender, terms.budget, Role.Consumer);
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
        // Escrowed with a hold on the payer's account, which therefore cannot be removed before the order ends.
        ISettlementToken(address(_token)).escrowFrom(msg.sender, terms.budget, Role.Consumer);
    }

    /// @inheritdoc IUsageMeter
    function submitReport(UsageReport calldata report, bytes calldata signature) external returns (ReportOutcome) {
        uint256 licensed = report.licensedProducts.length;
        if (licensed > MAX_LICENSES) {
            revert UsageMeterReportRejected(report.orderId, report.sequence, RejectReason.LicensedProductsMismatch);
        }
        if (signature.length != 65) {
            revert UsageMeterReportRejected(report.orderId, report.sequence, RejectReason.InvalidSignature);
        }
        // Packed like an entry of a batch, so that both paths share one reader.
        bytes memory packed = abi.encodePacked(
            report.orderId,
            report.sequence,
            report.periodStart,
            report.periodEnd,
            report.machineSeconds,
            report.units,
            report.inspections,
            uint8(licensed)
        );
        for (uint256 i; i < licensed; ++i) {
            packed = bytes.concat(packed, bytes8(report.licensedProducts[i]));
        }
        packed = bytes.concat(packed, report.readingsRoot, signature);
        uint256 at;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            at := add(packed, 0x20)
        }
        return _record(at, _newMemo(), true);
    }

    /// @inheritdoc IUsageMeter
    function submitReports(bytes calldata batch) external returns (ReportOutcome[] memory outcomes) {
        // At most one report per PACKED_REPORT bytes; the array is cut to the reports found.
        outcomes = new ReportOutcome[](batch.length / PACKED_REPORT);
        // Each report is copied here in turn; it holds the largest one a batch can carry.
        uint256 buffer = _allocate(PACKED_REPORT + 8 * 255 + 32);
        Memo memory memo = _newMemo();
        uint256 offset;
        uint256 count;
        while (offset < batch.length) {
            offset = _copyReport(batch, offset, buffer);
            ReportOutcome outcome = _record(buffer, memo, false);
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                count := add(count, 1)
                mstore(add(outcomes, mul(count, 0x20)), outcome)
            }
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
        _state.settle(_token, orderIds);
    }

    /// @inheritdoc IUsageMeter
    function withdraw() external returns (uint256 amount) {
        return _state.withdraw(_consortium, _token, true);
    }

    /// @inheritdoc IUsageMeter
    function settleAndWithdraw(uint64[] calldata orderIds) external returns (uint256 amount) {
        _state.settle(_token, orderIds);
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

    /// @inheritdoc IUsageMeter
    function setReportGrace(uint32 reportGrace_) external {
        _state.setReportGrace(_consortium, reportGrace_);
    }

    /*//////////////////////////////////////////////////////////////
                          THE REPORT PATH
    //////////////////////////////////////////////////////////////*/

    function _newMemo() private view returns (Memo memory memo) {
        memo.domainSeparator = _domainSeparatorV4();
        memo.typeHash = UsageReportHash.USAGE_REPORT_TYPEHASH;
    }

    /// @dev Reserves `size` bytes of memory.
    function _allocate(uint256 size) private pure returns (uint256 at) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            at := mload(0x40)
            mstore(0x40, add(at, and(add(size, 31), not(31))))
        }
    }

    /// @dev Copies the packed report at `offset` of the batch to `buffer`; returns where the next one starts.
    /// Reverts if the batch ends inside the report.
    function _copyReport(bytes calldata batch, uint256 offset, uint256 buffer) private pure returns (uint256 next) {
        // Cannot overflow: offsets are bounded by the calldata's length.
        unchecked {
            if (offset + PACKED_REPORT > batch.length) revert UsageMeterMalformedBatch(offset);
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let start := add(batch.offset, offset)
            // The report's count of licensed products, 8 bytes each.
            next := add(add(offset, PACKED_REPORT), shl(3, byte(0, calldataload(add(start, LICENSED_COUNT_AT)))))
            calldatacopy(buffer, start, sub(next, offset))
        }
        if (next > batch.length) revert UsageMeterMalformedBatch(offset);
    }

    // solhint-disable function-max-lines
    /// @dev Records the packed report at memory `p` (layout in {IUsageMeter-submitReports}), read as two words:
    /// w0 = bytes 0-31: orderId << 192 | sequence << 160 | periodStart << 120 | periodEnd << 80 |
    /// machineSeconds << 16 | ...; w1 = bytes 30-61: units << 192 | inspections << 160 | n << 152 | ...;
    /// then n licensed-product counts (8 bytes each) from byte 43, then readingsRoot, r, s, v.
    /// The order's head and meter word (MeterLedger.Hot, layouts in MeterLedger) are read once; the meter word
    /// is written once, the head only by inspector reports. The common path is assembly on those words; what
    /// only some orders use (royalties, spending caps, tiers beyond the first threshold) is Solidity.
    function _record(uint256 p, Memo memory memo, bool strict) private returns (ReportOutcome) {
        uint256 slot;
        uint256 head;
        uint256 code;
        {
            mapping(uint64 => MeterLedger.Hot) storage hot = _state.hot;
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                let n := byte(LICENSED_COUNT_IN_WORD_1, mload(add(p, 0x20)))
                mstore(0x00, shr(192, mload(p)))
                mstore(0x20, hot.slot)
                slot := keccak256(0x00, 0x40)
                head := sload(slot)
                let orderFlags := shr(248, head)
                // Open (flag bit 0), and n either 0 or the order's licence count (flag bits 4-6).
                switch and(orderFlags, 1)
                case 0 {
                    code := ORDER_NOT_OPEN
                }
                default {
                    if and(iszero(iszero(n)), iszero(eq(n, and(shr(4, orderFlags), 7)))) {
                        code := LICENSED_PRODUCTS_MISMATCH
                    }
                }
            }
        }
        if (code != 0) return _reject(strict, p, RejectReason(code));
        bytes32 digest;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // The EIP-712 digest: UsageReportHash's struct hash under the meter's domain (both in the memo).
            let w0 := mload(p)
            let w1 := mload(add(p, 30))
            let n := and(shr(152, w1), 0xff)
            let ptr := mload(0x40)
            // keccak256(abi.encodePacked(uint64[] licensedProducts)) pads each count to a word.
            let licensedHash := EMPTY_ARRAY_HASH
            if n {
                for {
                    let i := 0
                } lt(i, n) {
                    i := add(i, 1)
                } {
                    mstore(add(ptr, shl(5, i)), shr(192, mload(add(p, add(43, shl(3, i))))))
                }
                licensedHash := keccak256(ptr, shl(5, n))
            }
            mstore(ptr, mload(add(memo, 0x20)))
            mstore(add(ptr, 0x20), shr(192, w0))
            mstore(add(ptr, 0x40), and(shr(160, w0), 0xffffffff))
            mstore(add(ptr, 0x60), and(shr(120, w0), 0xffffffffff))
            mstore(add(ptr, 0x80), and(shr(80, w0), 0xffffffffff))
            mstore(add(ptr, 0xa0), and(shr(16, w0), 0xffffffffffffffff))
            mstore(add(ptr, 0xc0), shr(192, w1))
            mstore(add(ptr, 0xe0), and(shr(160, w1), 0xffffffff))
            mstore(add(ptr, 0x100), licensedHash)
            mstore(add(ptr, 0x120), mload(add(p, add(43, shl(3, n)))))
            let structHash := keccak256(ptr, 0x140)
            // MessageHashUtils.toTypedDataHash(domainSeparator, structHash)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), mload(memo))
            mstore(add(ptr, 0x22), structHash)
            digest := keccak256(ptr, 0x42)
        }
        {
            address signer;
            // ECDSA.tryRecover's rules, in scratch memory: low s only (the high-s twin of a signature is refused),
            // and an invalid signature recovers no one.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                let tail := add(p, add(75, shl(3, byte(LICENSED_COUNT_IN_WORD_1, mload(add(p, 0x20))))))
                let s := mload(add(tail, 0x20))
                if iszero(gt(s, HALF_ORDER)) {
                    let ptr := mload(0x40)
                    mstore(ptr, digest)
                    mstore(add(ptr, 0x20), byte(0, mload(add(tail, 0x40))))
                    mstore(add(ptr, 0x40), mload(tail))
                    mstore(add(ptr, 0x60), s)
                    mstore(0x00, 0)
                    pop(staticcall(gas(), 1, ptr, 0x80, 0x00, 0x20))
                    signer := mload(0x00)
                }
            }
            if (signer == address(0)) return _reject(strict, p, RejectReason.InvalidSignature);
            if (signer != memo.signer) {
                memo.key = _packedKey(signer);
                memo.signer = signer;
            }
        }
        uint256 word;
        bool licensed;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := sload(add(slot, 1))
            // Whether any licensed-product count (8 bytes each from byte 43) is positive.
            for {
                let i := 0
                let n := byte(LICENSED_COUNT_IN_WORD_1, mload(add(p, 0x20)))
            } lt(i, n) {
                i := add(i, 1)
            } {
                if shr(192, mload(add(p, add(43, shl(3, i))))) {
                    licensed := 1
                    break
                }
            }
        }
        uint256 marked;
        (code, word, marked) = _check(p, memo.key, head, word, licensed);
        if (code != 0) {
            if (code != DUPLICATE) return _reject(strict, p, RejectReason(code));
            emit ReportDuplicate(_orderIdAt(p), KeyKind(memo.key >> KEY_KIND_SHIFT), _sequenceAt(p));
            return ReportOutcome.Duplicate;
        }
        // The head's low 96 bits, machine id and tariff version, are the tariff's key.
        if (head & MeterLedger.MASK_96 != memo.tariffKey) _loadTariff(memo, head & MeterLedger.MASK_96);
        uint256 charge;
        (word, charge) = _charge(p, memo, head, word, licensed);
        bytes32 recorded = ReportRecorded.selector;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // The reports hash, bits 160-255 of the meter word: h' = bytes12(keccak256(abi.encode(h, digest))).
            mstore(0x00, shl(160, shr(160, word)))
            mstore(0x20, digest)
            sstore(add(slot, 1), or(and(word, MASK_160), shl(160, shr(160, keccak256(0x00, 0x40)))))
            // An inspector report's sequence and mark go to the head; a device report's are in the meter word.
            if iszero(eq(marked, head)) {
                sstore(slot, marked)
            }
            // emit ReportRecorded(orderId, digest, charge)
            mstore(0x00, digest)
            mstore(0x20, charge)
            log2(0x00, 0x40, recorded, shr(192, mload(p)))
        }
        return ReportOutcome.Recorded;
    }

    /// @dev The checks of {RejectReason} after the signature (0: all pass); the meter word with the report counted
    /// (a device report's sequence, mark, machine seconds and units); and the head, with an inspector report's
    /// sequence and mark (a device report leaves it as it is). `key` is the signer's packed key (see {Memo}). Every
    /// rule sets one bit of `failed`, in the order of precedence: the lowest bit set names the reason, so the
    /// common case (all pass) costs one test. A duplicate ranks before the ordering of periods: a report sent
    /// again starts before the mark its first recording moved.
    function _check(
        uint256 p,
        uint256 key,
        uint256 head,
        uint256 word,
        bool licensed
    ) private view returns (uint256 code, uint256 counted, uint256 marked) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // The report's first word, mload(p), and the signer's kind, shr(KEY_KIND_SHIFT, key) (1: inspector),
            // are read where they are used: the stack holds no more.
            let periodStart := and(shr(120, mload(p)), 0xffffffffff)
            let periodEnd := and(shr(80, mload(p)), 0xffffffffff)
            // The stream's last number and its mark. Devices: the number in bits 0-23 of the meter word, the mark
            // as seconds after the opening (head bits 208-247) in bits 24-51. Inspectors: both in the head
            // (bits 136-167 and 168-207).
            let last := and(word, 0xffffff)
            let mark := add(
                and(shr(HEAD_OPENED_AT_SHIFT, head), 0xffffffffff),
                and(shr(METER_DEVICE_MARK_SHIFT, word), 0xfffffff)
            )
            counted := or(
                and(word, not(0xfffffffffffff)),
                or(
                    and(shr(160, mload(p)), 0xffffff),
                    shl(
                        METER_DEVICE_MARK_SHIFT,
                        and(sub(periodEnd, and(shr(HEAD_OPENED_AT_SHIFT, head), 0xffffffffff)), 0xfffffff)
                    )
                )
            )
            marked := head
            if shr(KEY_KIND_SHIFT, key) {
                last := and(shr(HEAD_INSPECTOR_SEQUENCE_SHIFT, head), 0xffffffff)
                mark := and(shr(HEAD_INSPECTOR_MARK_SHIFT, head), 0xffffffffff)
                counted := word
                marked := or(
                    and(head, not(shl(HEAD_INSPECTOR_SEQUENCE_SHIFT, 0xffffffffffffffffff))),
                    or(
                        shl(HEAD_INSPECTOR_SEQUENCE_SHIFT, and(shr(160, mload(p)), 0xffffffff)),
                        shl(HEAD_INSPECTOR_MARK_SHIFT, periodEnd)
                    )
                )
            }
            // bit 0 UnknownSigner, bit 1 SignerOfAnotherMachine (the machine id: bits 0-63 of key and head),
            // bit 10: the period starts before the stream's mark
            let failed := or(
                or(
                    iszero(and(key, 0xffffffffffffffff)),
                    shl(1, iszero(iszero(and(xor(key, head), 0xffffffffffffffff))))
                ),
                shl(10, lt(periodStart, mark))
            )
            {
                let machineSeconds := and(shr(16, mload(p)), 0xffffffffffffffff)
                // bit 2 PeriodEndsBeforeStart, bit 7 MoreSecondsThanThePeriod (devices only)
                failed := or(
                    failed,
                    or(
                        shl(2, lt(periodEnd, periodStart)),
                        shl(7, and(iszero(shr(KEY_KIND_SHIFT, key)), gt(machineSeconds, sub(periodEnd, periodStart))))
                    )
                )
                // bit 6 CountsNotAllowedForSigner: a device reports no inspections, an inspector only those
                let w1 := mload(add(p, 30))
                switch shr(KEY_KIND_SHIFT, key)
                case 0 {
                    failed := or(failed, shl(6, iszero(iszero(and(shr(160, w1), 0xffffffff)))))
                }
                default {
                    failed := or(failed, shl(6, iszero(iszero(or(or(machineSeconds, shr(192, w1)), licensed)))))
                }
            }
            // bit 3 PeriodInFuture, bit 4 PeriodAfterExpiry (the expiry: bits 96-135 of the head)
            failed := or(
                failed,
                or(shl(3, gt(periodEnd, timestamp())), shl(4, gt(periodEnd, and(shr(96, head), 0xffffffffff))))
            )
            {
                // bit 5 SignerNotValidForPeriod: the key is valid over the whole period, in [validFrom, validUntil)
                // with validUntil 0 = not revoked
                let validUntil := and(shr(KEY_VALID_UNTIL_SHIFT, key), 0xffffffffff)
                failed := or(
                    failed,
                    shl(
                        5,
                        or(
                            gt(and(shr(KEY_VALID_FROM_SHIFT, key), 0xffffffffff), periodStart),
                            and(iszero(iszero(validUntil)), iszero(lt(periodEnd, validUntil)))
                        )
                    )
                )
            }
            {
                // bit 8 a duplicate, bit 9 SequenceGap
                let sequence := and(shr(160, mload(p)), 0xffffffff)
                failed := or(failed, or(shl(8, iszero(gt(sequence, last))), shl(9, iszero(eq(sequence, add(last, 1))))))
                // bit 11 CountsTooLarge: a device's 2^24th report; machine seconds (bits 52-79, 28 bits: never more
                // than the order's lifetime) and units (bits 80-111, 32 bits) beyond their width
                let seconds_ := add(
                    and(shr(METER_SECONDS_SHIFT, word), 0xfffffff),
                    and(shr(16, mload(p)), 0xffffffffffffffff)
                )
                let units := add(and(shr(METER_UNITS_SHIFT, word), 0xffffffff), shr(192, mload(add(p, 30))))
                failed := or(
                    failed,
                    shl(
                        11,
                        or(
                            and(iszero(shr(KEY_KIND_SHIFT, key)), gt(sequence, 0xffffff)),
                            or(gt(seconds_, 0xfffffff), gt(units, 0xffffffff))
                        )
                    )
                )
                counted := or(
                    and(counted, not(shl(METER_SECONDS_SHIFT, 0xfffffffffffffff))),
                    or(shl(METER_SECONDS_SHIFT, seconds_), shl(METER_UNITS_SHIFT, units))
                )
            }
            if failed {
                // The lowest bit set: shift it down until it is bit 0.
                let bit := 0
                for {} iszero(and(shr(bit, failed), 1)) {} {
                    bit := add(bit, 1)
                }
                code := byte(bit, REASON_OF_BIT)
                if and(eq(code, PERIOD_OVERLAPS_PREVIOUS), iszero(last)) {
                    code := PERIOD_STARTS_BEFORE_ORDER
                }
            }
        }
    }

    /// @dev Prices the report (TariffMath's rules, metered cumulatively over the order), caps the price by the
    /// escrow left and the spending cap, and books it: royalties first, the provider's part takes what is
    /// left. `counted` is the meter word with the report's counts; returns it with the charge taken from the
    /// available escrow, and the charge.
    function _charge(
        uint256 p,
        Memo memory memo,
        uint256 head,
        uint256 counted,
        bool licensed
    ) private returns (uint256, uint256 charge) {
        uint256 w0;
        uint256 w1;
        uint256 total;
        uint256 tieredUnits;
        // Machine time on top of the order's seconds (rounding once over the order), units while production is
        // linear (up to the first tier's threshold), inspections, and the setup fee at first use (machine
        // seconds, units, inspections or licensed products counted). Cannot overflow: counts are below 2^32 in
        // total and prices below 2^96 (see TariffMath's bounds).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            w0 := mload(p)
            w1 := mload(add(p, 30))
            let hourly := mload(add(memo, 0xa0))
            let secondsAfter := and(shr(METER_SECONDS_SHIFT, counted), 0xfffffff)
            total := sub(
                div(mul(secondsAfter, hourly), 3600),
                div(mul(sub(secondsAfter, and(shr(16, w0), 0xffffffffffffffff)), hourly), 3600)
            )
            let units := shr(192, w1)
            if units {
                switch gt(and(shr(METER_UNITS_SHIFT, counted), 0xffffffff), mload(add(memo, 0x120)))
                case 0 {
                    total := add(total, mul(units, mload(add(memo, 0xc0))))
                }
                default {
                    tieredUnits := units
                }
            }
            total := add(total, mul(and(shr(160, w1), 0xffffffff), mload(add(memo, 0xe0))))
            // The used flag: bit 158 of the meter word.
            if iszero(and(shr(158, counted), 1)) {
                if or(licensed, or(and(shr(16, w0), 0xffffffffffffffff), shr(160, w1))) {
                    total := add(total, mload(add(memo, 0x100)))
                    counted := or(counted, shl(158, 1))
                }
            }
        }
        if (tieredUnits != 0) {
            uint64 unitsAfter = MeterLedger.units(counted);
            uint96 base = uint96(memo.pricePerUnit);
            total +=
                TariffMath.production(base, memo.tiers, unitsAfter) -
                TariffMath.production(base, memo.tiers, unitsAfter - uint64(tieredUnits));
        }
        uint256 royalties;
        if (licensed) {
            royalties = _royaltyTotal(p, w0, w1);
            total += royalties;
        }
        uint256 left = MeterLedger.available(counted);
        // The spending cap first, then the escrow: the order is exhausted only if the escrow is what fell short.
        if ((head >> MeterLedger.FLAGS_SHIFT) & MeterLedger.CAPPED != 0) {
            (charge, counted) = _capped(w0, total, left, counted);
        } else {
            charge = total;
            if (charge > left) (charge, counted) = _exhausted(w0, charge, left, counted);
        }
        if (royalties != 0) _bookRoyalties(p, w0, w1, charge);
        // Cannot underflow: the charge is at most what is left.
        unchecked {
            counted =
                (counted & ~(MeterLedger.MASK_46 << MeterLedger.AVAILABLE_SHIFT)) |
                ((left - charge) << MeterLedger.AVAILABLE_SHIFT);
        }
        return (counted, charge);
    }
    // solhint-enable function-max-lines

    /// @dev The registry's key record of `signer`, packed into one word (see {Memo}).
    function _packedKey(address signer) private view returns (uint256) {
        SignerKey memory key = _registry.signerKey(signer);
        return
            uint256(key.machineId) |
            (uint256(key.validFrom) << KEY_VALID_FROM_SHIFT) |
            (uint256(key.validUntil) << KEY_VALID_UNTIL_SHIFT) |
            (uint256(key.kind) << KEY_KIND_SHIFT);
    }

    /// @dev Loads the tariff whose key (machine id, version above it) is `key` into the memo.
    function _loadTariff(Memo memory memo, uint256 key) private view {
        MeterLedger.CachedTariff storage tariff = _state.tariffs[bytes32(key)];
        memo.tariffKey = key;
        memo.pricePerHour = tariff.pricePerHour;
        memo.pricePerUnit = tariff.pricePerUnit;
        memo.pricePerInspection = tariff.pricePerInspection;
        memo.setupFee = tariff.setupFee;
        uint256 tierCount = tariff.tierCount;
        memo.tiers = new UnitTier[](tierCount);
        for (uint256 i; i < tierCount; ++i) {
            memo.tiers[i] = tariff.tiers[i];
        }
        memo.linearUpTo = tierCount == 0 ? type(uint256).max : tariff.tiers[0].threshold;
    }

    function _licensed(uint256 p, uint256 i) private pure returns (uint256 count) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            count := shr(192, mload(add(p, add(43, shl(3, i)))))
        }
    }

    function _royaltyTotal(uint256 p, uint256 w0, uint256 w1) private view returns (uint256 total) {
        MeterLedger.LicenseTerm[] storage terms = _state.licenseTerms[uint64(w0 >> 192)];
        uint256 n = (w1 >> 152) & 0xff;
        for (uint256 i; i < n; ++i) {
            total += _licensed(p, i) * terms[i].royalty;
        }
    }

    function _bookRoyalties(uint256 p, uint256 w0, uint256 w1, uint256 budget) private {
        uint64 orderId = uint64(w0 >> 192);
        MeterLedger.LicenseTerm[] storage terms = _state.licenseTerms[orderId];
        uint64[4] storage booked = _state.royaltyBooks[orderId].charged;
        uint256 n = (w1 >> 152) & 0xff;
        for (uint256 i; i < n && budget != 0; ++i) {
            uint256 royalty = _licensed(p, i) * terms[i].royalty;
            uint256 amount = royalty < budget ? royalty : budget;
            budget -= amount;
            // Cannot overflow: royalties are part of the charges, below 2^64.
            booked[i] += uint64(amount);
        }
    }

    /// @dev The charge of a report priced `total` within the order's spending cap for the period its period end
    /// falls in (a stream's periods only move forward, so no report can reach back into an earlier period), then
    /// within the escrow `left`; books it against the cap.
    function _capped(
        uint256 w0,
        uint256 total,
        uint256 left,
        uint256 counted
    ) private returns (uint256 charge, uint256) {
        uint64 orderId = uint64(w0 >> 192);
        MeterLedger.Cap storage cap = _state.caps[orderId];
        uint256 limit = cap.limit;
        uint64 period = uint64(((w0 >> 80) & MeterLedger.MASK_40) / cap.period);
        uint256 spent = cap.spent[period];
        uint256 allowed = limit > spent ? limit - spent : 0;
        charge = total;
        if (charge > allowed) {
            emit SpendingCapReached(orderId, period, total - allowed);
            charge = allowed;
        }
        if (charge > left) (charge, counted) = _exhausted(w0, charge, left, counted);
        cap.spent[period] = spent + charge;
        return (charge, counted);
    }

    /// @dev What is `left` of the escrow, for a report whose (capped) price `charge` is more: the order is exhausted.
    function _exhausted(uint256 w0, uint256 charge, uint256 left, uint256 counted) private returns (uint256, uint256) {
        emit OrderExhausted(uint64(w0 >> 192), charge - left);
        return (left, counted | MeterLedger.EXHAUSTED);
    }

    /// @dev Rejects the report at memory `p`: reverts if it was submitted alone, else emits.
    function _reject(bool strict, uint256 p, RejectReason reason) private returns (ReportOutcome) {
        uint64 orderId = _orderIdAt(p);
        uint32 sequence = _sequenceAt(p);
        if (strict) revert UsageMeterReportRejected(orderId, sequence, reason);
        emit ReportRejected(orderId, sequence, reason);
        return ReportOutcome.Rejected;
    }

    function _orderIdAt(uint256 p) private pure returns (uint64 orderId) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            orderId := shr(192, mload(p))
        }
    }

    function _sequenceAt(uint256 p) private pure returns (uint32 sequence) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sequence := and(shr(160, mload(p)), 0xffffffff)
        }
    }
}
