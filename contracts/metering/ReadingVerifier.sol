// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IReadingVerifier} from "../interfaces/IReadingVerifier.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {UsageReportHash} from "../libraries/UsageReportHash.sol";
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

    /// @notice Deploys a verifier for `meter_`.
    constructor(IUsageMeter meter_) {
        _meter = meter_;
    }

    /// @inheritdoc IReadingVerifier
    function meter() external view returns (address) {
        return address(_meter);
    }

    /// @inheritdoc IReadingVerifier
    function reportDigest(UsageReport calldata report) public view returns (bytes32) {
        // The meter's own domain (ERC-5267), so that a verifier never disagrees with the meter it reads.
        (, string memory name, string memory version, uint256 chainId, address verifyingContract, , ) = IERC5267(
            address(_meter)
        ).eip712Domain();
        bytes32 domainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifyingContract)
        );
        return MessageHashUtils.toTypedDataHash(domainSeparator, UsageReportHash.hash(report));
    }

    /// @inheritdoc IReadingVerifier
    function isRecorded(UsageReport calldata report, ChainPosition calldata position) public view returns (bool) {
        bytes12 anchor;
        if (position.invoice == 0) {
            anchor = _meter.getOrder(report.orderId).reportsHash;
        } else {
            try _meter.invoiceOf(report.orderId, position.invoice) returns (IUsageMeter.Invoice memory invoice) {
                anchor = invoice.reportsHash;
            } catch {
                return false;
            }
        }
        bytes12 h = _fold(position.previous, reportDigest(report));
        for (uint256 i; i < position.later.length; ++i) {
            h = _fold(h, position.later[i]);
        }
        // No order's chain is zero once it recorded a report, so an unknown order proves nothing.
        return anchor != bytes12(0) && h == anchor;
    }

    /// @inheritdoc IReadingVerifier
    function verifyReading(
        UsageReport calldata report,
        ChainPosition calldata position,
        Reading calldata reading,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return
            isRecorded(report, position) &&
            MerkleProof.verifyCalldata(proof, report.readingsRoot, UsageReportHash.leaf(reading));
    }

    /// @dev One step of the meter's reports hash: bytes12(keccak256(abi.encode(h, digest))).
    function _fold(bytes12 h, bytes32 digest) private pure returns (bytes12) {
        return bytes12(keccak256(abi.encode(h, digest)));
    }
}
