// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {LicenseRegistry} from "../../contracts/registry/LicenseRegistry.sol";
import {MachineRegistry} from "../../contracts/registry/MachineRegistry.sol";
import {Machine, MachineStatus, SignerKey} from "../../contracts/types/Listing.sol";
import {Role} from "../../contracts/types/Membership.sol";
import {RegistryHandler} from "./RegistryHandler.sol";

/// @notice Laws of the machine registry that hold after any sequence of the handler's actions: the capability
/// index, its paged reads, open obligations, signer keys and tariff versions agree with a model.
/// @dev Run it with its handler: `npx hardhat test solidity test/invariant/Registry.t.sol
/// test/invariant/RegistryHandler.sol` (the fuzzer finds the handler's functions through its artifact).
contract RegistryInvariantTest is Test {
    /// @dev Storage slots of `_byCapability` and `_machineCount` (solc storage layout of MachineRegistry:
    /// `_machines`, `_tariffs`, `_keys`, `_keysOf`, `_machinesOf`, `_openCount`, `_byCapability`, `_positions`,
    /// `_machineCount`). Checked against `capabilityCount` and `machineCount` in setUp and on every read.
    uint256 internal constant BY_CAPABILITY_SLOT = 6;
    uint256 internal constant MACHINE_COUNT_SLOT = 8;
    uint256 internal constant PAGE_SIZES = 4;

    RegistryHandler internal handler;
    Consortium internal consortium;
    MachineRegistry internal machines;
    LicenseRegistry internal licenses;

    function setUp() public {
        handler = new RegistryHandler();
        consortium = handler.consortium();
        machines = handler.machines();
        licenses = handler.licenses();
        assertEq(uint256(vm.load(address(machines), bytes32(MACHINE_COUNT_SLOT))), machines.machineCount(), "layout");
        assertEq(_rawIndex(handler.tag(0)).length, machines.capabilityCount(handler.tag(0)), "layout");

        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = RegistryHandler.registerMachine.selector;
        selectors[1] = RegistryHandler.pauseMachine.selector;
        selectors[2] = RegistryHandler.resumeMachine.selector;
        selectors[3] = RegistryHandler.retireMachine.selector;
        selectors[4] = RegistryHandler.updateCapabilities.selector;
        selectors[5] = RegistryHandler.addKey.selector;
        selectors[6] = RegistryHandler.revokeKey.selector;
        selectors[7] = RegistryHandler.rotateKey.selector;
        selectors[8] = RegistryHandler.publishTariff.selector;
        selectors[9] = RegistryHandler.suspendProvider.selector;
        selectors[10] = RegistryHandler.reinstateProvider.selector;
        selectors[11] = RegistryHandler.warp.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
        excludeContract(address(consortium));
        excludeContract(address(handler.token()));
        excludeContract(address(handler.gateway()));
        excludeContract(address(licenses));
        excludeContract(address(machines));
    }

    /// @notice For each tag, the index holds exactly the active listings with that tag, each once, and
    /// capabilityCount is their number.
    function invariant_CapabilityIndexHoldsEachActiveListingWithTheTagOnce() public view {
        uint64 count = machines.machineCount();
        for (uint256 t = 0; t < handler.TAG_COUNT(); ++t) {
            bytes32 tag = handler.tag(t);
            uint64[] memory listed = _rawIndex(tag);
            assertEq(listed.length, machines.capabilityCount(tag), "capabilityCount is the index's length");
            bool[] memory seen = new bool[](uint256(count) + 1);
            for (uint256 i = 0; i < listed.length; ++i) {
                uint64 machineId = listed[i];
                assertTrue(machineId != 0 && machineId <= count, "indexed id exists");
                assertFalse(seen[machineId], "indexed once");
                seen[machineId] = true;
            }
            for (uint64 id = 1; id <= count; ++id) {
                RegistryHandler.GhostListing memory listing = handler.ghostListing(id);
                bool expected = listing.status == MachineStatus.Active && _holds(listing, t);
                assertEq(seen[id], expected, "indexed iff active and tagged");
            }
        }
    }

    /// @notice Reading machinesByCapability page by page, whatever the page size, returns exactly the active
    /// listings with the tag whose providers may do business, each once.
    function invariant_MachinesByCapabilityPagesReturnExactlyTheBookableListings() public view {
        uint64 count = machines.machineCount();
        uint256[PAGE_SIZES] memory limits = [uint256(1), 2, 3, 64];
        for (uint256 t = 0; t < handler.TAG_COUNT(); ++t) {
            bytes32 tag = handler.tag(t);
            uint256 length = machines.capabilityCount(tag);
            for (uint256 s = 0; s < PAGE_SIZES; ++s) {
                bool[] memory seen = new bool[](uint256(count) + 1);
                uint256 offset;
                while (offset < length) {
                    (uint64[] memory page, uint256 next) = machines.machinesByCapability(tag, offset, limits[s]);
                    assertLe(page.length, limits[s], "page within its limit");
                    assertGt(next, offset, "reading moves on");
                    assertLe(next, length, "next within the list");
                    if (page.length < limits[s]) assertEq(next, length, "a short page ends the list");
                    for (uint256 i = 0; i < page.length; ++i) {
                        assertFalse(seen[page[i]], "listed once over all pages");
                        seen[page[i]] = true;
                    }
                    offset = next;
                }
                (uint64[] memory beyond, uint256 end) = machines.machinesByCapability(tag, length, limits[s]);
                assertEq(beyond.length, 0, "nothing past the end");
                assertEq(end, length, "past the end stays at the end");
                for (uint64 id = 1; id <= count; ++id) {
                    bool expected = handler.modelBookable(id) && _holds(handler.ghostListing(id), t);
                    assertEq(seen[id], expected, "returned iff bookable and tagged");
                }
            }
        }
        for (uint64 id = 1; id <= count; ++id) {
            assertEq(machines.isBookable(id), handler.modelBookable(id), "isBookable");
        }
    }

    /// @notice A provider's open obligations are its listings that are not retired.
    function invariant_OpenObligationsCountTheListingsNotRetired() public view {
        uint64[] memory providers = handler.providers();
        for (uint256 p = 0; p < providers.length; ++p) {
            uint64[] memory listings = handler.ghostListingsOf(providers[p]);
            assertEq(
                keccak256(abi.encode(machines.machinesOf(providers[p]))),
                keccak256(abi.encode(listings)),
                "machinesOf"
            );
            uint256 open;
            for (uint256 i = 0; i < listings.length; ++i) {
                if (handler.ghostListing(listings[i]).status != MachineStatus.Retired) ++open;
            }
            assertEq(machines.openObligations(providers[p]), open, "openObligations");
        }
    }

    /// @notice A listing's activeKeys counts exactly its keys not revoked, and never exceeds MAX_ACTIVE_KEYS.
    function invariant_ActiveKeysAreTheUnrevokedKeysWithinTheMaximum() public view {
        uint64 count = machines.machineCount();
        uint256 maxActive = machines.MAX_ACTIVE_KEYS();
        for (uint64 id = 1; id <= count; ++id) {
            address[] memory keys = machines.keysOf(id);
            assertEq(keccak256(abi.encode(keys)), keccak256(abi.encode(handler.ghostKeysOf(id))), "keysOf");
            uint256 active;
            for (uint256 i = 0; i < keys.length; ++i) {
                SignerKey memory record = machines.signerKey(keys[i]);
                assertEq(record.machineId, id, "key's listing");
                assertEq(record.validUntil, handler.ghost_revokedAt(keys[i]), "validUntil");
                if (record.validUntil == 0) ++active;
            }
            uint256 activeKeys = machines.getMachine(id).activeKeys;
            assertEq(activeKeys, active, "activeKeys");
            assertLe(activeKeys, maxActive, "at most MAX_ACTIVE_KEYS");
        }
    }

    /// @notice Once revoked, a key's validUntil never changes again.
    function invariant_RevokedKeyValidUntilNeverChanges() public view {
        assertEq(handler.ghost_revokedKeyChanges(), 0, "revoked keys whose validUntil changed");
        address[] memory keys = handler.allKeys();
        for (uint256 i = 0; i < keys.length; ++i) {
            uint40 revokedAt = handler.ghost_revokedAt(keys[i]);
            if (revokedAt == 0) continue;
            assertEq(machines.signerKey(keys[i]).validUntil, revokedAt, "validUntil");
        }
    }

    /// @notice A listing's tariff version only rises, by one per version published.
    function invariant_TariffVersionOnlyRises() public view {
        assertEq(handler.ghost_tariffVersionDecreases(), 0, "tariff versions that went down");
        uint64 count = machines.machineCount();
        for (uint64 id = 1; id <= count; ++id) {
            uint32 version = machines.getMachine(id).tariffVersion;
            assertEq(version, handler.ghostListing(id).tariffVersion, "tariffVersion");
            assertGe(version, 1, "version 1 comes with the listing");
            machines.tariffOf(id, version);
        }
    }

    /// @notice Listings and providers' standing are what the model says.
    function invariant_ListingsMatchTheModel() public view {
        uint64 count = machines.machineCount();
        assertEq(count, handler.ghost_listingCount(), "machineCount");
        for (uint64 id = 1; id <= count; ++id) {
            Machine memory machine = machines.getMachine(id);
            RegistryHandler.GhostListing memory listing = handler.ghostListing(id);
            assertEq(uint8(machine.status), uint8(listing.status), "status");
            assertEq(machine.provider, listing.provider, "provider");
            assertEq(uint8(machine.kind), uint8(listing.kind), "kind");
            uint8 tags;
            for (uint256 i = 0; i < machine.capabilities.length; ++i) {
                for (uint256 t = 0; t < handler.TAG_COUNT(); ++t) {
                    if (machine.capabilities[i] == handler.tag(t)) tags |= uint8(1 << t);
                }
            }
            assertEq(tags, listing.tags, "capabilities");
        }
        uint64[] memory providers = handler.providers();
        for (uint256 p = 0; p < providers.length; ++p) {
            assertEq(
                consortium.inBusiness(providers[p], Role.Provider),
                !handler.ghost_suspended(providers[p]),
                "provider in business"
            );
        }
    }

    /// @dev The raw list `_byCapability[tag]`: uint64 ids packed four to a slot, lowest first.
    function _rawIndex(bytes32 tag) internal view returns (uint64[] memory ids) {
        bytes32 lengthSlot = keccak256(abi.encode(tag, BY_CAPABILITY_SLOT));
        ids = new uint64[](uint256(vm.load(address(machines), lengthSlot)));
        uint256 base = uint256(keccak256(abi.encode(lengthSlot)));
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 word = uint256(vm.load(address(machines), bytes32(base + i / 4)));
            ids[i] = uint64(word >> (64 * (i % 4)));
        }
    }

    function _holds(RegistryHandler.GhostListing memory listing, uint256 tagIndex) internal pure returns (bool) {
        return listing.tags & (1 << tagIndex) != 0;
    }
}
