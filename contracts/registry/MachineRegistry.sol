// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {ILicenseRegistry} from "../interfaces/ILicenseRegistry.sol";
import {IMachineRegistry} from "../interfaces/IMachineRegistry.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {TariffMath} from "../libraries/TariffMath.sol";
import {LICENSE_ID_BITS, LicenseIds} from "../types/LicenseIds.sol";
import {KeyKind, Machine, MachineKind, MachineStatus, SignerKey} from "../types/Listing.sol";
import {Role} from "../types/Membership.sol";
import {Charge, Tariff, UnitTier, Usage} from "../types/Tariff.sol";

/// @title MachineRegistry
/// @notice Machines and services, their capabilities, signer keys and versioned tariffs.
contract MachineRegistry is IMachineRegistry, ERC165 {
    /// @inheritdoc IMachineRegistry
    uint256 public constant MAX_CAPABILITIES = 8;
    /// @inheritdoc IMachineRegistry
    uint256 public constant MAX_ACTIVE_KEYS = 8;
    /// @inheritdoc IMachineRegistry
    uint256 public constant MAX_TIERS = 3;
    /// @inheritdoc IMachineRegistry
    uint256 public constant MAX_LICENSES = 4;

    /// @dev A tariff version in three slots plus one per tier; licence ids packed 32 bits each ({LicenseIds}).
    struct StoredTariff {
        uint96 pricePerHour;
        uint96 pricePerUnit;
        uint8 tierCount;
        uint8 licenseCount;
        uint96 pricePerInspection;
        uint96 setupFee;
        uint96 minimumCharge;
        LicenseIds licenseIds;
        UnitTier[MAX_TIERS] tiers;
    }

    IConsortium private immutable _consortium;
    ILicenseRegistry private immutable _licenses;

    mapping(uint64 machineId => Machine) private _machines;
    mapping(uint64 machineId => mapping(uint32 version => StoredTariff)) private _tariffs;
    mapping(address key => SignerKey) private _keys;
    mapping(uint64 machineId => address[] keys) private _keysOf;
    mapping(uint64 memberId => uint64[] machineIds) private _machinesOf;
    mapping(uint64 memberId => uint256 count) private _openCount;
    /// @dev Active listings per capability, and each one's position in that list plus one.
    mapping(bytes32 capability => uint64[] machineIds) private _byCapability;
    mapping(uint64 machineId => mapping(bytes32 capability => uint256 position)) private _positions;

    uint64 private _machineCount;

    /// @notice Deploys the registry; operators then register it with the Consortium.
    /// @param consortium_ The Consortium that says who is a provider in good standing.
    /// @param licenses_ The registry of the licences tariffs name.
    constructor(IConsortium consortium_, ILicenseRegistry licenses_) {
        _consortium = consortium_;
        _licenses = licenses_;
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return
            interfaceId == type(IObligations).interfaceId ||
            interfaceId == type(IMachineRegistry).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IObligations
    function openObligations(uint64 memberId) external view returns (uint256 count) {
        return _openCount[memberId];
    }

    /// @inheritdoc IMachineRegistry
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @inheritdoc IMachineRegistry
    function licenseRegistry() external view returns (address) {
        return address(_licenses);
    }

    /// @inheritdoc IMachineRegistry
    function machineCount() external view returns (uint64) {
        return _machineCount;
    }

    /// @inheritdoc IMachineRegistry
    function getMachine(uint64 machineId) external view returns (Machine memory) {
        return _machines[machineId];
    }

    /// @inheritdoc IMachineRegistry
    function machinesOf(uint64 memberId) external view returns (uint64[] memory) {
        return _machinesOf[memberId];
    }

    /// @inheritdoc IMachineRegistry
    function tariffOf(uint64 machineId, uint32 version) external view returns (Tariff memory) {
        Machine storage machine = _existing(machineId);
        if (version == 0 || version > machine.tariffVersion) {
            revert MachineRegistryUnknownTariffVersion(machineId, version);
        }
        return _loadTariff(machineId, version);
    }

    /// @inheritdoc IMachineRegistry
    function signerKey(address key) external view returns (SignerKey memory) {
        return _keys[key];
    }

    /// @inheritdoc IMachineRegistry
    function keysOf(uint64 machineId) external view returns (address[] memory) {
        return _keysOf[machineId];
    }

    /// @inheritdoc IMachineRegistry
    function isKeyValidAt(uint64 machineId, address key, KeyKind kind, uint256 timestamp) external view returns (bool) {
        SignerKey memory record = _keys[key];
        return
            record.machineId == machineId &&
            machineId != 0 &&
            record.kind == kind &&
            record.validFrom <= timestamp &&
            (record.validUntil == 0 || timestamp < record.validUntil);
    }

    /// @inheritdoc IMachineRegistry
    function isBookable(uint64 machineId) external view returns (bool) {
        return _isBookable(machineId);
    }

    /// @inheritdoc IMachineRegistry
    function bookingTerms(uint64 machineId) external view returns (BookingTerms memory terms) {
        return _bookingTerms(machineId);
    }

    /// @inheritdoc IMachineRegistry
    function quote(uint64 machineId, Usage calldata usage) external view returns (uint32 tariffVersion, Charge memory) {
        BookingTerms memory terms = _bookingTerms(machineId);
        return (terms.tariffVersion, TariffMath.price(terms.tariff, terms.royalties, usage));
    }

    /// @inheritdoc IMachineRegistry
    function capabilityCount(bytes32 capability) external view returns (uint256) {
        return _byCapability[capability].length;
    }

    /// @inheritdoc IMachineRegistry
    function machinesByCapability(
        bytes32 capability,
        uint256 offset,
        uint256 limit
    ) external view returns (uint64[] memory machineIds, uint256 next) {
        uint64[] storage listed = _byCapability[capability];
        uint256 length = listed.length;
        if (offset >= length) return (new uint64[](0), length);
        uint64[] memory page = new uint64[](limit < length - offset ? limit : length - offset);
        uint256 found;
        for (next = offset; next < length && found < limit; ++next) {
            uint64 machineId = listed[next];
            if (_isBookable(machineId)) {
                page[found] = machineId;
                ++found;
            }
        }
        machineIds = new uint64[](found);
        for (uint256 i; i < found; ++i) {
            machineIds[i] = page[i];
        }
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMachineRegistry
    function registerMachine(
        Profile calldata profile,
        address[] calldata keys,
        Tariff calldata tariff
    ) external returns (uint64 machineId) {
        uint64 provider = _consortium.requireNewBusiness(msg.sender, Role.Provider);
        _checkProfile(profile);
        machineId = ++_machineCount;
        Machine storage machine = _machines[machineId];
        machine.provider = provider;
        machine.kind = profile.kind;
        machine.status = MachineStatus.Active;
        machine.registeredAt = uint40(block.timestamp);
        _setProfile(machine, profile);
        _machinesOf[provider].push(machineId);
        ++_openCount[provider];
        _index(machineId, profile.capabilities);
        emit MachineRegistered(
            machineId,
            provider,
            profile.kind,
            profile.site,
            profile.capabilities,
            profile.metadataURI,
            profile.metadataHash
        );

        KeyKind kind = profile.kind == MachineKind.Service ? KeyKind.Inspector : KeyKind.Device;
        for (uint256 i; i < keys.length; ++i) {
            _addKey(machineId, machine, keys[i], kind);
        }
        _publishTariff(machineId, machine, tariff);
    }

    /// @inheritdoc IMachineRegistry
    function updateMachine(uint64 machineId, Profile calldata profile) external {
        Machine storage machine = _manageable(machineId);
        _checkProfile(profile);
        if (profile.kind != machine.kind) revert MachineRegistryKindChanged(machineId, machine.kind);
        if (machine.status == MachineStatus.Active) {
            _unindex(machineId, machine.capabilities);
            _index(machineId, profile.capabilities);
        }
        _setProfile(machine, profile);
        emit MachineUpdated(machineId, profile.site, profile.capabilities, profile.metadataURI, profile.metadataHash);
    }

    /// @inheritdoc IMachineRegistry
    function publishTariff(uint64 machineId, Tariff calldata tariff) external returns (uint32 version) {
        return _publishTariff(machineId, _manageable(machineId), tariff);
    }

    /// @inheritdoc IMachineRegistry
    function pauseMachine(uint64 machineId) external {
        Machine storage machine = _owned(machineId, _consortium.requireAccount(msg.sender));
        if (machine.status != MachineStatus.Active) {
            if (machine.status == MachineStatus.Retired) revert MachineRegistryMachineRetired(machineId);
            revert MachineRegistryStatusUnchanged(machineId, machine.status);
        }
        _unindex(machineId, machine.capabilities);
        _setStatus(machineId, machine, MachineStatus.Paused);
    }

    /// @inheritdoc IMachineRegistry
    function resumeMachine(uint64 machineId) external {
        Machine storage machine = _owned(machineId, _consortium.requireNewBusiness(msg.sender, Role.Provider));
        if (machine.status != MachineStatus.Paused) {
            if (machine.status == MachineStatus.Retired) revert MachineRegistryMachineRetired(machineId);
            revert MachineRegistryStatusUnchanged(machineId, machine.status);
        }
        _index(machineId, machine.capabilities);
        _setStatus(machineId, machine, MachineStatus.Active);
    }

    /// @inheritdoc IMachineRegistry
    function retireMachine(uint64 machineId) external {
        Machine storage machine = _owned(machineId, _consortium.requireAccount(msg.sender));
        if (machine.status == MachineStatus.Retired) revert MachineRegistryMachineRetired(machineId);
        if (machine.status == MachineStatus.Active) _unindex(machineId, machine.capabilities);
        --_openCount[machine.provider];
        _setStatus(machineId, machine, MachineStatus.Retired);
    }

    /// @inheritdoc IMachineRegistry
    function addKey(uint64 machineId, address key, KeyKind kind) external {
        _addKey(machineId, _manageable(machineId), key, kind);
    }

    /// @inheritdoc IMachineRegistry
    function revokeKey(uint64 machineId, address key) external {
        Machine storage machine = _owned(machineId, _consortium.requireAccount(msg.sender));
        _revokeKey(machineId, machine, key);
    }

    /// @inheritdoc IMachineRegistry
    function rotateKey(uint64 machineId, address oldKey, address newKey) external {
        Machine storage machine = _manageable(machineId);
        KeyKind kind = _revokeKey(machineId, machine, oldKey);
        _addKey(machineId, machine, newKey, kind);
    }

    /*//////////////////////////////////////////////////////////////
                       INTERNAL READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _existing(uint64 machineId) internal view returns (Machine storage machine) {
        machine = _machines[machineId];
        if (machine.status == MachineStatus.None) revert MachineRegistryUnknownMachine(machineId);
    }

    function _owned(uint64 machineId, uint64 memberId) internal view returns (Machine storage machine) {
        machine = _existing(machineId);
        if (machine.provider != memberId) revert MachineRegistryNotOwner(machineId, memberId);
    }

    /// @dev A listing the caller's member owns, may change as a provider in good standing, and is not retired.
    function _manageable(uint64 machineId) internal view returns (Machine storage machine) {
        machine = _owned(machineId, _consortium.requireRole(msg.sender, Role.Provider));
        if (machine.status == MachineStatus.Retired) revert MachineRegistryMachineRetired(machineId);
    }

    function _isBookable(uint64 machineId) internal view returns (bool) {
        Machine storage machine = _machines[machineId];
        if (machine.status != MachineStatus.Active) return false;
        if (!_consortium.inBusiness(machine.provider, Role.Provider)) return false;
        StoredTariff storage stored = _tariffs[machineId][machine.tariffVersion];
        for (uint256 i; i < stored.licenseCount; ++i) {
            if (_licenses.getLicense(stored.licenseIds.at(i)).status != ILicenseRegistry.LicenseStatus.Active) {
                return false;
            }
        }
        return true;
    }

    function _bookingTerms(uint64 machineId) internal view returns (BookingTerms memory terms) {
        Machine storage machine = _existing(machineId);
        if (machine.status != MachineStatus.Active) revert MachineRegistryMachineNotActive(machineId, machine.status);
        if (!_consortium.inBusiness(machine.provider, Role.Provider)) {
            revert MachineRegistryProviderNotInBusiness(machineId, machine.provider);
        }
        terms.provider = machine.provider;
        terms.tariffVersion = machine.tariffVersion;
        terms.tariff = _loadTariff(machineId, machine.tariffVersion);
        uint256 count = terms.tariff.licenseIds.length;
        terms.licensors = new uint64[](count);
        terms.licenseVersions = new uint32[](count);
        terms.royalties = new uint96[](count);
        for (uint256 i; i < count; ++i) {
            (terms.licensors[i], terms.licenseVersions[i], terms.royalties[i]) = _licenses.currentTerms(
                terms.tariff.licenseIds[i]
            );
        }
    }

    function _loadTariff(uint64 machineId, uint32 version) internal view returns (Tariff memory tariff) {
        StoredTariff storage stored = _tariffs[machineId][version];
        tariff.pricePerHour = stored.pricePerHour;
        tariff.pricePerUnit = stored.pricePerUnit;
        tariff.pricePerInspection = stored.pricePerInspection;
        tariff.setupFee = stored.setupFee;
        tariff.minimumCharge = stored.minimumCharge;
        tariff.tiers = new UnitTier[](stored.tierCount);
        for (uint256 i; i < stored.tierCount; ++i) {
            tariff.tiers[i] = stored.tiers[i];
        }
        tariff.licenseIds = new uint32[](stored.licenseCount);
        for (uint256 i; i < stored.licenseCount; ++i) {
            tariff.licenseIds[i] = stored.licenseIds.at(i);
        }
    }

    function _checkProfile(Profile calldata profile) internal pure {
        if (profile.site == bytes32(0)) revert MachineRegistryInvalidSite();
        if (bytes(profile.metadataURI).length == 0 || profile.metadataHash == bytes32(0)) {
            revert MachineRegistryInvalidMetadata();
        }
        uint256 count = profile.capabilities.length;
        if (count == 0 || count > MAX_CAPABILITIES) revert MachineRegistryCapabilityCount(count, MAX_CAPABILITIES);
        for (uint256 i; i < count; ++i) {
            bytes32 capability = profile.capabilities[i];
            if (capability == bytes32(0)) revert MachineRegistryInvalidCapability(capability);
            for (uint256 j; j < i; ++j) {
                if (profile.capabilities[j] == capability) revert MachineRegistryInvalidCapability(capability);
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                     INTERNAL STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _setProfile(Machine storage machine, Profile calldata profile) internal {
        machine.site = profile.site;
        machine.capabilities = profile.capabilities;
        machine.metadataURI = profile.metadataURI;
        machine.metadataHash = profile.metadataHash;
    }

    function _setStatus(uint64 machineId, Machine storage machine, MachineStatus status) internal {
        machine.status = status;
        emit MachineStatusChanged(machineId, status);
    }

    function _index(uint64 machineId, bytes32[] memory capabilities) internal {
        for (uint256 i; i < capabilities.length; ++i) {
            uint64[] storage listed = _byCapability[capabilities[i]];
            listed.push(machineId);
            _positions[machineId][capabilities[i]] = listed.length;
        }
    }

    /// @dev Removes the listing from each tag's list by moving the last entry into its place.
    function _unindex(uint64 machineId, bytes32[] memory capabilities) internal {
        for (uint256 i; i < capabilities.length; ++i) {
            uint64[] storage listed = _byCapability[capabilities[i]];
            uint256 position = _positions[machineId][capabilities[i]];
            uint64 last = listed[listed.length - 1];
            listed[position - 1] = last;
            _positions[last][capabilities[i]] = position;
            listed.pop();
            delete _positions[machineId][capabilities[i]];
        }
    }

    function _addKey(uint64 machineId, Machine storage machine, address key, KeyKind kind) internal {
        if (key == address(0)) revert MachineRegistryInvalidKey(key);
        uint64 holder = _keys[key].machineId;
        if (holder != 0) revert MachineRegistryKeyTaken(key, holder);
        if (kind == KeyKind.Device && machine.kind == MachineKind.Service) {
            revert MachineRegistryKeyKindNotAllowed(machineId, kind);
        }
        if (machine.activeKeys >= MAX_ACTIVE_KEYS) revert MachineRegistryTooManyKeys(machineId, MAX_ACTIVE_KEYS);
        ++machine.activeKeys;
        _keys[key] = SignerKey({machineId: machineId, kind: kind, validFrom: uint40(block.timestamp), validUntil: 0});
        _keysOf[machineId].push(key);
        emit SignerKeyAdded(machineId, key, kind);
    }

    function _revokeKey(uint64 machineId, Machine storage machine, address key) internal returns (KeyKind kind) {
        SignerKey storage record = _keys[key];
        if (record.machineId != machineId) revert MachineRegistryUnknownKey(machineId, key);
        if (record.validUntil != 0) revert MachineRegistryKeyRevoked(key, record.validUntil);
        record.validUntil = uint40(block.timestamp);
        --machine.activeKeys;
        emit SignerKeyRevoked(machineId, key);
        return record.kind;
    }

    function _publishTariff(
        uint64 machineId,
        Machine storage machine,
        Tariff calldata tariff
    ) internal returns (uint32 version) {
        uint256 tierCount = tariff.tiers.length;
        if (tierCount > MAX_TIERS) revert MachineRegistryTooManyTiers(tierCount, MAX_TIERS);
        uint256 licenseCount = tariff.licenseIds.length;
        if (licenseCount > MAX_LICENSES) revert MachineRegistryTooManyLicenses(licenseCount, MAX_LICENSES);

        version = ++machine.tariffVersion;
        StoredTariff storage stored = _tariffs[machineId][version];
        stored.pricePerHour = tariff.pricePerHour;
        stored.pricePerUnit = tariff.pricePerUnit;
        stored.tierCount = uint8(tierCount);
        stored.licenseCount = uint8(licenseCount);
        stored.pricePerInspection = tariff.pricePerInspection;
        stored.setupFee = tariff.setupFee;
        stored.minimumCharge = tariff.minimumCharge;

        uint64 previous;
        for (uint256 i; i < tierCount; ++i) {
            uint64 threshold = tariff.tiers[i].threshold;
            if (threshold <= previous) revert MachineRegistryInvalidTier(i, threshold);
            stored.tiers[i] = tariff.tiers[i];
            previous = threshold;
        }
        LicenseIds packed;
        for (uint256 i; i < licenseCount; ++i) {
            uint32 licenseId = tariff.licenseIds[i];
            for (uint256 j; j < i; ++j) {
                if (tariff.licenseIds[j] == licenseId) revert MachineRegistryDuplicateLicense(licenseId);
            }
            // Reverts for unknown and retired licences.
            _licenses.currentTerms(licenseId);
            // Composed here: the legacy optimizer leaves a library function for it a call (60 gas per licence).
            packed = LicenseIds.wrap(LicenseIds.unwrap(packed) | uint128(uint256(licenseId) << (LICENSE_ID_BITS * i)));
        }
        stored.licenseIds = packed;
        emit TariffPublished(machineId, version, tariff);
    }
}
