// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {UsageReportHash} from "../../contracts/libraries/UsageReportHash.sol";
import {UsageReport} from "../../contracts/types/Metering.sol";
import {PACKED_REPORT_SIZE, PackedReport, PackedReportLibrary} from "../../contracts/types/PackedReport.sol";

/// @notice A packed report is the batch encoding IUsageMeter-submitReports documents (written out here as
/// abi.encodePacked of the fields, as src/codec/batch.ts writes it), its accessors read the fields back, and
/// UsageReportHash's one struct hash over it is the EIP-712 struct hash written out with abi.encode, whether the
/// report arrives packed (a batch) or as a struct (packed first).
contract PackedReportTest is Test {
    uint256 internal constant MAX_FUZZED_COUNTS = 8;

    function testFuzz_PackWritesTheBatchEncodingAndTheAccessorsReadItBack(
        UsageReport memory report,
        bytes32 r,
        bytes32 s,
        uint8 v
    ) public view {
        this.checkPack(_truncated(report), abi.encodePacked(r, s, v));
    }

    function testFuzz_StructHashOfAPackedReportIsTheEIP712StructHash(UsageReport memory report, bytes32 r) public view {
        report = _truncated(report);
        bytes memory encoded = _batchEncoding(report, abi.encodePacked(r, r, uint8(27)));
        PackedReport p;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            p := add(encoded, 0x20)
        }
        assertEq(UsageReportHash.hash(p), _structHash(report));
        assertEq(this.structHashOf(report), _structHash(report));
    }

    /// @dev n's byte holds 255 counts at most; the struct form hashes any number, as abi.encode would.
    function test_StructHashOfAReportWithMoreCountsThanNsByteHolds() public view {
        UsageReport memory report;
        report.orderId = 7;
        report.licensedProducts = new uint64[](300);
        for (uint256 i; i < 300; ++i) {
            report.licensedProducts[i] = uint64(i * 1_000_003);
        }
        report.readingsRoot = keccak256("root");
        assertEq(this.structHashOf(report), _structHash(report));
        assertEq(this.licensedCountOf(report), 300 % 256);
    }

    function checkPack(UsageReport calldata report, bytes calldata signature) external pure {
        PackedReport p = PackedReportLibrary.pack(report, signature);
        uint256 n = report.licensedProducts.length;
        bytes memory expected = _batchEncoding(report, signature);
        assertEq(expected.length, PACKED_REPORT_SIZE + 8 * n);
        assertEq(_copy(p, expected.length), expected);
        assertEq(p.orderId(), report.orderId);
        assertEq(p.sequence(), report.sequence);
        assertEq(p.periodStart(), report.periodStart);
        assertEq(p.periodEnd(), report.periodEnd);
        assertEq(p.machineSeconds(), report.machineSeconds);
        assertEq(p.units(), report.units);
        assertEq(p.inspections(), report.inspections);
        assertEq(p.licensedCount(), n);
        for (uint256 i; i < n; ++i) {
            assertEq(p.licensedProducts(i), report.licensedProducts[i]);
        }
        assertEq(p.readingsRoot(n), report.readingsRoot);
        (bytes32 r, bytes32 s, uint8 v) = p.signature(n);
        assertEq(abi.encodePacked(r, s, v), signature);
    }

    function structHashOf(UsageReport calldata report) external pure returns (bytes32) {
        return UsageReportHash.hash(report);
    }

    function licensedCountOf(UsageReport calldata report) external pure returns (uint256) {
        return PackedReportLibrary.pack(report, msg.data[:0]).licensedCount();
    }

    function _truncated(UsageReport memory report) internal pure returns (UsageReport memory) {
        uint256 n = bound(report.licensedProducts.length, 0, MAX_FUZZED_COUNTS);
        uint64[] memory counts = report.licensedProducts;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(counts, n)
        }
        return report;
    }

    /// @dev The documented layout: orderId 8 | sequence 4 | periodStart 5 | periodEnd 5 | machineSeconds 8 |
    /// units 8 | inspections 4 | n 1 | n counts 8 each | readingsRoot 32 | signature.
    function _batchEncoding(UsageReport memory report, bytes memory signature) internal pure returns (bytes memory b) {
        b = abi.encodePacked(
            report.orderId,
            report.sequence,
            report.periodStart,
            report.periodEnd,
            report.machineSeconds,
            report.units,
            report.inspections,
            uint8(report.licensedProducts.length)
        );
        for (uint256 i; i < report.licensedProducts.length; ++i) {
            b = bytes.concat(b, bytes8(report.licensedProducts[i]));
        }
        b = bytes.concat(b, report.readingsRoot, signature);
    }

    function _structHash(UsageReport memory report) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    UsageReportHash.USAGE_REPORT_TYPEHASH,
                    report.orderId,
                    report.sequence,
                    report.periodStart,
                    report.periodEnd,
                    report.machineSeconds,
                    report.units,
                    report.inspections,
                    keccak256(abi.encodePacked(report.licensedProducts)),
                    report.readingsRoot
                )
            );
    }

    function _copy(PackedReport p, uint256 length) internal pure returns (bytes memory b) {
        b = new bytes(length);
        for (uint256 i; i < length; ++i) {
            bytes1 value;
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                value := shl(248, byte(0, mload(add(p, i))))
            }
            b[i] = value;
        }
    }
}
