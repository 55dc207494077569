// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Units above `threshold` (counted per order) cost `pricePerUnit` each, until the next tier's threshold.
struct UnitTier {
    uint64 threshold;
    uint96 pricePerUnit;
}

/// @notice A machine's price list, one version of it. Amounts are in token base units (1e-6 EUR). Machine
/// time is metered by the second at an hourly rate, so that every hourly or per-minute price is exact.
struct Tariff {
    /// @dev Per machine hour, charged by the second (see TariffMath.price).
    uint96 pricePerHour;
    /// @dev Per unit produced, up to the first tier's threshold.
    uint96 pricePerUnit;
    uint96 pricePerInspection;
    /// @dev Charged once per order, with its first usage.
    uint96 setupFee;
    /// @dev Least an order with any usage pays the provider (royalties come on top).
    uint96 minimumCharge;
    /// @dev Volume tiers on units, thresholds strictly rising.
    UnitTier[] tiers;
    /// @dev The licences whose royalty each licensed product pays, in the order usage counts them.
    uint32[] licenseIds;
}

/// @notice What an order used, in total or over a period.
struct Usage {
    uint64 machineSeconds;
    uint64 units;
    uint32 inspections;
    /// @dev Licensed products per licence, aligned with `Tariff.licenseIds` (empty = none).
    uint64[] licensedProducts;
}

/// @notice A price, line by line. `total` is the sum of all the other lines but `royalties` (whose sum is
/// `royaltyTotal`).
struct Charge {
    uint256 setupFee;
    uint256 machineTime;
    uint256 production;
    uint256 inspections;
    /// @dev What the minimum charge adds when the lines above sum below it.
    uint256 minimumTopUp;
    /// @dev Per licence, aligned with `Tariff.licenseIds`.
    uint256[] royalties;
    uint256 royaltyTotal;
    uint256 total;
}
