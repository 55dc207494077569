// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {UsageReport} from "./Metering.sol";

/// @notice Where a packed usage report starts in memory. A report is packed big-endian without padding, as a batch
/// of {IUsageMeter-submitReports} carries it (and `encodeReportBatch` in src/codec/batch.ts writes it): orderId
/// (8 bytes), sequence (4), periodStart (5), periodEnd (5), machineSeconds (8), units (8), inspections (4), n = the
/// number of licensed-product counts (1), the n counts (8 each), readingsRoot (32), then the signature r (32),
/// s (32), v (1): {PACKED_REPORT_SIZE} + 8n bytes.
/// @dev Read as two overlapping words: the head word, bytes 0-31 (orderId to machineSeconds), and the counts word,
/// bytes 30-61 (units, inspections, n); a field is the word shifted right by its `_SHIFT` and masked.
type PackedReport is uint256;

using PackedReportLibrary for PackedReport global;

// The layout, at file level so that the meter's report-path assembly reads the same bytes.
/// @dev Bytes of a packed report without its licensed-product counts.
uint256 constant PACKED_REPORT_SIZE = 140;
// In the head word (bytes 0-31).
uint256 constant REPORT_ORDER_ID_SHIFT = 192;
uint256 constant REPORT_SEQUENCE_SHIFT = 160;
uint256 constant REPORT_PERIOD_START_SHIFT = 120;
uint256 constant REPORT_PERIOD_END_SHIFT = 80;
uint256 constant REPORT_MACHINE_SECONDS_SHIFT = 16;
/// @dev Where the counts word starts.
uint256 constant REPORT_COUNTS_AT = 30;
// In the counts word (bytes 30-61).
uint256 constant REPORT_UNITS_SHIFT = 192;
uint256 constant REPORT_INSPECTIONS_SHIFT = 160;
uint256 constant REPORT_LICENSED_COUNT_SHIFT = 152;
/// @dev Where n is, one byte.
uint256 constant REPORT_LICENSED_COUNT_AT = 42;
/// @dev Where the first licensed-product count is; count i is at REPORT_LICENSED_AT + (i << REPORT_LICENSED_LOG2),
/// in the top {REPORT_LICENSED_SHIFT} bits of the word there.
uint256 constant REPORT_LICENSED_AT = 43;
/// @dev log2 of a count's 8 bytes.
uint256 constant REPORT_LICENSED_LOG2 = 3;
uint256 constant REPORT_LICENSED_SHIFT = 192;
// After the n counts (add n << REPORT_LICENSED_LOG2):
uint256 constant REPORT_ROOT_AT = 43;
uint256 constant REPORT_SIGNATURE_AT = 75;
// In the signature: r at 0, then
uint256 constant SIGNATURE_S_AT = 32;
uint256 constant SIGNATURE_V_AT = 64;
// Field widths.
uint256 constant REPORT_SEQUENCE_MASK = 0xffffffff;
uint256 constant REPORT_TIME_MASK = 0xffffffffff;
uint256 constant REPORT_MACHINE_SECONDS_MASK = 0xffffffffffffffff;
uint256 constant REPORT_INSPECTIONS_MASK = 0xffffffff;
uint256 constant REPORT_LICENSED_COUNT_MASK = 0xff;

