// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {
    METER_WORD_AVAILABLE_MASK,
    METER_WORD_AVAILABLE_OFFSET,
    METER_WORD_COUNTERS_MASK,
    METER_WORD_COUNTS_MASK,
    METER_WORD_DEVICE_MARK_MASK,
    METER_WORD_DEVICE_MARK_OFFSET,
    METER_WORD_DEVICE_SEQUENCE_MASK,
    METER_WORD_DEVICE_STREAM_MASK,
    METER_WORD_EXHAUSTED_BIT,
    METER_WORD_REPORTS_HASH_OFFSET,
    METER_WORD_SECONDS_MASK,
    METER_WORD_SECONDS_OFFSET,
    METER_WORD_UNITS_MASK,
    METER_WORD_UNITS_OFFSET,
    METER_WORD_USED_BIT,
    MeterWord
} from "../../contracts/types/MeterWord.sol";
import {OrderHead} from "../../contracts/types/OrderHead.sol";

/// @notice Round trips of an order's meter word: the layout the NatSpec states (bit positions written out here as
/// numbers), the constants the meter's assembly reads, and the accessors agree, and a setter moves only its field.
contract MeterWordTest is Test {
    struct Fields {
        uint24 deviceSequence;
        uint32 deviceMarkOffset;
        uint32 machineSeconds;
        uint32 units;
        uint64 available;
        bool used;
        bool exhausted;
        bytes12 reportsHash;
    }

    /// @dev The word as its NatSpec lays it out: 0-23, 24-51, 52-79, 80-111, 112-157, bits 158 and 159, 160-255.
    function _word(Fields memory f) internal pure returns (MeterWord) {
        return
            MeterWord.wrap(
                uint256(f.deviceSequence) |
                    (uint256(f.deviceMarkOffset) << 24) |
                    (uint256(f.machineSeconds) << 52) |
                    (uint256(f.units) << 80) |
                    (uint256(f.available) << 112) |
                    ((f.used ? uint256(1) : 0) << 158) |
                    ((f.exhausted ? uint256(1) : 0) << 159) |
                    (uint256(uint96(f.reportsHash)) << 160)
            );
    }

    function _bounded(Fields memory f) internal pure returns (Fields memory) {
        f.deviceMarkOffset = uint32(bound(f.deviceMarkOffset, 0, 2 ** 28 - 1));
        f.machineSeconds = uint32(bound(f.machineSeconds, 0, 2 ** 28 - 1));
        f.available = uint64(bound(f.available, 0, 2 ** 46 - 1));
        return f;
    }

    function testFuzz_AccessorsReadTheFieldsTheLayoutStates(Fields memory f, uint40 openedAt) public pure {
        f = _bounded(f);
        // An opening time plus an order's lifetime fits 40 bits (the mark is checked arithmetic).
        openedAt = uint40(bound(openedAt, 0, type(uint40).max - (2 ** 28 - 1)));
        MeterWord word = _word(f);
        assertEq(word.deviceSequence(), f.deviceSequence);
        assertEq(word.deviceMark(OrderHead.wrap(uint256(openedAt) << 208)), uint256(openedAt) + f.deviceMarkOffset);
        assertEq(word.machineSeconds(), f.machineSeconds);
        assertEq(word.units(), f.units);
        assertEq(word.available(), f.available);
        assertEq(word.isUsed(), f.used);
        assertEq(word.isExhausted(), f.exhausted);
        assertEq(word.reportsHash(), f.reportsHash);
    }

    function testFuzz_ConstantsReadTheFieldsTheLayoutStates(Fields memory f) public pure {
        f = _bounded(f);
        uint256 word = MeterWord.unwrap(_word(f));
        assertEq(word & METER_WORD_DEVICE_SEQUENCE_MASK, f.deviceSequence);
        assertEq((word >> METER_WORD_DEVICE_MARK_OFFSET) & METER_WORD_DEVICE_MARK_MASK, f.deviceMarkOffset);
        assertEq(word & METER_WORD_DEVICE_STREAM_MASK, uint256(f.deviceSequence) | (uint256(f.deviceMarkOffset) << 24));
        assertEq((word >> METER_WORD_SECONDS_OFFSET) & METER_WORD_SECONDS_MASK, f.machineSeconds);
        assertEq((word >> METER_WORD_UNITS_OFFSET) & METER_WORD_UNITS_MASK, f.units);
        assertEq(
            (word >> METER_WORD_SECONDS_OFFSET) & METER_WORD_COUNTS_MASK,
            uint256(f.machineSeconds) | (uint256(f.units) << 28)
        );
        assertEq((word >> METER_WORD_AVAILABLE_OFFSET) & METER_WORD_AVAILABLE_MASK, f.available);
        assertEq((word >> METER_WORD_USED_BIT) & 1 == 1, f.used);
        assertEq((word >> METER_WORD_EXHAUSTED_BIT) & 1 == 1, f.exhausted);
        assertEq(word >> METER_WORD_REPORTS_HASH_OFFSET, uint96(f.reportsHash));
        assertEq(word & METER_WORD_COUNTERS_MASK, word & ((1 << 160) - 1));
    }

    function testFuzz_WithAvailableSetsOnlyTheAvailableEscrow(Fields memory f, uint64 amount) public pure {
        f = _bounded(f);
        amount = uint64(bound(amount, 0, 2 ** 46 - 1));
        MeterWord word = _word(f).withAvailable(amount);
        f.available = amount;
        assertEq(MeterWord.unwrap(word), MeterWord.unwrap(_word(f)));
    }

    function testFuzz_ExhaustedSetsOnlyTheExhaustedFlag(Fields memory f) public pure {
        f = _bounded(f);
        MeterWord word = _word(f).exhausted();
        f.exhausted = true;
        assertEq(MeterWord.unwrap(word), MeterWord.unwrap(_word(f)));
    }
}
