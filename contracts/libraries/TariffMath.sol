// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Charge, Tariff, UnitTier, Usage} from "../types/Tariff.sol";

/// @title TariffMath
/// @notice Prices usage under a tariff: setup fee, machine time, units with volume tiers, inspections, the
/// minimum charge, and licence royalties.
/// @dev Pure, and the one definition of a price: the registry quotes with it, the meter charges with it,
/// and `src/core/tariff.ts` mirrors it line by line (tests fuzz the two against each other).
///
/// The price of usage `u` under tariff `t` and royalties `r`:
/// - nothing at all if `u` is all zeros (an order that never ran pays nothing);
/// - otherwise `setupFee + machineTime + production + inspections`, raised to `minimumCharge` if below it,
///   plus the royalties, which go to licensors and never count towards the minimum;
/// - machineTime = floor(machineSeconds * pricePerHour / 3600): metered by the second at an hourly rate;
/// - production is graduated: the first `tiers[0].threshold` units at `pricePerUnit`, the units above
///   `tiers[i].threshold` (up to the next threshold) at `tiers[i].pricePerUnit`;
/// - royalties[i] = licensedProducts[i] * r[i].
///
/// Rounding: only machine time is divided, and it rounds down, so a charge is never above the exact
/// price: rounding favours the consumer, by less than one base unit. Charging a running order by the
/// difference between the price of its totals after and before a report rounds once on the total, so
/// the sum of the parts never exceeds the price of the whole.
///
/// Bounds: for every input of the declared types (quantities below 2^64, prices below 2^96, at most
/// 255 tiers and licences) each line is below 2^160 + 2^96 and the total below 2^170, so nothing
/// overflows a uint256; callers may narrow the total to a uint176 safely.
/// Preconditions (checked by the registry when a tariff is published): tier thresholds strictly rise.
library TariffMath {
    /// @notice Machine time is priced per hour and metered per second.
    uint256 internal constant SECONDS_PER_HOUR = 3600;

    /// @notice Usage counts licensed products for `given` licences, the tariff names `expected`, or the
    /// royalties given for the tariff's licences are `given` instead of `expected`.
    error TariffMathLengthMismatch(uint256 given, uint256 expected);

    /// @notice The price of `usage` under `tariff`, with `royalties[i]` per product of `tariff.licenseIds[i]`.
    function price(
        Tariff memory tariff,
        uint96[] memory royalties,
        Usage memory usage
    ) internal pure returns (Charge memory charge) {
        uint256 licenses = tariff.licenseIds.length;
        if (royalties.length != licenses) revert TariffMathLengthMismatch(royalties.length, licenses);
        uint256 counted = usage.licensedProducts.length;
        if (counted != 0 && counted != licenses) revert TariffMathLengthMismatch(counted, licenses);

        charge.royalties = new uint256[](licenses);
        bool used = usage.machineSeconds != 0 || usage.units != 0 || usage.inspections != 0;
        // Cannot overflow: each product is below 2^64 * 2^96 = 2^160 and at most 255 + 5 of them are added.
        unchecked {
            for (uint256 i; i < counted; ++i) {
                uint256 products = usage.licensedProducts[i];
                if (products != 0) used = true;
                charge.royalties[i] = products * royalties[i];
                charge.royaltyTotal += charge.royalties[i];
            }
            if (!used) return charge;

            charge.setupFee = tariff.setupFee;
            charge.machineTime = (uint256(usage.machineSeconds) * tariff.pricePerHour) / SECONDS_PER_HOUR;
            charge.production = production(tariff.pricePerUnit, tariff.tiers, usage.units);
            charge.inspections = uint256(usage.inspections) * tariff.pricePerInspection;
            uint256 subtotal = charge.setupFee + charge.machineTime + charge.production + charge.inspections;
            if (subtotal < tariff.minimumCharge) charge.minimumTopUp = tariff.minimumCharge - subtotal;
            charge.total = subtotal + charge.minimumTopUp + charge.royaltyTotal;
        }
    }

    /// @notice The graduated price of `units` units: `basePrice` up to the first threshold, then each tier's price.
    function production(uint96 basePrice, UnitTier[] memory tiers, uint64 units) internal pure returns (uint256 sum) {
        uint256 tierCount = tiers.length;
        uint256 upTo = tierCount == 0 || units < tiers[0].threshold ? units : tiers[0].threshold;
        // Cannot overflow: every count is at most `units` < 2^64 and every price < 2^96; thresholds strictly
        // rise, so `next - threshold` cannot underflow and the counts sum to `units`.
        unchecked {
            sum = upTo * basePrice;
            for (uint256 i; i < tierCount; ++i) {
                uint256 threshold = tiers[i].threshold;
                if (units <= threshold) break;
                uint256 next = i + 1 < tierCount && tiers[i + 1].threshold < units ? tiers[i + 1].threshold : units;
                sum += (next - threshold) * tiers[i].pricePerUnit;
            }
        }
    }
}
