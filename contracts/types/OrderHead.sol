// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The head of a usage-meter order, one storage word: what every report reads of its order. Bits 0-63
/// the machine id, 64-95 the tariff version (the two are the key of the order's tariff), 96-135 the expiry,
/// 136-167 the inspector stream's last sequence, 168-207 its mark, 208-247 the opening time, 248-255 flags (bit 0
/// open for reports, bit 3 capped, bits 4-6 the licence count). Only opening, closing and inspector reports write
/// it; the device stream lives in the order's {MeterWord}.
/// @dev A stream's mark is where its next period may start: the end of its last recorded period, and the order's
/// opening time before its first.
type OrderHead is uint256;

using OrderHeadLibrary for OrderHead global;

// The layout, at file level so that the meter's report-path assembly reads the same bits (inline assembly reads
// only constants that are plain numbers, hence the masks written out).
uint256 constant ORDER_HEAD_MACHINE_ID_MASK = 0xffffffffffffffff;
uint256 constant ORDER_HEAD_TARIFF_VERSION_OFFSET = 64;
/// @dev The machine id and the tariff version above it: the tariff's key.
uint256 constant ORDER_HEAD_TARIFF_KEY_MASK = 0xffffffffffffffffffffffff;
uint256 constant ORDER_HEAD_EXPIRY_OFFSET = 96;
uint256 constant ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET = 136;
uint256 constant ORDER_HEAD_INSPECTOR_MARK_OFFSET = 168;
uint256 constant ORDER_HEAD_OPENED_AT_OFFSET = 208;
uint256 constant ORDER_HEAD_FLAGS_OFFSET = 248;
/// @dev The expiry, the inspector mark and the opening time are Unix seconds in 40 bits.
uint256 constant ORDER_HEAD_TIME_MASK = 0xffffffffff;
uint256 constant ORDER_HEAD_INSPECTOR_SEQUENCE_MASK = 0xffffffff;
/// @dev The inspector stream, its sequence and mark (72 bits from {ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET}).
uint256 constant ORDER_HEAD_INSPECTOR_STREAM_MASK = 0xffffffffffffffffff;
// Bits of the flags byte.
uint256 constant ORDER_HEAD_OPEN = 1;
uint256 constant ORDER_HEAD_CAPPED = 8;
uint256 constant ORDER_HEAD_LICENSES_OFFSET = 4;
uint256 constant ORDER_HEAD_LICENSES_MASK = 7;

/// @title OrderHeadLibrary
/// @notice Named fields of an {OrderHead}.
library OrderHeadLibrary {
    /// @notice The key of a machine's tariff version, as an order's head holds it in its low 96 bits.
    function tariffKeyOf(uint64 machineId_, uint32 tariffVersion_) internal pure returns (bytes32) {
        return bytes32(uint256(machineId_) | (uint256(tariffVersion_) << ORDER_HEAD_TARIFF_VERSION_OFFSET));
    }

    function machineId(OrderHead head) internal pure returns (uint64) {
        return uint64(OrderHead.unwrap(head));
    }

    function tariffVersion(OrderHead head) internal pure returns (uint32) {
        return uint32(OrderHead.unwrap(head) >> ORDER_HEAD_TARIFF_VERSION_OFFSET);
    }

    function tariffKey(OrderHead head) internal pure returns (bytes32) {
        return bytes32(OrderHead.unwrap(head) & ORDER_HEAD_TARIFF_KEY_MASK);
    }

    function expiresAt(OrderHead head) internal pure returns (uint40) {
        return uint40(OrderHead.unwrap(head) >> ORDER_HEAD_EXPIRY_OFFSET);
    }

    function inspectorSequence(OrderHead head) internal pure returns (uint32) {
        return uint32(OrderHead.unwrap(head) >> ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET);
    }

    function inspectorMark(OrderHead head) internal pure returns (uint40) {
        return uint40(OrderHead.unwrap(head) >> ORDER_HEAD_INSPECTOR_MARK_OFFSET);
    }

    function openedAt(OrderHead head) internal pure returns (uint40) {
        return uint40(OrderHead.unwrap(head) >> ORDER_HEAD_OPENED_AT_OFFSET);
    }

    function isOpen(OrderHead head) internal pure returns (bool) {
        return (OrderHead.unwrap(head) >> ORDER_HEAD_FLAGS_OFFSET) & ORDER_HEAD_OPEN != 0;
    }

    function isCapped(OrderHead head) internal pure returns (bool) {
        return (OrderHead.unwrap(head) >> ORDER_HEAD_FLAGS_OFFSET) & ORDER_HEAD_CAPPED != 0;
    }

    function licenseCount(OrderHead head) internal pure returns (uint8) {
        return
            uint8(
                ((OrderHead.unwrap(head) >> ORDER_HEAD_FLAGS_OFFSET) >> ORDER_HEAD_LICENSES_OFFSET) &
                    ORDER_HEAD_LICENSES_MASK
            );
    }

    /// @notice `head` closed for reports.
    function closed(OrderHead head) internal pure returns (OrderHead) {
        return OrderHead.wrap(OrderHead.unwrap(head) & ~(ORDER_HEAD_OPEN << ORDER_HEAD_FLAGS_OFFSET));
    }

    /// @notice `head` with the inspector stream at `sequence` and its mark at `mark`.
    function withInspectorStream(OrderHead head, uint32 sequence, uint40 mark) internal pure returns (OrderHead) {
        return
            OrderHead.wrap(
                (OrderHead.unwrap(head) & ~(ORDER_HEAD_INSPECTOR_STREAM_MASK << ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET)) |
                    (uint256(sequence) << ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET) |
                    (uint256(mark) << ORDER_HEAD_INSPECTOR_MARK_OFFSET)
            );
    }
}
