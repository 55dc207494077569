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

    /// @dev ERC-5267's fields bits of a domain of name, version, chain id and verifying contract.
    bytes1 private constant DOMAIN_FIELDS = hex"0f";

    IUsageMeter private immutable _meter;
    bytes32 private immutable _hashedName;
    bytes32 private immutable _hashedVersion;
    address private immutable _verifyingContract;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    /// @notice Deploys a verifier for `meter_`, reading its EIP-712 domain (ERC-5267).
    /// @dev Read once, here, rather than on every digest (a call and the decoding of two strings each time): the
    /// meter is OpenZeppelin's EIP712, whose name, version and verifying contract (itself) are immutable. Only the
    /// chain id can change, on a fork; {_domainSeparator} then builds the separator for the new chain, as the meter
    /// does.
    constructor(IUsageMeter meter_) {
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            ,
            uint256[] memory extensions
        ) = IERC5267(address(meter_)).eip712Domain();
        if (fields != DOMAIN_FIELDS || extensions.length != 0) revert ReadingVerifierUnsupportedDomain(fields);
        _meter = meter_;
        _hashedName = keccak256(bytes(name));
        _hashedVersion = keccak256(bytes(version));
        _verifyingContract = verifyingContract;
        _cachedChainId = chainId;
        _cachedDomainSeparator = _buildDomainSeparator(chainId);
    }

    /// @inheritdoc IReadingVerifier
    function meter() external view returns (address) {
        return address(_meter);
    }

    /// @inheritdoc IReadingVerifier
    function reportDigest(UsageReport calldata report) public view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), UsageReportHash.hash(report));
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

    /// @dev The meter's domain separator on the current chain.
    function _domainSeparator() private view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator(block.chainid);
    }

    function _buildDomainSeparator(uint256 chainId) private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, _hashedName, _hashedVersion, chainId, _verifyingContract));
    }

    /// @dev One step of the meter's reports hash: bytes12(keccak256(abi.encode(h, digest))).
    function _fold(bytes12 h, bytes32 digest) private pure returns (bytes12) {
        return bytes12(keccak256(abi.encode(h, digest)));
    }
}
