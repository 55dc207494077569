// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {TariffMath} from "../../contracts/libraries/TariffMath.sol";
import {Charge, Tariff, UnitTier, Usage} from "../../contracts/types/Tariff.sol";

/// @notice TariffMath behind external functions, so that tests can expect its reverts.
contract TariffMathHarness {
    function price(
        Tariff memory tariff,
        uint96[] memory royalties,
        Usage memory usage
    ) external pure returns (Charge memory) {
        return TariffMath.price(tariff, royalties, usage);
    }

    function production(uint96 basePrice, UnitTier[] memory tiers, uint64 units) external pure returns (uint256) {
        return TariffMath.production(basePrice, tiers, units);
    }
}

/// @notice Fuzz tests of the pricing laws stated in TariffMath's NatSpec: monotone, exact at tier boundaries,
/// the minimum charge without royalties, lines that add up, rounding in the consumer's favour, no overflow
/// for any input of the declared types, and increments that telescope to the price of the whole.
/// @dev Tariffs come from a seed of fixed size: up to {MAX_TIERS} tiers with strictly rising thresholds (the
/// registry's precondition) and up to {MAX_LICENSES} licences, every price across the full uint96 range.
contract TariffMathFuzzTest is Test {
    uint256 internal constant MAX_TIERS = 3;
    uint256 internal constant MAX_LICENSES = 4;
    /// @dev Machine time is priced per hour and metered per second.
    uint256 internal constant SCALE = 3600;
    /// @dev Bound on every line but the royalty total (TariffMath's NatSpec: below 2^160 + 2^96).
    uint256 internal constant LINE_BOUND = 2 ** 160 + 2 ** 96;
    uint256 internal constant TOTAL_BOUND = 2 ** 170;

    struct TariffSeed {
        uint96 pricePerHour;
        uint96 pricePerUnit;
        uint96 pricePerInspection;
        uint96 setupFee;
        uint96 minimumCharge;
        uint256 tierCount;
        uint64[3] thresholds;
        uint96[3] tierPrices;
        uint256 licenseCount;
        uint96[4] royalties;
    }

    struct UsageSeed {
        uint64 machineSeconds;
        uint64 units;
        uint32 inspections;
        uint64[4] licensedProducts;
        /// @dev Leave `licensedProducts` empty (the contract's "none") instead of one count per licence.
        bool noProductCounts;
    }

    TariffMathHarness internal harness;

    function setUp() public {
        harness = new TariffMathHarness();
    }

    /*//////////////////////////////////////////////////////////////
                              MONOTONICITY
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Price_RaisingMachineSecondsNeverLowersThePrice(
        TariffSeed memory ts,
        UsageSeed memory us,
        uint64 extra
    ) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        Charge memory before = _price(t, r, u);
        u.machineSeconds += uint64(_bound(extra, 0, type(uint64).max - u.machineSeconds));
        _assertNotLower(before, _price(t, r, u));
    }

    function testFuzz_Price_RaisingUnitsNeverLowersThePrice(
        TariffSeed memory ts,
        UsageSeed memory us,
        uint64 extra
    ) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        u.units = _nearThreshold(t, u.units, extra);
        Charge memory before = _price(t, r, u);
        u.units += uint64(_bound(extra, 0, type(uint64).max - u.units));
        _assertNotLower(before, _price(t, r, u));
    }

    function testFuzz_Price_RaisingInspectionsNeverLowersThePrice(
        TariffSeed memory ts,
        UsageSeed memory us,
        uint32 extra
    ) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        Charge memory before = _price(t, r, u);
        u.inspections += uint32(_bound(extra, 0, type(uint32).max - u.inspections));
        _assertNotLower(before, _price(t, r, u));
    }

    function testFuzz_Price_RaisingLicensedProductsNeverLowersThePrice(
        TariffSeed memory ts,
        UsageSeed memory us,
        uint256 index,
        uint64 extra
    ) public view {
        ts.licenseCount = _bound(ts.licenseCount, 1, MAX_LICENSES);
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        Charge memory before = _price(t, r, u);
        // "No counts" is zero of each; raising one count needs one count per licence.
        if (u.licensedProducts.length == 0) u.licensedProducts = new uint64[](t.licenseIds.length);
        index = _bound(index, 0, t.licenseIds.length - 1);
        u.licensedProducts[index] += uint64(_bound(extra, 0, type(uint64).max - u.licensedProducts[index]));
        _assertNotLower(before, _price(t, r, u));
    }

    /*//////////////////////////////////////////////////////////////
                             VOLUME TIERS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Price_UnitsUpToTheFirstThresholdCostTheBasePrice(TariffSeed memory ts) public view {
        ts.tierCount = _bound(ts.tierCount, 1, MAX_TIERS);
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        uint64 threshold = t.tiers[0].threshold;
        Usage memory u;
        u.units = threshold;
        Charge memory charge = _price(t, r, u);
        assertEq(charge.production, uint256(threshold) * t.pricePerUnit, "price(units = first threshold)");
        assertEq(harness.production(t.pricePerUnit, t.tiers, threshold - 1), (threshold - 1) * uint256(t.pricePerUnit));
    }

    function testFuzz_Production_EachUnitAboveAThresholdCostsItsTierPrice(TariffSeed memory ts) public view {
        ts.tierCount = _bound(ts.tierCount, 1, MAX_TIERS);
        (Tariff memory t, ) = _tariff(ts);
        for (uint256 i = 0; i < t.tiers.length; ++i) {
            uint64 threshold = t.tiers[i].threshold;
            uint256 atThreshold = harness.production(t.pricePerUnit, t.tiers, threshold);
            assertEq(atThreshold, _graduatedSum(t.pricePerUnit, t.tiers, threshold), "production(threshold)");
            uint96 below = i == 0 ? t.pricePerUnit : t.tiers[i - 1].pricePerUnit;
            assertEq(
                atThreshold - harness.production(t.pricePerUnit, t.tiers, threshold - 1),
                below,
                "the unit at a threshold costs the band below it"
            );
            if (threshold == type(uint64).max) continue;
            assertEq(
                harness.production(t.pricePerUnit, t.tiers, threshold + 1) - atThreshold,
                t.tiers[i].pricePerUnit,
                "the unit just above a threshold costs the tier's price"
            );
        }
    }

    function testFuzz_Production_IsTheGraduatedSum(TariffSeed memory ts, uint64 units, uint64 nearSeed) public view {
        (Tariff memory t, ) = _tariff(ts);
        units = _nearThreshold(t, units, nearSeed);
        assertEq(
            harness.production(t.pricePerUnit, t.tiers, units),
            _graduatedSum(t.pricePerUnit, t.tiers, units),
            "production"
        );
    }

    /*//////////////////////////////////////////////////////////////
                            MINIMUM CHARGE
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Price_MinimumTopUpAppliesOnlyBelowTheMinimum(
        TariffSeed memory ts,
        UsageSeed memory us,
        int256 offset
    ) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        // Half the runs put the minimum within a few units of the subtotal, where the top-up switches on and off.
        if (uint256(keccak256(abi.encode(offset))) % 2 == 0) {
            t.minimumCharge = 0;
            uint256 plain = _subtotal(_price(t, r, u));
            offset = _bound(offset, -3, 3);
            uint256 near =
                offset < 0 ? (plain > uint256(-offset) ? plain - uint256(-offset) : 0) : plain + uint256(offset);
            t.minimumCharge = uint96(near < type(uint96).max ? near : type(uint96).max);
        }
        Charge memory charge = _price(t, r, u);
        if (!_used(u)) {
            assertEq(charge.minimumTopUp, 0, "no usage, no minimum");
            return;
        }
        uint256 subtotal = _subtotal(charge);
        uint256 expected = subtotal < t.minimumCharge ? t.minimumCharge - subtotal : 0;
        assertEq(charge.minimumTopUp, expected, "minimumTopUp");
        assertEq(charge.total - charge.royaltyTotal, subtotal > t.minimumCharge ? subtotal : t.minimumCharge);
    }

    function testFuzz_Price_RoyaltiesNeverCountTowardTheMinimum(TariffSeed memory ts, UsageSeed memory us) public view {
        ts.licenseCount = _bound(ts.licenseCount, 1, MAX_LICENSES);
        us.noProductCounts = false;
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        // Some provider usage, so that the usage is priced with and without the licensed products.
        if (u.machineSeconds == 0 && u.units == 0 && u.inspections == 0) u.inspections = 1;
        Charge memory with = _price(t, r, u);
        u.licensedProducts = new uint64[](0);
        Charge memory without = _price(t, r, u);

        assertEq(with.setupFee, without.setupFee, "setupFee");
        assertEq(with.machineTime, without.machineTime, "machineTime");
        assertEq(with.production, without.production, "production");
        assertEq(with.inspections, without.inspections, "inspections");
        assertEq(with.minimumTopUp, without.minimumTopUp, "minimumTopUp");
        assertEq(without.royaltyTotal, 0, "no products, no royalties");
        assertEq(with.total, without.total + with.royaltyTotal, "royalties come on top");
    }

    /*//////////////////////////////////////////////////////////////
                           LINES AND ROUNDING
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Price_ZeroUsageCostsNothing(TariffSeed memory ts, bool noProductCounts) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u;
        u.licensedProducts = new uint64[](noProductCounts ? 0 : t.licenseIds.length);
        Charge memory charge = _price(t, r, u);
        assertEq(charge.setupFee, 0, "setupFee");
        assertEq(charge.machineTime, 0, "machineTime");
        assertEq(charge.production, 0, "production");
        assertEq(charge.inspections, 0, "inspections");
        assertEq(charge.minimumTopUp, 0, "minimumTopUp");
        assertEq(charge.royaltyTotal, 0, "royaltyTotal");
        assertEq(charge.total, 0, "total");
        assertEq(charge.royalties.length, t.licenseIds.length, "one royalty line per licence");
        for (uint256 i = 0; i < charge.royalties.length; ++i) {
            assertEq(charge.royalties[i], 0, "royalty");
        }
    }

    function testFuzz_Price_TotalIsTheSumOfItsLines(TariffSeed memory ts, UsageSeed memory us) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        Charge memory charge = _price(t, r, u);

        assertEq(charge.royalties.length, t.licenseIds.length, "one royalty line per licence");
        uint256 royaltySum;
        for (uint256 i = 0; i < charge.royalties.length; ++i) {
            uint256 products = u.licensedProducts.length == 0 ? 0 : u.licensedProducts[i];
            assertEq(charge.royalties[i], products * r[i], "royalties[i] = licensedProducts[i] * royalty[i]");
            royaltySum += charge.royalties[i];
        }
        assertEq(charge.royaltyTotal, royaltySum, "royaltyTotal");
        assertEq(charge.total, _subtotal(charge) + charge.minimumTopUp + charge.royaltyTotal, "total");

        bool used = _used(u);
        assertEq(charge.setupFee, used ? t.setupFee : 0, "setupFee");
        assertEq(charge.production, used ? _graduatedSum(t.pricePerUnit, t.tiers, u.units) : 0, "production");
        assertEq(charge.inspections, uint256(u.inspections) * t.pricePerInspection, "inspections");
    }

    function testFuzz_Price_NoProductCountsEqualZeroCounts(TariffSeed memory ts, UsageSeed memory us) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        us.noProductCounts = true;
        Usage memory u = _usage(us, t.licenseIds.length);
        Charge memory none = _price(t, r, u);
        u.licensedProducts = new uint64[](t.licenseIds.length);
        assertEq(keccak256(abi.encode(_price(t, r, u))), keccak256(abi.encode(none)), "same charge");
    }

    function testFuzz_Price_MachineTimeRoundsDownByLessThanOneUnit(
        TariffSeed memory ts,
        UsageSeed memory us
    ) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        Charge memory charge = _price(t, r, u);
        uint256 exact = uint256(u.machineSeconds) * t.pricePerHour;
        assertLe(charge.machineTime * SCALE, exact, "never above the exact price");
        assertLt(exact, (charge.machineTime + 1) * SCALE, "below it by less than one base unit");
    }

    /*//////////////////////////////////////////////////////////////
                                BOUNDS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Price_NeverOverflowsForAnyDeclaredInput(TariffSeed memory ts, UsageSeed memory us) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        Usage memory u = _usage(us, t.licenseIds.length);
        _assertWithinBounds(_price(t, r, u));
    }

    function test_Price_LargestInputsStayBelow2To170() public view {
        Tariff memory t;
        t.pricePerHour = type(uint96).max;
        t.pricePerUnit = type(uint96).max;
        t.pricePerInspection = type(uint96).max;
        t.setupFee = type(uint96).max;
        t.minimumCharge = type(uint96).max;
        t.tiers = new UnitTier[](MAX_TIERS);
        for (uint256 i = 0; i < MAX_TIERS; ++i) {
            t.tiers[i] = UnitTier({threshold: uint64(i + 1), pricePerUnit: type(uint96).max});
        }
        t.licenseIds = new uint32[](MAX_LICENSES);
        uint96[] memory r = new uint96[](MAX_LICENSES);
        Usage memory u = Usage({
            machineSeconds: type(uint64).max,
            units: type(uint64).max,
            inspections: type(uint32).max,
            licensedProducts: new uint64[](MAX_LICENSES)
        });
        for (uint256 i = 0; i < MAX_LICENSES; ++i) {
            t.licenseIds[i] = uint32(i + 1);
            r[i] = type(uint96).max;
            u.licensedProducts[i] = type(uint64).max;
        }
        Charge memory charge = _price(t, r, u);
        _assertWithinBounds(charge);
        uint256 product = uint256(type(uint64).max) * type(uint96).max;
        assertEq(charge.machineTime, product / SCALE, "machineTime");
        assertEq(charge.production, product, "production");
        assertEq(charge.royaltyTotal, MAX_LICENSES * product, "royaltyTotal");
    }

    /*//////////////////////////////////////////////////////////////
                        CHARGING IN INCREMENTS
    //////////////////////////////////////////////////////////////*/

    /// @dev The meter charges a running order by price(totals after a report) - price(totals before it).
    function testFuzz_Price_IncrementsTelescopeToThePriceOfTheWhole(
        TariffSeed memory ts,
        UsageSeed memory first,
        UsageSeed memory second,
        UsageSeed memory third
    ) public view {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        uint256 licences = t.licenseIds.length;
        first.noProductCounts = false;
        Usage memory a = _usage(first, licences);
        Usage memory ab = _add(a, _usage(second, licences));
        Usage memory abc = _add(ab, _usage(third, licences));

        Usage memory nothing;
        nothing.licensedProducts = new uint64[](licences);
        uint256 p0 = _price(t, r, nothing).total;
        Charge memory c1 = _price(t, r, a);
        Charge memory c2 = _price(t, r, ab);
        Charge memory c3 = _price(t, r, abc);

        assertEq(p0, 0, "an order starts at nothing");
        assertGe(c2.total, c1.total, "second increment is not negative");
        assertGe(c3.total, c2.total, "third increment is not negative");
        assertGe(c2.total - c2.royaltyTotal, c1.total - c1.royaltyTotal, "provider's second increment");
        assertGe(c3.total - c3.royaltyTotal, c2.total - c2.royaltyTotal, "provider's third increment");
        assertGe(c2.royaltyTotal, c1.royaltyTotal, "royalties' second increment");
        assertGe(c3.royaltyTotal, c2.royaltyTotal, "royalties' third increment");
        uint256 charged = (c1.total - p0) + (c2.total - c1.total) + (c3.total - c2.total);
        assertEq(charged, c3.total, "the increments sum to the price of the totals");
        // Rounding once on the total: the time lines charged never exceed the exact price of all the time.
        assertLe(c3.machineTime * SCALE, uint256(abc.machineSeconds) * t.pricePerHour, "machine time");
    }

    /*//////////////////////////////////////////////////////////////
                           LENGTH MISMATCHES
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Price_RevertsWith_TariffMathLengthMismatch_ForRoyalties(
        TariffSeed memory ts,
        UsageSeed memory us,
        uint256 given
    ) public {
        (Tariff memory t, ) = _tariff(ts);
        uint256 licences = t.licenseIds.length;
        given = _bound(given, 0, 2 * MAX_LICENSES);
        if (given == licences) ++given;
        Usage memory u = _usage(us, licences);
        vm.expectRevert(abi.encodeWithSelector(TariffMath.TariffMathLengthMismatch.selector, given, licences));
        harness.price(t, new uint96[](given), u);
    }

    function testFuzz_Price_RevertsWith_TariffMathLengthMismatch_ForLicensedProducts(
        TariffSeed memory ts,
        uint256 counted
    ) public {
        (Tariff memory t, uint96[] memory r) = _tariff(ts);
        uint256 licences = t.licenseIds.length;
        counted = _bound(counted, 1, 2 * MAX_LICENSES);
        if (counted == licences) ++counted;
        Usage memory u;
        u.units = 1;
        u.licensedProducts = new uint64[](counted);
        vm.expectRevert(abi.encodeWithSelector(TariffMath.TariffMathLengthMismatch.selector, counted, licences));
        harness.price(t, r, u);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _price(Tariff memory t, uint96[] memory r, Usage memory u) internal view returns (Charge memory) {
        return harness.price(t, r, u);
    }

    /// @dev A tariff from a seed: tiers with strictly rising thresholds whose gaps are tiny, medium or any.
    function _tariff(TariffSeed memory s) internal pure returns (Tariff memory t, uint96[] memory royalties) {
        t.pricePerHour = s.pricePerHour;
        t.pricePerUnit = s.pricePerUnit;
        t.pricePerInspection = s.pricePerInspection;
        t.setupFee = s.setupFee;
        t.minimumCharge = s.minimumCharge;
        uint256 tierCount = _bound(s.tierCount, 0, MAX_TIERS);
        t.tiers = new UnitTier[](tierCount);
        uint256 previous;
        for (uint256 i = 0; i < tierCount; ++i) {
            uint256 highest = type(uint64).max - (tierCount - 1 - i);
            uint256 gap = [uint256(16), 1e6, highest][uint256(keccak256(abi.encode(s.thresholds[i], i))) % 3];
            uint256 threshold = _bound(
                s.thresholds[i],
                previous + 1,
                previous + gap < highest ? previous + gap : highest
            );
            t.tiers[i] = UnitTier({threshold: uint64(threshold), pricePerUnit: s.tierPrices[i]});
            previous = threshold;
        }
        uint256 licenseCount = _bound(s.licenseCount, 0, MAX_LICENSES);
        t.licenseIds = new uint32[](licenseCount);
        royalties = new uint96[](licenseCount);
        for (uint256 i = 0; i < licenseCount; ++i) {
            t.licenseIds[i] = uint32(i + 1);
            royalties[i] = s.royalties[i];
        }
    }

    function _usage(UsageSeed memory s, uint256 licences) internal pure returns (Usage memory u) {
        u.machineSeconds = s.machineSeconds;
        u.units = s.units;
        u.inspections = s.inspections;
        u.licensedProducts = new uint64[](s.noProductCounts ? 0 : licences);
        for (uint256 i = 0; i < u.licensedProducts.length; ++i) {
            u.licensedProducts[i] = s.licensedProducts[i];
        }
    }

    /// @dev Half the time `units` itself, otherwise within a few units of one of the tariff's thresholds.
    function _nearThreshold(Tariff memory t, uint64 units, uint64 seed) internal pure returns (uint64) {
        uint256 mode = uint256(keccak256(abi.encode(seed, "near"))) % 2;
        if (t.tiers.length == 0 || mode == 0) return units;
        uint256 threshold = t.tiers[seed % t.tiers.length].threshold;
        uint256 low = threshold > 2 ? threshold - 2 : 0;
        uint256 high = threshold < type(uint64).max - 2 ? threshold + 2 : type(uint64).max;
        return uint64(_bound(units, low, high));
    }

    /// @dev `a` plus `b`, each quantity capped at its type's maximum (the reports of one order).
    function _add(Usage memory a, Usage memory b) internal pure returns (Usage memory sum) {
        sum.machineSeconds = uint64(_min(uint256(a.machineSeconds) + b.machineSeconds, type(uint64).max));
        sum.units = uint64(_min(uint256(a.units) + b.units, type(uint64).max));
        sum.inspections = uint32(_min(uint256(a.inspections) + b.inspections, type(uint32).max));
        sum.licensedProducts = new uint64[](a.licensedProducts.length);
        for (uint256 i = 0; i < a.licensedProducts.length; ++i) {
            uint256 more = b.licensedProducts.length == 0 ? 0 : b.licensedProducts[i];
            sum.licensedProducts[i] = uint64(_min(uint256(a.licensedProducts[i]) + more, type(uint64).max));
        }
    }

    /// @dev Production computed band by band, independently of TariffMath's loop: band j runs from its lower
    /// bound (0, then each threshold) to the next threshold, and `units` fills each band it reaches.
    function _graduatedSum(uint96 basePrice, UnitTier[] memory tiers, uint256 units) internal pure returns (uint256) {
        uint256 sum;
        uint256 lower;
        for (uint256 j = 0; j <= tiers.length; ++j) {
            uint256 upper = j < tiers.length ? tiers[j].threshold : type(uint256).max;
            uint256 unitPrice = j == 0 ? basePrice : tiers[j - 1].pricePerUnit;
            sum += (_min(units, upper) - _min(units, lower)) * unitPrice;
            lower = upper;
        }
        return sum;
    }

    function _subtotal(Charge memory c) internal pure returns (uint256) {
        return c.setupFee + c.machineTime + c.production + c.inspections;
    }

    function _used(Usage memory u) internal pure returns (bool) {
        if (u.machineSeconds != 0 || u.units != 0 || u.inspections != 0) return true;
        for (uint256 i = 0; i < u.licensedProducts.length; ++i) {
            if (u.licensedProducts[i] != 0) return true;
        }
        return false;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _assertNotLower(Charge memory before, Charge memory later) internal pure {
        assertGe(later.total, before.total, "total");
        assertGe(later.total - later.royaltyTotal, before.total - before.royaltyTotal, "provider's part");
    }

    function _assertWithinBounds(Charge memory c) internal pure {
        assertLt(c.setupFee, LINE_BOUND, "setupFee");
        assertLt(c.machineTime, LINE_BOUND, "machineTime");
        assertLt(c.production, LINE_BOUND, "production");
        assertLt(c.inspections, LINE_BOUND, "inspections");
        assertLt(c.minimumTopUp, LINE_BOUND, "minimumTopUp");
        for (uint256 i = 0; i < c.royalties.length; ++i) {
            assertLt(c.royalties[i], LINE_BOUND, "royalty");
        }
        assertLt(c.total, TOTAL_BOUND, "total");
        assertEq(c.total, _subtotal(c) + c.minimumTopUp + c.royaltyTotal, "total is the sum of its lines");
    }
}
