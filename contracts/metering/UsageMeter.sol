// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {TariffMath} from "../libraries/TariffMath.sol";
import {UsageReportHash} from "../libraries/UsageReportHash.sol";
import {KeyKind} from "../types/Listing.sol";
import {Role} from "../types/Membership.sol";
import {UsageReport} from "../types/Metering.sol";
import {UnitTier} from "../types/Tariff.sol";
import {MeterLedger} from "./MeterLedger.sol";
// The layout constants are used in the report path's assembly, which solhint does not read.
// solhint-disable no-unused-import
import {
    METER_WORD_COUNTERS_MASK,
    METER_WORD_COUNTS_MASK,
    METER_WORD_DEVICE_MARK_MASK,
    METER_WORD_DEVICE_MARK_OFFSET,
    METER_WORD_DEVICE_SEQUENCE_MASK,
    METER_WORD_DEVICE_STREAM_MASK,
    METER_WORD_REPORTS_HASH_OFFSET,
    METER_WORD_SECONDS_MASK,
    METER_WORD_SECONDS_OFFSET,
    METER_WORD_UNITS_MASK,
    METER_WORD_UNITS_OFFSET,
    METER_WORD_USED_BIT,
    MeterWord
} from "../types/MeterWord.sol";
import {
    ORDER_HEAD_EXPIRY_OFFSET,
    ORDER_HEAD_FLAGS_OFFSET,
    ORDER_HEAD_INSPECTOR_MARK_OFFSET,
    ORDER_HEAD_INSPECTOR_SEQUENCE_MASK,
    ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET,
    ORDER_HEAD_INSPECTOR_STREAM_MASK,
    ORDER_HEAD_LICENSES_MASK,
    ORDER_HEAD_LICENSES_OFFSET,
    ORDER_HEAD_OPEN,
    ORDER_HEAD_OPENED_AT_OFFSET,
    ORDER_HEAD_TIME_MASK,
    OrderHead
} from "../types/OrderHead.sol";
import {
    PACKED_REPORT_SIZE,
    PackedReport,
    PackedReportLibrary,
    REPORT_COUNTS_AT,
    REPORT_INSPECTIONS_MASK,
    REPORT_INSPECTIONS_SHIFT,
    REPORT_LICENSED_AT,
    REPORT_LICENSED_COUNT_AT,
    REPORT_LICENSED_COUNT_MASK,
    REPORT_LICENSED_LOG2,
    REPORT_LICENSED_SHIFT,
    REPORT_MACHINE_SECONDS_MASK,
    REPORT_MACHINE_SECONDS_SHIFT,
    REPORT_ORDER_ID_SHIFT,
    REPORT_PERIOD_END_SHIFT,
    REPORT_PERIOD_START_SHIFT,
    REPORT_SEQUENCE_MASK,
    REPORT_SEQUENCE_SHIFT,
    REPORT_SIGNATURE_AT,
    REPORT_TIME_MASK,
    REPORT_UNITS_SHIFT,
    SIGNATURE_S_AT,
    SIGNATURE_V_AT
} from "../types/PackedReport.sol";
import {
    SIGNER_KEY_KIND_OFFSET,
    SIGNER_KEY_MACHINE_ID_MASK,
    SIGNER_KEY_TIME_MASK,
    SIGNER_KEY_VALID_FROM_OFFSET,
    SIGNER_KEY_VALID_UNTIL_OFFSET,
    SignerKeyWord,
    SignerKeyWordLibrary
} from "../types/SignerKeyWord.sol";
// solhint-enable no-unused-import

