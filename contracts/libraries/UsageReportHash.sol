// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reading, UsageReport} from "../types/Metering.sol";

/// @title UsageReportHash
/// @notice EIP-712 struct hash of a usage report, and the Merkle leaf of a raw reading.
/// @dev `src/sdk/typed-data.ts` defines the same types for signers and wallets; tests check both agree.
library UsageReportHash {
    // The type string is hashed at compile time; no string is stored or copied at run time.
    // solhint-disable gas-small-strings
    /// @notice The EIP-712 type of a usage report.
    bytes32 internal constant USAGE_REPORT_TYPEHASH = keccak256(
        "UsageReport(uint64 orderId,uint32 sequence,uint40 periodStart,uint40 periodEnd,uint64 machineSeconds,"
        "uint64 units,uint32 inspections,uint64[] licensedProducts,bytes32 readingsRoot)"
    );
    // solhint-enable gas-small-strings

    /// @notice The EIP-712 struct hash of `report` (to be combined with the meter's domain separator).
    function hash(UsageReport calldata report) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    USAGE_REPORT_TYPEHASH,
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
}
