// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {UsageReportHash} from "../libraries/UsageReportHash.sol";
import {Reading, UsageReport} from "../types/Metering.sol";

/// @notice Exposes UsageReportHash under the meter's EIP-712 domain, for tests against the off-chain code.
contract UsageReportHarness is EIP712("UsageMeter", "1") {
    function digest(UsageReport calldata report) external view returns (bytes32) {
        return _hashTypedDataV4(UsageReportHash.hash(report));
    }

    function recoverSigner(UsageReport calldata report, bytes calldata signature) external view returns (address) {
        return ECDSA.recover(_hashTypedDataV4(UsageReportHash.hash(report)), signature);
    }

    function leaf(Reading calldata reading) external pure returns (bytes32) {
        return UsageReportHash.leaf(reading);
    }

    function verifyReading(
        bytes32 root,
        Reading calldata reading,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, UsageReportHash.leaf(reading));
    }
}
