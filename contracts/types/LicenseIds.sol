// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A tariff's licence ids as the registry stores them: up to four, 32 bits each, id `i` in bits `32i` to
/// `32i + 31`, in the order usage counts them.
type LicenseIds is uint128;

using LicenseIdsLibrary for LicenseIds global;

uint256 constant LICENSE_ID_BITS = 32;

/// @title LicenseIdsLibrary
/// @notice Named fields of {LicenseIds}.
library LicenseIdsLibrary {
    /// @notice The id at `index` (below four).
    function at(LicenseIds ids, uint256 index) internal pure returns (uint32) {
        return uint32(LicenseIds.unwrap(ids) >> (LICENSE_ID_BITS * index));
    }
}
