// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reading, UsageReport} from "../types/Metering.sol";

/// @title IReadingVerifier
/// @notice Checks, for anyone entitled to a device's raw readings, that a reading belongs to a usage report
/// the meter recorded: the report's place in its order's hash chain of recorded digests (anchored in the
/// meter's state: the order's reportsHash or an invoice's), and the reading's Merkle proof against the report's
/// root. A report that was never recorded, however well signed, proves nothing.
/// @dev Kept apart from the meter, which is near the contract size limit; it reads the meter's public state.
/// The meter checked the report's signature and key when it recorded it, so the chain alone binds it.
interface IReadingVerifier {
    /// @notice Where a report sits in its order's hash chain, h' = bytes12(keccak256(abi.encode(h, digest))),
    /// folded over the digests of the order's recorded reports in the order they were recorded (both streams;
    /// the digests are in the meter's ReportRecorded events).
    struct ChainPosition {
        /// @dev The chain's value just before the report was recorded (zero for the order's first report).
        bytes12 previous;
        /// @dev The digests the order recorded after the report, in order, up to the anchor.
        bytes32[] later;
        /// @dev The invoice whose reportsHash anchors the chain, or 0 for the order's current reportsHash.
        uint32 invoice;
    }

    /// @notice The meter's EIP-712 domain (ERC-5267) has other `fields` than name, version, chain id and verifying
    /// contract, or extensions: the verifier would not sign-check its reports as the meter does.
    error ReadingVerifierUnsupportedDomain(bytes1 fields);

    /// @notice The meter whose reports this verifier checks.
    function meter() external view returns (address);

    /// @notice The EIP-712 digest a device signs for `report` under the meter's domain (read from the meter when the
    /// verifier was deployed, for the current chain).
    function reportDigest(UsageReport calldata report) external view returns (bytes32);

    /// @notice Whether the meter recorded `report` at `position` of its order's chain. Without the machine's key,
    /// forging a position needs a second preimage of the 96-bit chain value (2^96 work). A holder of the key could
    /// prepare two reports whose chain steps collide (2^48 work) and show either: that gains it nothing it could
    /// not sign anyway, and the full 32-byte digest in the meter's ReportRecorded event tells the two apart.
    function isRecorded(UsageReport calldata report, ChainPosition calldata position) external view returns (bool);

    /// @notice Whether `reading` belongs to `report` and the meter recorded `report` at `position`; false for
    /// anything that does not check out (record, anchor, proof).
    function verifyReading(
        UsageReport calldata report,
        ChainPosition calldata position,
        Reading calldata reading,
        bytes32[] calldata proof
    ) external view returns (bool);
}
