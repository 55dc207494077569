// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reading, UsageReport} from "../types/Metering.sol";

/// @title IReadingVerifier
/// @notice Checks, for anyone entitled to a device's raw readings, that a reading belongs to a usage report
/// the meter recorded: the report's signature by a key of the order's machine valid when its period
/// ended, its number within the recorded ones, and the reading's Merkle proof against the report's root.
/// @dev Kept apart from the meter, which is at the contract size limit; it reads the meter's public state.
interface IReadingVerifier {
    /// @notice The meter whose reports this verifier checks.
    function meter() external view returns (address);

    /// @notice The EIP-712 digest a device signs for `report` under the meter's domain.
    function reportDigest(UsageReport calldata report) external view returns (bytes32);

    /// @notice Whether `reading` belongs to the recorded report `report` signed with `signature`; false
    /// for anything that does not check out (signature, signer, record, proof).
    function verifyReading(
        UsageReport calldata report,
        bytes calldata signature,
        Reading calldata reading,
        bytes32[] calldata proof
    ) external view returns (bool);
}
