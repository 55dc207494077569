// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Test} from "forge-std/Test.sol";

import {IReadingVerifier} from "../../contracts/interfaces/IReadingVerifier.sol";
import {IUsageMeter} from "../../contracts/interfaces/IUsageMeter.sol";
import {UsageReportHash} from "../../contracts/libraries/UsageReportHash.sol";
import {ReadingVerifier} from "../../contracts/metering/ReadingVerifier.sol";
import {UsageReportHarness} from "../../contracts/mocks/UsageReportHarness.sol";
import {UsageReport} from "../../contracts/types/Metering.sol";

/// @notice An ERC-5267 domain as a test sets it.
contract FakeDomain is IERC5267 {
    bytes1 public fields = hex"0f";
    string public name = "OtherMeter";
    string public version = "7";
    address public verifyingContract = address(0xbeef);
    uint256[] public extensions;

    function set(bytes1 fields_, uint256[] memory extensions_) external {
        fields = fields_;
        extensions = extensions_;
    }

    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (fields, name, version, block.chainid, verifyingContract, bytes32(0), extensions);
    }
}

/// @notice The verifier's digest is the meter's: under the domain the meter reports (ERC-5267), read when the
/// verifier is deployed and rebuilt when the chain id changes (a fork); a domain it would not build is refused.
contract ReadingVerifierDomainTest is Test {
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    UsageReportHarness internal meter;
    ReadingVerifier internal verifier;

    function setUp() public {
        // The harness hashes reports under the meter's own EIP712 base ("UsageMeter", "1").
        meter = new UsageReportHarness();
        verifier = new ReadingVerifier(IUsageMeter(address(meter)));
    }

    function testFuzz_DigestIsTheMetersDigest(UsageReport memory report) public view {
        assertEq(verifier.reportDigest(report), meter.digest(report));
    }

    function testFuzz_DigestFollowsTheChainIdAfterAFork(UsageReport memory report, uint64 chainId) public {
        bytes32 before = verifier.reportDigest(report);
        uint256 deployedOn = block.chainid;
        chainId = uint64(bound(chainId, 1, type(uint64).max));
        vm.chainId(chainId);
        assertEq(verifier.reportDigest(report), meter.digest(report));
        assertEq(verifier.reportDigest(report) == before, chainId == deployedOn);
    }

    function testFuzz_DigestUsesTheDomainTheMeterReports(UsageReport memory report) public {
        FakeDomain domain = new FakeDomain();
        ReadingVerifier other = new ReadingVerifier(IUsageMeter(address(domain)));
        bytes32 separator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("OtherMeter"), keccak256("7"), block.chainid, address(0xbeef))
        );
        assertEq(other.reportDigest(report), MessageHashUtils.toTypedDataHash(separator, this.structHashOf(report)));
    }

    function test_RevertsWithReadingVerifierUnsupportedDomainForASalt() public {
        FakeDomain domain = new FakeDomain();
        domain.set(hex"1f", new uint256[](0));
        vm.expectRevert(
            abi.encodeWithSelector(IReadingVerifier.ReadingVerifierUnsupportedDomain.selector, bytes1(0x1f))
        );
        new ReadingVerifier(IUsageMeter(address(domain)));
    }

    function test_RevertsWithReadingVerifierUnsupportedDomainForExtensions() public {
        FakeDomain domain = new FakeDomain();
        uint256[] memory extensions = new uint256[](1);
        extensions[0] = 5267;
        domain.set(hex"0f", extensions);
        vm.expectRevert(
            abi.encodeWithSelector(IReadingVerifier.ReadingVerifierUnsupportedDomain.selector, bytes1(0x0f))
        );
        new ReadingVerifier(IUsageMeter(address(domain)));
    }

    function structHashOf(UsageReport calldata report) external pure returns (bytes32) {
        return UsageReportHash.hash(report);
    }
}
