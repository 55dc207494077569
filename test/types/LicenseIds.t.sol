// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {LICENSE_ID_BITS, LicenseIds} from "../../contracts/types/LicenseIds.sol";

/// @notice A tariff's packed licence ids read back as the layout states: id i in bits 32i to 32i + 31.
contract LicenseIdsTest is Test {
    function testFuzz_AtReadsEachIdTheLayoutStates(uint32[4] memory ids) public pure {
        uint128 packed;
        for (uint256 i; i < 4; ++i) {
            packed |= uint128(ids[i]) << uint128(32 * i);
        }
        LicenseIds word = LicenseIds.wrap(packed);
        for (uint256 i; i < 4; ++i) {
            assertEq(word.at(i), ids[i]);
            assertEq(uint32(packed >> (LICENSE_ID_BITS * i)), ids[i]);
        }
    }
}
