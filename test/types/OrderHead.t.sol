// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {
    ORDER_HEAD_CAPPED,
    ORDER_HEAD_EXPIRY_OFFSET,
    ORDER_HEAD_FLAGS_OFFSET,
    ORDER_HEAD_INSPECTOR_MARK_OFFSET,
    ORDER_HEAD_INSPECTOR_SEQUENCE_MASK,
    ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET,
    ORDER_HEAD_INSPECTOR_STREAM_MASK,
    ORDER_HEAD_LICENSES_MASK,
    ORDER_HEAD_LICENSES_OFFSET,
    ORDER_HEAD_MACHINE_ID_MASK,
    ORDER_HEAD_OPEN,
    ORDER_HEAD_OPENED_AT_OFFSET,
    ORDER_HEAD_TARIFF_KEY_MASK,
    ORDER_HEAD_TARIFF_VERSION_OFFSET,
    ORDER_HEAD_TIME_MASK,
    OrderHead,
    OrderHeadLibrary
} from "../../contracts/types/OrderHead.sol";

/// @notice Round trips of an order's head: the layout the NatSpec states (bit positions written out here as
/// numbers), the constants the meter's assembly reads, and the accessors agree, and a setter moves only its field.
contract OrderHeadTest is Test {
    struct Fields {
        uint64 machineId;
        uint32 tariffVersion;
        uint40 expiresAt;
        uint32 inspectorSequence;
        uint40 inspectorMark;
        uint40 openedAt;
        uint8 licenseCount;
        bool capped;
        bool open;
    }

    /// @dev The head as its NatSpec lays it out: 0-63, 64-95, 96-135, 136-167, 168-207, 208-247, flags from 248
    /// (bit 0 open, bit 3 capped, bits 4-6 licences).
    function _head(Fields memory f) internal pure returns (OrderHead) {
        uint256 flags = (f.open ? 1 : 0) | (f.capped ? 8 : 0) | (uint256(f.licenseCount) << 4);
        return
            OrderHead.wrap(
                uint256(f.machineId) |
                    (uint256(f.tariffVersion) << 64) |
                    (uint256(f.expiresAt) << 96) |
                    (uint256(f.inspectorSequence) << 136) |
                    (uint256(f.inspectorMark) << 168) |
                    (uint256(f.openedAt) << 208) |
                    (flags << 248)
            );
    }

    function _bounded(Fields memory f) internal pure returns (Fields memory) {
        f.licenseCount = uint8(bound(f.licenseCount, 0, 7));
        return f;
    }

    function testFuzz_AccessorsReadTheFieldsTheLayoutStates(Fields memory f) public pure {
        f = _bounded(f);
        OrderHead head = _head(f);
        assertEq(head.machineId(), f.machineId);
        assertEq(head.tariffVersion(), f.tariffVersion);
        assertEq(head.tariffKey(), OrderHeadLibrary.tariffKeyOf(f.machineId, f.tariffVersion));
        assertEq(head.expiresAt(), f.expiresAt);
        assertEq(head.inspectorSequence(), f.inspectorSequence);
        assertEq(head.inspectorMark(), f.inspectorMark);
        assertEq(head.openedAt(), f.openedAt);
        assertEq(head.licenseCount(), f.licenseCount);
        assertEq(head.isCapped(), f.capped);
        assertEq(head.isOpen(), f.open);
    }

    function testFuzz_ConstantsReadTheFieldsTheLayoutStates(Fields memory f) public pure {
        f = _bounded(f);
        uint256 head = OrderHead.unwrap(_head(f));
        assertEq(head & ORDER_HEAD_MACHINE_ID_MASK, f.machineId);
        assertEq(head & ORDER_HEAD_TARIFF_KEY_MASK, uint256(f.machineId) | (uint256(f.tariffVersion) << 64));
        assertEq((head >> ORDER_HEAD_TARIFF_VERSION_OFFSET) & 0xffffffff, f.tariffVersion);
        assertEq((head >> ORDER_HEAD_EXPIRY_OFFSET) & ORDER_HEAD_TIME_MASK, f.expiresAt);
        assertEq(
            (head >> ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET) & ORDER_HEAD_INSPECTOR_SEQUENCE_MASK,
            f.inspectorSequence
        );
        assertEq((head >> ORDER_HEAD_INSPECTOR_MARK_OFFSET) & ORDER_HEAD_TIME_MASK, f.inspectorMark);
        assertEq(
            (head >> ORDER_HEAD_INSPECTOR_SEQUENCE_OFFSET) & ORDER_HEAD_INSPECTOR_STREAM_MASK,
            uint256(f.inspectorSequence) | (uint256(f.inspectorMark) << 32)
        );
        assertEq((head >> ORDER_HEAD_OPENED_AT_OFFSET) & ORDER_HEAD_TIME_MASK, f.openedAt);
        uint256 flags = head >> ORDER_HEAD_FLAGS_OFFSET;
        assertEq(flags & ORDER_HEAD_OPEN != 0, f.open);
        assertEq(flags & ORDER_HEAD_CAPPED != 0, f.capped);
        assertEq((flags >> ORDER_HEAD_LICENSES_OFFSET) & ORDER_HEAD_LICENSES_MASK, f.licenseCount);
    }

    function testFuzz_ClosedClearsOnlyTheOpenFlag(Fields memory f) public pure {
        f = _bounded(f);
        OrderHead head = _head(f);
        f.open = false;
        assertEq(OrderHead.unwrap(head.closed()), OrderHead.unwrap(_head(f)));
    }

    function testFuzz_WithInspectorStreamSetsOnlyTheInspectorStream(
        Fields memory f,
        uint32 sequence,
        uint40 mark
    ) public pure {
        f = _bounded(f);
        OrderHead head = _head(f).withInspectorStream(sequence, mark);
        f.inspectorSequence = sequence;
        f.inspectorMark = mark;
        assertEq(OrderHead.unwrap(head), OrderHead.unwrap(_head(f)));
    }
}