/// @title PackedReportLibrary
/// @notice Named fields of a {PackedReport}, and the packing of a report.
library PackedReportLibrary {
    /// @notice `report` and `signature_` packed into fresh memory. n's byte holds a count of up to 255; more
    /// counts are packed all the same (n's byte then holds the count modulo 256), for {UsageReportHash}, which is
    /// given the count.
    function pack(UsageReport calldata report, bytes calldata signature_) internal pure returns (PackedReport p) {
        uint64[] calldata counts = report.licensedProducts;
        uint256 n = counts.length;
        uint256 head =
            (uint256(report.orderId) << REPORT_ORDER_ID_SHIFT) |
                (uint256(report.sequence) << REPORT_SEQUENCE_SHIFT) |
                (uint256(report.periodStart) << REPORT_PERIOD_START_SHIFT) |
                (uint256(report.periodEnd) << REPORT_PERIOD_END_SHIFT) |
                (uint256(report.machineSeconds) << REPORT_MACHINE_SECONDS_SHIFT);
        uint256 countsWord =
            (uint256(report.units) << REPORT_UNITS_SHIFT) |
                (uint256(report.inspections) << REPORT_INSPECTIONS_SHIFT) |
                ((n & REPORT_LICENSED_COUNT_MASK) << REPORT_LICENSED_COUNT_SHIFT);
        bytes32 root = report.readingsRoot;
        // Each field is written with a whole-word store, in order, so that every byte up to the signature is
        // written (the counts word over the head word's last two bytes, each count over the zeros after the one
        // before it): the memory needs no clearing.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(
                0x40,
                and(
                    add(add(p, add(REPORT_SIGNATURE_AT, shl(REPORT_LICENSED_LOG2, n))), add(signature_.length, 31)),
                    not(31)
                )
            )
            mstore(p, head)
            mstore(add(p, REPORT_COUNTS_AT), countsWord)
        }
        for (uint256 i; i < n; ++i) {
            uint64 count = counts[i];
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                mstore(add(p, add(REPORT_LICENSED_AT, shl(REPORT_LICENSED_LOG2, i))), shl(REPORT_LICENSED_SHIFT, count))
            }
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(add(p, add(REPORT_ROOT_AT, shl(REPORT_LICENSED_LOG2, n))), root)
            calldatacopy(
                add(p, add(REPORT_SIGNATURE_AT, shl(REPORT_LICENSED_LOG2, n))),
                signature_.offset,
                signature_.length
            )
        }
    }

    function orderId(PackedReport p) internal pure returns (uint64 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := shr(REPORT_ORDER_ID_SHIFT, mload(p))
        }
    }

    function sequence(PackedReport p) internal pure returns (uint32 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := and(shr(REPORT_SEQUENCE_SHIFT, mload(p)), REPORT_SEQUENCE_MASK)
        }
    }

    function periodStart(PackedReport p) internal pure returns (uint40 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := and(shr(REPORT_PERIOD_START_SHIFT, mload(p)), REPORT_TIME_MASK)
        }
    }

    function periodEnd(PackedReport p) internal pure returns (uint40 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := and(shr(REPORT_PERIOD_END_SHIFT, mload(p)), REPORT_TIME_MASK)
        }
    }

    function machineSeconds(PackedReport p) internal pure returns (uint64 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := and(shr(REPORT_MACHINE_SECONDS_SHIFT, mload(p)), REPORT_MACHINE_SECONDS_MASK)
        }
    }

    function units(PackedReport p) internal pure returns (uint64 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := shr(REPORT_UNITS_SHIFT, mload(add(p, REPORT_COUNTS_AT)))
        }
    }

    function inspections(PackedReport p) internal pure returns (uint32 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := and(shr(REPORT_INSPECTIONS_SHIFT, mload(add(p, REPORT_COUNTS_AT))), REPORT_INSPECTIONS_MASK)
        }
    }

    /// @notice n, the number of licensed-product counts.
    function licensedCount(PackedReport p) internal pure returns (uint256 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := and(shr(REPORT_LICENSED_COUNT_SHIFT, mload(add(p, REPORT_COUNTS_AT))), REPORT_LICENSED_COUNT_MASK)
        }
    }

    /// @notice Licensed-product count `i` (below n; not checked).
    function licensedProducts(PackedReport p, uint256 i) internal pure returns (uint64 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := shr(REPORT_LICENSED_SHIFT, mload(add(p, add(REPORT_LICENSED_AT, shl(REPORT_LICENSED_LOG2, i)))))
        }
    }

    /// @notice The readings root of a report with `n` counts.
    function readingsRoot(PackedReport p, uint256 n) internal pure returns (bytes32 value) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            value := mload(add(p, add(REPORT_ROOT_AT, shl(REPORT_LICENSED_LOG2, n))))
        }
    }

    /// @notice The signature of a report with `n` counts.
    function signature(PackedReport p, uint256 n) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let at := add(p, add(REPORT_SIGNATURE_AT, shl(REPORT_LICENSED_LOG2, n)))
            r := mload(at)
            s := mload(add(at, SIGNATURE_S_AT))
            v := byte(0, mload(add(at, SIGNATURE_V_AT)))
        }
    }
}