/// @title UsageMeter
/// @notice Escrowed orders, device-signed usage reports, charges, invoices, disputes and payouts.
/// @dev The report path lives here and touches two storage slots per report (the order's head and its meter
/// word); everything else runs in the linked MeterLedger library on the same storage.
contract UsageMeter is IUsageMeter, EIP712, ERC165 {
    using SafeERC20 for IERC20;
    using MeterLedger for MeterLedger.State;

    /// @dev What consecutive reports of a batch usually share: the signer's key and the tariff. The report path's
    /// assembly reads the prices at the `MEMO_*_AT` offsets below.
    struct Memo {
        bytes32 domainSeparator;
        address signer;
        SignerKeyWord key;
        /// @dev The key (see {OrderHead-tariffKey}) of the tariff below.
        bytes32 tariffKey;
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

    uint256 private constant MAX_LICENSES = 4;
    /// @dev The largest s of a signature in low-s form (half the secp256k1 group order), as ECDSA accepts.
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev The precompile that recovers a signer.
    uint256 private constant ECRECOVER = 1;
    /// @dev TariffMath.SECONDS_PER_HOUR, for the assembly.
    uint256 private constant SECONDS_PER_HOUR = 3600;
    /// @dev The meter word is the slot after the head (MeterLedger.Hot).
    uint256 private constant HOT_METER_SLOT = 1;
    // Byte offsets of {Memo}'s prices in memory (a word per field, in declaration order).
    uint256 private constant MEMO_PRICE_PER_HOUR_AT = 0x80;
    uint256 private constant MEMO_PRICE_PER_UNIT_AT = 0xa0;
    uint256 private constant MEMO_PRICE_PER_INSPECTION_AT = 0xc0;
    uint256 private constant MEMO_SETUP_FEE_AT = 0xe0;
    uint256 private constant MEMO_LINEAR_UP_TO_AT = 0x100;

    // The bits of {_check}'s failed rules, in the order of precedence (bit 0: UnknownSigner).
    uint256 private constant RULE_SIGNER_OF_ANOTHER_MACHINE = 1;
    uint256 private constant RULE_PERIOD_ENDS_BEFORE_START = 2;
    uint256 private constant RULE_PERIOD_IN_FUTURE = 3;
    uint256 private constant RULE_PERIOD_AFTER_EXPIRY = 4;
    uint256 private constant RULE_SIGNER_NOT_VALID_FOR_PERIOD = 5;
    uint256 private constant RULE_COUNTS_NOT_ALLOWED_FOR_SIGNER = 6;
    uint256 private constant RULE_MORE_SECONDS_THAN_THE_PERIOD = 7;
    uint256 private constant RULE_DUPLICATE = 8;
    uint256 private constant RULE_SEQUENCE_GAP = 9;
    uint256 private constant RULE_STARTS_BEFORE_MARK = 10;
    uint256 private constant RULE_COUNTS_TOO_LARGE = 11;
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
        if (report.licensedProducts.length > MAX_LICENSES) {
            revert UsageMeterReportRejected(report.orderId, report.sequence, RejectReason.LicensedProductsMismatch);
        }
        if (signature.length != 65) {
            revert UsageMeterReportRejected(report.orderId, report.sequence, RejectReason.InvalidSignature);
        }
        // Packed like an entry of a batch, so that both paths share one reader.
        return _record(PackedReportLibrary.pack(report, signature), _newMemo(), true);
    }

    /// @inheritdoc IUsageMeter
    function submitReports(bytes calldata batch) external returns (ReportOutcome[] memory outcomes) {
        // At most one report per PACKED_REPORT_SIZE bytes; the array is cut to the reports found.
        outcomes = new ReportOutcome[](batch.length / PACKED_REPORT_SIZE);
        // Each report is copied here in turn; it holds the largest one a batch can carry, and the word its last
        // byte is loaded with.
        PackedReport buffer = PackedReport.wrap(
            _allocate(PACKED_REPORT_SIZE + (REPORT_LICENSED_COUNT_MASK << REPORT_LICENSED_LOG2) + 32)
        );
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
    function _copyReport(
        bytes calldata batch,
        uint256 offset,
        PackedReport buffer
    ) private pure returns (uint256 next) {
        // Cannot overflow: offsets are bounded by the calldata's length.
        unchecked {
            if (offset + PACKED_REPORT_SIZE > batch.length) revert UsageMeterMalformedBatch(offset);
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let start := add(batch.offset, offset)
            // The report's count of licensed products (its first byte there), 8 bytes each.
            next := add(
                add(offset, PACKED_REPORT_SIZE),
                shl(REPORT_LICENSED_LOG2, byte(0, calldataload(add(start, REPORT_LICENSED_COUNT_AT))))
            )
            calldatacopy(buffer, start, sub(next, offset))
        }
        if (next > batch.length) revert UsageMeterMalformedBatch(offset);
    }

    // solhint-disable function-max-lines
    /// @dev Records the packed report `p` (layout and field names in {PackedReport}). The order's head and meter
    /// word ({OrderHead}, {MeterWord}) are read once; the meter word is written once, the head only by inspector
    /// reports. The common path is assembly on those words, reading their fields by the layouts' constants; what
    /// only some orders use (royalties, spending caps, tiers beyond the first threshold) is Solidity.
    function _record(PackedReport p, Memo memory memo, bool strict) private returns (ReportOutcome) {
        uint256 slot;
        OrderHead head;
        uint256 code;
        {
            mapping(uint64 => MeterLedger.Hot) storage hot = _state.hot;
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                let n := byte(0, mload(add(p, REPORT_LICENSED_COUNT_AT)))
                mstore(0x00, shr(REPORT_ORDER_ID_SHIFT, mload(p)))
                mstore(0x20, hot.slot)
                slot := keccak256(0x00, 0x40)
                head := sload(slot)
                let orderFlags := shr(ORDER_HEAD_FLAGS_OFFSET, head)
                // Open, and n either 0 or the order's licence count.
                switch and(orderFlags, ORDER_HEAD_OPEN)
                case 0 {
                    code := ORDER_NOT_OPEN
                }
                default {
                    if and(
                        iszero(iszero(n)),
                        iszero(eq(n, and(shr(ORDER_HEAD_LICENSES_OFFSET, orderFlags), ORDER_HEAD_LICENSES_MASK)))
                    ) {
                        code := LICENSED_PRODUCTS_MISMATCH
                    }
                }
            }
        }
        if (code != 0) return _reject(strict, p, RejectReason(code));
        // The EIP-712 digest: UsageReportHash's struct hash under the meter's domain (in the memo).
        bytes32 digest = MessageHashUtils.toTypedDataHash(memo.domainSeparator, UsageReportHash.hash(p));
        {
            address signer;
            // ECDSA.tryRecover's rules, in scratch memory: low s only (the high-s twin of a signature is refused),
            // and an invalid signature recovers no one.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                let sig := add(
                    p,
                    add(
                        REPORT_SIGNATURE_AT,
                        shl(REPORT_LICENSED_LOG2, byte(0, mload(add(p, REPORT_LICENSED_COUNT_AT))))
                    )
                )
                let s := mload(add(sig, SIGNATURE_S_AT))
                if iszero(gt(s, HALF_ORDER)) {
                    // The precompile's input: digest, v, r, s.
                    let ptr := mload(0x40)
                    mstore(ptr, digest)
                    mstore(add(ptr, 0x20), byte(0, mload(add(sig, SIGNATURE_V_AT))))
                    mstore(add(ptr, 0x40), mload(sig))
                    mstore(add(ptr, 0x60), s)
                    mstore(0x00, 0)
                    pop(staticcall(gas(), ECRECOVER, ptr, 0x80, 0x00, 0x20))
                    signer := mload(0x00)
                }
            }
            if (signer == address(0)) return _reject(strict, p, RejectReason.InvalidSignature);
            if (signer != memo.signer) {
                memo.key = SignerKeyWordLibrary.pack(_registry.signerKey(signer));
                memo.signer = signer;
            }
        }
        MeterWord word;
        bool licensed;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := sload(add(slot, HOT_METER_SLOT))
            // Whether any licensed-product count is positive.
            for {
                let i := 0
                let n := byte(0, mload(add(p, REPORT_LICENSED_COUNT_AT)))
            } lt(i, n) {
                i := add(i, 1)
            } {
                if shr(REPORT_LICENSED_SHIFT, mload(add(p, add(REPORT_LICENSED_AT, shl(REPORT_LICENSED_LOG2, i))))) {
                    licensed := 1
                    break
                }
            }
        }
        OrderHead marked;
        (code, word, marked) = _check(p, memo.key, head, word, licensed);
        if (code != 0) {
            if (code != DUPLICATE) return _reject(strict, p, RejectReason(code));
            emit ReportDuplicate(p.orderId(), memo.key.kind(), p.sequence());
            return ReportOutcome.Duplicate;
        }
        if (head.tariffKey() != memo.tariffKey) _loadTariff(memo, head.tariffKey());
        uint256 charge;
        (word, charge) = _charge(p, memo, head, word, licensed);
        bytes32 recorded = ReportRecorded.selector;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // The reports hash: h' = bytes12(keccak256(abi.encode(h, digest))), bytes12 being a word's top 96 bits.
            mstore(0x00, shl(METER_WORD_REPORTS_HASH_OFFSET, shr(METER_WORD_REPORTS_HASH_OFFSET, word)))
            mstore(0x20, digest)
            sstore(
                add(slot, HOT_METER_SLOT),
                or(
                    and(word, METER_WORD_COUNTERS_MASK),
                    shl(METER_WORD_REPORTS_HASH_OFFSET, shr(METER_WORD_REPORTS_HASH_OFFSET, keccak256(0x00, 0x40)))
                )
            )
            // An inspector report's sequence and mark go to the head; a device report's are in the meter word.
            if iszero(eq(marked, head)) {
                sstore(slot, marked)
            }
            // emit ReportRecorded(orderId, digest, charge)
            mstore(0x00, digest)
            mstore(0x20, charge)
            log2(0x00, 0x40, recorded, shr(REPORT_ORDER_ID_SHIFT, mload(p)))
        }
        return ReportOutcome.Recorded;
    }

    /// @dev The checks of {RejectReason} after the signature (0: all pass); the meter word with the report counted
    /// (a device report's sequence, mark, machine seconds and units); and the head, with an inspector report's
    /// sequence and mark (a device report leaves it as it is). Every rule sets one bit of `failed` (`RULE_*`), in
    /// the order of precedence: the lowest bit set names the reason, so the common case (all pass) costs one test.
    /// A duplicate ranks before the ordering of periods: a report sent again starts before the mark its first
    /// recording moved.
    function _check(
        PackedReport p,
        SignerKeyWord key,
        OrderHead head,
        MeterWord word,
        bool licensed
    ) private view returns (uint256 code, MeterWord counted, OrderHead marked) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // The report's head word, mload(p), and the signer's kind, shr(SIGNER_KEY_KIND_OFFSET, key) (1: inspector),
            // are read where they are used: the stack holds no more.
            let periodStart := and(shr(REPORT_PERIOD_START_SHIFT, mload(p)), REPORT_TIME_MASK)
            let periodEnd := and(shr(REPORT_PERIOD_END_SHIFT, mload(p)), REPORT_TIME_MASK)
            // The stream's last number and its mark: a device's in the meter word (the mark as seconds after the
            // opening in the head), an inspector's in the head.
            let last := and(word, METER_WORD_DEVICE_SEQUENCE_MASK)
            let mark := add(
                and(shr(ORDER_HEAD_OPENED_AT_OFFSET, head), ORDER_HEAD_TIME_MASK),
                and(shr(METER_WORD_DEVICE_MARK_OFFSET, word), METER_WORD_DEVICE_MARK_MASK)
            )
            counted := or(
                and(word, not(METER_WORD_DEVICE_STREAM_MASK)),
                or(
                    and(shr(REPORT_SEQUENCE_SHIFT, mload(p)), METER_WORD_DEVICE_SEQUENCE_MASK),
                    shl(
                        METER_WORD_DEVICE_MARK_OFFSET,
                        and(
                            sub(periodEnd, and(shr(ORDER_HEAD_OPENED_AT_OFFSET, head), ORDER_HEAD_TIME_MASK)),
                            METER_WORD_DEVICE_MARK_MASK
                        )
                    )
                )
            )
            marked := head
            if shr(SIGNER_KEY_KIND_OFFSET, key) {
                last := and(shr(ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET, head), ORDER_HEAD_INSPECTOR_SEQUENCE_MASK)
                mark := and(shr(ORDER_HEAD_INSPECTOR_MARK_OFFSET, head), ORDER_HEAD_TIME_MASK)
                counted := word
                marked := or(
                    and(head, not(shl(ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET, ORDER_HEAD_INSPECTOR_STREAM_MASK))),
                    or(
                        shl(
                            ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET,
                            and(shr(REPORT_SEQUENCE_SHIFT, mload(p)), REPORT_SEQUENCE_MASK)
                        ),
                        shl(ORDER_HEAD_INSPECTOR_MARK_OFFSET, periodEnd)
                    )
                )
            }
            // UnknownSigner (no key: machine id 0), SignerOfAnotherMachine (key and head hold the machine id in the
            // same bits), the period starts before the stream's mark
            let failed := or(
                or(
                    iszero(and(key, SIGNER_KEY_MACHINE_ID_MASK)),
                    shl(RULE_SIGNER_OF_ANOTHER_MACHINE, iszero(iszero(and(xor(key, head), SIGNER_KEY_MACHINE_ID_MASK))))
                ),
                shl(RULE_STARTS_BEFORE_MARK, lt(periodStart, mark))
            )
            {
                let machineSeconds := and(shr(REPORT_MACHINE_SECONDS_SHIFT, mload(p)), REPORT_MACHINE_SECONDS_MASK)
                // PeriodEndsBeforeStart, MoreSecondsThanThePeriod (devices only)
                failed := or(
                    failed,
                    or(
                        shl(RULE_PERIOD_ENDS_BEFORE_START, lt(periodEnd, periodStart)),
                        shl(
                            RULE_MORE_SECONDS_THAN_THE_PERIOD,
                            and(
                                iszero(shr(SIGNER_KEY_KIND_OFFSET, key)),
                                gt(machineSeconds, sub(periodEnd, periodStart))
                            )
                        )
                    )
                )
                // CountsNotAllowedForSigner: a device reports no inspections, an inspector only those
                let counts := mload(add(p, REPORT_COUNTS_AT))
                switch shr(SIGNER_KEY_KIND_OFFSET, key)
                case 0 {
                    failed := or(
                        failed,
                        shl(
                            RULE_COUNTS_NOT_ALLOWED_FOR_SIGNER,
                            iszero(iszero(and(shr(REPORT_INSPECTIONS_SHIFT, counts), REPORT_INSPECTIONS_MASK)))
                        )
                    )
                }
                default {
                    failed := or(
                        failed,
                        shl(
                            RULE_COUNTS_NOT_ALLOWED_FOR_SIGNER,
                            iszero(iszero(or(or(machineSeconds, shr(REPORT_UNITS_SHIFT, counts)), licensed)))
                        )
                    )
                }
            }
            // PeriodInFuture, PeriodAfterExpiry
            failed := or(
                failed,
                or(
                    shl(RULE_PERIOD_IN_FUTURE, gt(periodEnd, timestamp())),
                    shl(
                        RULE_PERIOD_AFTER_EXPIRY,
                        gt(periodEnd, and(shr(ORDER_HEAD_EXPIRY_OFFSET, head), ORDER_HEAD_TIME_MASK))
                    )
                )
            )
            {
                // SignerNotValidForPeriod: the key is valid over the whole period, in [validFrom, validUntil) with
                // validUntil 0 = not revoked
                let validUntil := and(shr(SIGNER_KEY_VALID_UNTIL_OFFSET, key), SIGNER_KEY_TIME_MASK)
                failed := or(
                    failed,
                    shl(
                        RULE_SIGNER_NOT_VALID_FOR_PERIOD,
                        or(
                            gt(and(shr(SIGNER_KEY_VALID_FROM_OFFSET, key), SIGNER_KEY_TIME_MASK), periodStart),
                            and(iszero(iszero(validUntil)), iszero(lt(periodEnd, validUntil)))
                        )
                    )
                )
            }
            {
                // A duplicate, SequenceGap
                let sequence := and(shr(REPORT_SEQUENCE_SHIFT, mload(p)), REPORT_SEQUENCE_MASK)
                failed := or(
                    failed,
                    or(
                        shl(RULE_DUPLICATE, iszero(gt(sequence, last))),
                        shl(RULE_SEQUENCE_GAP, iszero(eq(sequence, add(last, 1))))
                    )
                )
                // CountsTooLarge: a device's 2^24th report; machine seconds (never more than the order's lifetime)
                // and units beyond their widths in the meter word
                let seconds_ := add(
                    and(shr(METER_WORD_SECONDS_OFFSET, word), METER_WORD_SECONDS_MASK),
                    and(shr(REPORT_MACHINE_SECONDS_SHIFT, mload(p)), REPORT_MACHINE_SECONDS_MASK)
                )
                let units := add(
                    and(shr(METER_WORD_UNITS_OFFSET, word), METER_WORD_UNITS_MASK),
                    shr(REPORT_UNITS_SHIFT, mload(add(p, REPORT_COUNTS_AT)))
                )
                failed := or(
                    failed,
                    shl(
                        RULE_COUNTS_TOO_LARGE,
                        or(
                            and(
                                iszero(shr(SIGNER_KEY_KIND_OFFSET, key)),
                                gt(sequence, METER_WORD_DEVICE_SEQUENCE_MASK)
                            ),
                            or(gt(seconds_, METER_WORD_SECONDS_MASK), gt(units, METER_WORD_UNITS_MASK))
                        )
                    )
                )
                counted := or(
                    and(counted, not(shl(METER_WORD_SECONDS_OFFSET, METER_WORD_COUNTS_MASK))),
                    or(shl(METER_WORD_SECONDS_OFFSET, seconds_), shl(METER_WORD_UNITS_OFFSET, units))
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
        PackedReport p,
        Memo memory memo,
        OrderHead head,
        MeterWord counted,
        bool licensed
    ) private returns (MeterWord, uint256 charge) {
        uint256 total;
        uint256 tieredUnits;
        // Machine time on top of the order's seconds (rounding once over the order), units while production is
        // linear (up to the first tier's threshold), inspections, and the setup fee at first use (machine
        // seconds, units, inspections or licensed products counted). Cannot overflow: counts are below 2^32 in
        // total and prices below 2^96 (see TariffMath's bounds).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let w0 := mload(p)
            let counts := mload(add(p, REPORT_COUNTS_AT))
            let hourly := mload(add(memo, MEMO_PRICE_PER_HOUR_AT))
            let secondsAfter := and(shr(METER_WORD_SECONDS_OFFSET, counted), METER_WORD_SECONDS_MASK)
            total := sub(
                div(mul(secondsAfter, hourly), SECONDS_PER_HOUR),
                div(
                    mul(
                        sub(secondsAfter, and(shr(REPORT_MACHINE_SECONDS_SHIFT, w0), REPORT_MACHINE_SECONDS_MASK)),
                        hourly
                    ),
                    SECONDS_PER_HOUR
                )
            )
            let units := shr(REPORT_UNITS_SHIFT, counts)
            if units {
                switch gt(
                    and(shr(METER_WORD_UNITS_OFFSET, counted), METER_WORD_UNITS_MASK),
                    mload(add(memo, MEMO_LINEAR_UP_TO_AT))
                )
                case 0 {
                    total := add(total, mul(units, mload(add(memo, MEMO_PRICE_PER_UNIT_AT))))
                }
                default {
                    tieredUnits := units
                }
            }
            total := add(
                total,
                mul(
                    and(shr(REPORT_INSPECTIONS_SHIFT, counts), REPORT_INSPECTIONS_MASK),
                    mload(add(memo, MEMO_PRICE_PER_INSPECTION_AT))
                )
            )
            if iszero(and(shr(METER_WORD_USED_BIT, counted), 1)) {
                // The counts word shifted by the inspections' shift: units and inspections.
                if or(
                    licensed,
                    or(
                        and(shr(REPORT_MACHINE_SECONDS_SHIFT, w0), REPORT_MACHINE_SECONDS_MASK),
                        shr(REPORT_INSPECTIONS_SHIFT, counts)
                    )
                ) {
                    total := add(total, mload(add(memo, MEMO_SETUP_FEE_AT)))
                    counted := or(counted, shl(METER_WORD_USED_BIT, 1))
                }
            }
        }
        if (tieredUnits != 0) {
            uint64 unitsAfter = counted.units();
            uint96 base = uint96(memo.pricePerUnit);
            total +=
                TariffMath.production(base, memo.tiers, unitsAfter) -
                TariffMath.production(base, memo.tiers, unitsAfter - uint64(tieredUnits));
        }
        uint256 royalties;
        if (licensed) {
            royalties = _royaltyTotal(p);
            total += royalties;
        }
        uint256 left = counted.available();
        // The spending cap first, then the escrow: the order is exhausted only if the escrow is what fell short.
        if (head.isCapped()) {
            (charge, counted) = _capped(p, total, left, counted);
        } else {
            charge = total;
            if (charge > left) (charge, counted) = _exhausted(p, charge, left, counted);
        }
        if (royalties != 0) _bookRoyalties(p, charge);
        // Cannot underflow: the charge is at most what is left.
        unchecked {
            counted = counted.withAvailable(left - charge);
        }
        return (counted, charge);
    }
    // solhint-enable function-max-lines

    /// @dev Loads the tariff whose key (see {OrderHead-tariffKey}) is `key` into the memo.
    function _loadTariff(Memo memory memo, bytes32 key) private view {
        MeterLedger.CachedTariff storage tariff = _state.tariffs[key];
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

    function _royaltyTotal(PackedReport p) private view returns (uint256 total) {
        MeterLedger.LicenseTerm[] storage terms = _state.licenseTerms[p.orderId()];
        uint256 n = p.licensedCount();
        for (uint256 i; i < n; ++i) {
            total += uint256(p.licensedProducts(i)) * terms[i].royalty;
        }
    }

    function _bookRoyalties(PackedReport p, uint256 budget) private {
        uint64 orderId = p.orderId();
        MeterLedger.LicenseTerm[] storage terms = _state.licenseTerms[orderId];
        uint64[4] storage booked = _state.royaltyBooks[orderId].charged;
        uint256 n = p.licensedCount();
        for (uint256 i; i < n && budget != 0; ++i) {
            uint256 royalty = uint256(p.licensedProducts(i)) * terms[i].royalty;
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
        PackedReport p,
        uint256 total,
        uint256 left,
        MeterWord counted
    ) private returns (uint256 charge, MeterWord) {
        uint64 orderId = p.orderId();
        MeterLedger.Cap storage cap = _state.caps[orderId];
        uint256 limit = cap.limit;
        uint64 period = uint64(uint256(p.periodEnd()) / cap.period);
        uint256 spent = cap.spent[period];
        uint256 allowed = limit > spent ? limit - spent : 0;
        charge = total;
        if (charge > allowed) {
            emit SpendingCapReached(orderId, period, total - allowed);
            charge = allowed;
        }
        if (charge > left) (charge, counted) = _exhausted(p, charge, left, counted);
        cap.spent[period] = spent + charge;
        return (charge, counted);
    }

    /// @dev What is `left` of the escrow, for a report whose (capped) price `charge` is more: the order is exhausted.
    function _exhausted(
        PackedReport p,
        uint256 charge,
        uint256 left,
        MeterWord counted
    ) private returns (uint256, MeterWord) {
        emit OrderExhausted(p.orderId(), charge - left);
        return (left, counted.exhausted());
    }

    /// @dev Rejects the report `p`: reverts if it was submitted alone, else emits.
    function _reject(bool strict, PackedReport p, RejectReason reason) private returns (ReportOutcome) {
        uint64 orderId = p.orderId();
        uint32 sequence = p.sequence();
        if (strict) revert UsageMeterReportRejected(orderId, sequence, reason);
        emit ReportRejected(orderId, sequence, reason);
        return ReportOutcome.Rejected;
    }
}
