// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reading, UsageReport} from "../types/Metering.sol";
// The layout constants are used in the assembly below, which solhint does not read.
// solhint-disable no-unused-import
import {
    PackedReport,
    PackedReportLibrary,
    REPORT_COUNTS_AT,
    REPORT_INSPECTIONS_MASK,
    REPORT_INSPECTIONS_SHIFT,
    REPORT_LICENSED_AT,
    REPORT_LICENSED_LOG2,
    REPORT_LICENSED_SHIFT,
    REPORT_MACHINE_SECONDS_MASK,
    REPORT_MACHINE_SECONDS_SHIFT,
    REPORT_ORDER_ID_SHIFT,
    REPORT_PERIOD_END_SHIFT,
    REPORT_PERIOD_START_SHIFT,
    REPORT_ROOT_AT,
    REPORT_SEQUENCE_MASK,
    REPORT_SEQUENCE_SHIFT,
    REPORT_TIME_MASK,
    REPORT_UNITS_SHIFT
} from "../types/PackedReport.sol";
// solhint-enable no-unused-import

/// @title UsageReportHash
/// @notice EIP-712 struct hash of a usage report, and the Merkle leaf of a raw reading.
/// @dev One definition of the struct hash, on the packed form the meter records: the meter hashes the report it
/// reads, a report given as a struct (the verifier's) is packed first. `src/core/typed-data.ts` defines the same
/// types for signers and wallets; tests check both agree.
library UsageReportHash {
    // The type string is hashed at compile time; no string is stored or copied at run time.
    // solhint-disable gas-small-strings
    /// @notice The EIP-712 type of a usage report.
    bytes32 internal constant USAGE_REPORT_TYPEHASH = keccak256(
        "UsageReport(uint64 orderId,uint32 sequence,uint40 periodStart,uint40 periodEnd,uint64 machineSeconds,"
        "uint64 units,uint32 inspections,uint64[] licensedProducts,bytes32 readingsRoot)"
    );
    // solhint-enable gas-small-strings
    /// @dev keccak256(""): the hash of an empty array of licensed-product counts.
    uint256 private constant EMPTY_ARRAY_HASH = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;
    /// @dev log2 of an ABI word's 32 bytes.
    uint256 private constant WORD_LOG2 = 5;

    /// @notice The EIP-712 struct hash of `report` (to be combined with the meter's domain separator).
    function hash(UsageReport calldata report) internal pure returns (bytes32) {
        // No signature: the hash reads none. The count is passed on, as n's byte holds only 255 of them.
        return _hash(PackedReportLibrary.pack(report, msg.data[:0]), report.licensedProducts.length);
    }

    /// @notice The EIP-712 struct hash of the packed report `report`.
    function hash(PackedReport report) internal pure returns (bytes32) {
        return _hash(report, report.licensedCount());
    }

    /// @notice The leaf of `reading` in a readings tree: OpenZeppelin StandardMerkleTree's double hash of
    /// the ABI-encoded (uint64 index, uint40 at, uint8 kind, uint64 amount, uint32 licenseId).
    function leaf(Reading calldata reading) internal pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(
                    keccak256(abi.encode(reading.index, reading.at, reading.kind, reading.amount, reading.licenseId))
                )
            );
    }

    /// @dev keccak256(abi.encode(USAGE_REPORT_TYPEHASH, orderId, ..., inspections,
    /// keccak256(abi.encodePacked(licensedProducts)), readingsRoot)) of the packed report with `n` counts, encoded
    /// in scratch memory.
    function _hash(PackedReport report, uint256 n) private pure returns (bytes32 h) {
        bytes32 typeHash = USAGE_REPORT_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let w0 := mload(report)
            let counts := mload(add(report, REPORT_COUNTS_AT))
            let ptr := mload(0x40)
            // abi.encodePacked(uint64[]) pads each count to a word.
            let licensedHash := EMPTY_ARRAY_HASH
            if n {
                for {
                    let i := 0
                } lt(i, n) {
                    i := add(i, 1)
                } {
                    mstore(
                        add(ptr, shl(WORD_LOG2, i)),
                        shr(
                            REPORT_LICENSED_SHIFT,
                            mload(add(report, add(REPORT_LICENSED_AT, shl(REPORT_LICENSED_LOG2, i))))
                        )
                    )
                }
                licensedHash := keccak256(ptr, shl(WORD_LOG2, n))
            }
            // The type hash and the nine fields, a word each, as abi.encode lays them out.
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), shr(REPORT_ORDER_ID_SHIFT, w0))
            mstore(add(ptr, 0x40), and(shr(REPORT_SEQUENCE_SHIFT, w0), REPORT_SEQUENCE_MASK))
            mstore(add(ptr, 0x60), and(shr(REPORT_PERIOD_START_SHIFT, w0), REPORT_TIME_MASK))
            mstore(add(ptr, 0x80), and(shr(REPORT_PERIOD_END_SHIFT, w0), REPORT_TIME_MASK))
            mstore(add(ptr, 0xa0), and(shr(REPORT_MACHINE_SECONDS_SHIFT, w0), REPORT_MACHINE_SECONDS_MASK))
            mstore(add(ptr, 0xc0), shr(REPORT_UNITS_SHIFT, counts))
            mstore(add(ptr, 0xe0), and(shr(REPORT_INSPECTIONS_SHIFT, counts), REPORT_INSPECTIONS_MASK))
            mstore(add(ptr, 0x100), licensedHash)
            mstore(add(ptr, 0x120), mload(add(report, add(REPORT_ROOT_AT, shl(REPORT_LICENSED_LOG2, n)))))
            h := keccak256(ptr, 0x140)
        }
    }
}
