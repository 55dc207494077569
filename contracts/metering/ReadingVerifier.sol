// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {IReadingVerifier} from "../interfaces/IReadingVerifier.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {UsageReportHash} from "../libraries/UsageReportHash.sol";
import {KeyKind, SignerKey} from "../types/Listing.sol";
import {Reading, UsageReport} from "../types/Metering.sol";

/// @title ReadingVerifier
/// @notice Proves raw readings against the usage reports a UsageMeter recorded.
contract ReadingVerifier is IReadingVerifier {
    // Hashed at compile time; no string is stored or copied at run time.
    // solhint-disable gas-small-strings
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    // solhint-enable gas-small-strings

    IUsageMeter private immutable _meter;
    IMachineRegistry private immutable _registry;

    /// @notice Deploys a verifier for `meter`, whose keys live in `registry`.
    constructor(IUsageMeter meter_, IMachineRegistry registry_) {
        _meter = meter_;
        _registry = registry_;
    }

    /// @inheritdoc IReadingVerifier
    function meter() external view returns (address) {
        return address(_meter);
    }

    /// @inheritdoc IReadingVerifier
    function reportDigest(UsageReport calldata report) public view returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("UsageMeter"), keccak256("1"), block.chainid, address(_meter))
        );
        return MessageHashUtils.toTypedDataHash(domainSeparator, UsageReportHash.hash(report));
    }

    /// @inheritdoc IReadingVerifier
    function verifyReading(
        UsageReport calldata report,
        bytes calldata signature,
        Reading calldata reading,
        bytes32[] calldata proof
    ) external view returns (bool) {
        IUsageMeter.Order memory order = _meter.getOrder(report.orderId);
        if (order.status == IUsageMeter.OrderStatus.None) return false;
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(reportDigest(report), signature);
        if (error != ECDSA.RecoverError.NoError) return false;
        SignerKey memory key = _registry.signerKey(signer);
        if (key.machineId != order.machineId) return false;
        if (key.validFrom > report.periodEnd || (key.validUntil != 0 && report.periodEnd >= key.validUntil)) {
            return false;
        }
        IUsageMeter.Meter memory recorded = _meter.meterOf(report.orderId);
        uint32 last = key.kind == KeyKind.Device ? recorded.deviceSequence : recorded.inspectorSequence;
        if (report.sequence == 0 || report.sequence > last) return false;
        return MerkleProof.verifyCalldata(proof, report.readingsRoot, UsageReportHash.leaf(reading));
    }
}
