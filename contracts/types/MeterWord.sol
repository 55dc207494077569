// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderHead} from "./OrderHead.sol";

/// @notice The meter word of a usage-meter order, the one storage word every report writes: bits 0-23 the device
/// stream's last sequence, 24-51 its mark (seconds after the opening, see {OrderHead}), 52-79 machine seconds,
/// 80-111 units, 112-157 the escrow available, bit 158 used (the setup fee was charged), bit 159 exhausted, 160-255
/// the reports hash (the order's hash chain of recorded digests).
/// @dev The widths are what the rules bound: an order lives less than 2^28 seconds, so the device mark and machine
/// seconds (never more than the time since opening) fit 28 bits; a budget is below 2^46; the meter refuses a
/// 2^24th device report and units beyond 2^32 (CountsTooLarge).
type MeterWord is uint256;

using MeterWordLibrary for MeterWord global;

// The layout, at file level so that the meter's report-path assembly reads the same bits.
uint256 constant METER_WORD_DEVICE_SEQUENCE_MASK = 0xffffff;
uint256 constant METER_WORD_DEVICE_MARK_OFFSET = 24;
uint256 constant METER_WORD_DEVICE_MARK_MASK = 0xfffffff;
/// @dev The device stream, its sequence and mark (bits 0-51).
uint256 constant METER_WORD_DEVICE_STREAM_MASK = 0xfffffffffffff;
uint256 constant METER_WORD_SECONDS_OFFSET = 52;
uint256 constant METER_WORD_SECONDS_MASK = 0xfffffff;
uint256 constant METER_WORD_UNITS_OFFSET = 80;
uint256 constant METER_WORD_UNITS_MASK = 0xffffffff;
/// @dev Machine seconds and units (60 bits from {METER_WORD_SECONDS_OFFSET}).
uint256 constant METER_WORD_COUNTS_MASK = 0xfffffffffffffff;
uint256 constant METER_WORD_AVAILABLE_OFFSET = 112;
/// @dev An order's budget is below 2^46 base units (70 million EUR).
uint256 constant METER_WORD_AVAILABLE_MASK = 0x3fffffffffff;
uint256 constant METER_WORD_USED_BIT = 158;
uint256 constant METER_WORD_EXHAUSTED_BIT = 159;
uint256 constant METER_WORD_REPORTS_HASH_OFFSET = 160;
/// @dev Everything below the reports hash.
uint256 constant METER_WORD_COUNTERS_MASK = 0x00ffffffffffffffffffffffffffffffffffffffff;

/// @title MeterWordLibrary
/// @notice Named fields of a {MeterWord}.
library MeterWordLibrary {
    function deviceSequence(MeterWord word) internal pure returns (uint32) {
        return uint32(MeterWord.unwrap(word) & METER_WORD_DEVICE_SEQUENCE_MASK);
    }

    /// @notice The device stream's mark: the opening time in `head` plus the offset in the meter word.
    function deviceMark(MeterWord word, OrderHead head) internal pure returns (uint40) {
        return
            head.openedAt() +
            uint40((MeterWord.unwrap(word) >> METER_WORD_DEVICE_MARK_OFFSET) & METER_WORD_DEVICE_MARK_MASK);
    }

    function machineSeconds(MeterWord word) internal pure returns (uint40) {
        return uint40((MeterWord.unwrap(word) >> METER_WORD_SECONDS_OFFSET) & METER_WORD_SECONDS_MASK);
    }

    function units(MeterWord word) internal pure returns (uint40) {
        return uint40((MeterWord.unwrap(word) >> METER_WORD_UNITS_OFFSET) & METER_WORD_UNITS_MASK);
    }

    function available(MeterWord word) internal pure returns (uint256) {
        return (MeterWord.unwrap(word) >> METER_WORD_AVAILABLE_OFFSET) & METER_WORD_AVAILABLE_MASK;
    }

    function isUsed(MeterWord word) internal pure returns (bool) {
        return MeterWord.unwrap(word) & (1 << METER_WORD_USED_BIT) != 0;
    }

    function isExhausted(MeterWord word) internal pure returns (bool) {
        return MeterWord.unwrap(word) & (1 << METER_WORD_EXHAUSTED_BIT) != 0;
    }

    function reportsHash(MeterWord word) internal pure returns (bytes12) {
        return bytes12(uint96(MeterWord.unwrap(word) >> METER_WORD_REPORTS_HASH_OFFSET));
    }

    /// @notice `word` with `amount` (below 2^46, not masked) available.
    function withAvailable(MeterWord word, uint256 amount) internal pure returns (MeterWord) {
        return
            MeterWord.wrap(
                (MeterWord.unwrap(word) & ~(METER_WORD_AVAILABLE_MASK << METER_WORD_AVAILABLE_OFFSET)) |
                    (amount << METER_WORD_AVAILABLE_OFFSET)
            );
    }

    /// @notice `word` marked exhausted.
    function exhausted(MeterWord word) internal pure returns (MeterWord) {
        return MeterWord.wrap(MeterWord.unwrap(word) | (1 << METER_WORD_EXHAUSTED_BIT));
    }
}
