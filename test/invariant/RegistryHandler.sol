// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IMachineRegistry} from "../../contracts/interfaces/IMachineRegistry.sol";
import {LicenseRegistry} from "../../contracts/registry/LicenseRegistry.sol";
import {MachineRegistry} from "../../contracts/registry/MachineRegistry.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {KeyKind, MachineKind, MachineStatus} from "../../contracts/types/Listing.sol";
import {Role, Roles} from "../../contracts/types/Membership.sol";
import {Tariff, UnitTier} from "../../contracts/types/Tariff.sol";
import {SettlementLayerDeployment} from "../helpers/SettlementLayerDeployment.sol";

/// @notice Drives the machine registry (with the settlement layer and a licence registry behind it) with
/// bounded random actions: listings with random subsets of a small tag set are registered, paused, resumed,
/// retired and re-tagged, their keys added, revoked and rotated, tariffs published, and providers suspended
/// and reinstated. Callers are mostly the owner's accounts and now and then someone else; calls that should
/// fail are let fail, and the ghost state records only what succeeded.
contract RegistryHandler is CommonBase, StdUtils {
    uint256 public constant TAG_COUNT = 4;
    uint256 internal constant MAX_WARP = 7 days;

    struct GhostListing {
        uint64 provider;
        MachineKind kind;
        MachineStatus status;
        /// @dev Bit `i` set when the listing holds `tag(i)`.
        uint8 tags;
        uint32 tariffVersion;
    }

    Consortium public immutable consortium;
    SettlementToken public immutable token;
    FiatGateway public immutable gateway;
    LicenseRegistry public immutable licenses;
    MachineRegistry public immutable machines;
    address public immutable founder;

    /*//////////////////////////////////////////////////////////////
                                 ACTORS
    //////////////////////////////////////////////////////////////*/

    uint64[] internal _providers;
    mapping(uint64 memberId => address[] accounts) internal _accountsOf;
    address internal _licensor;
    /// @dev Every address that is or was a signer key, in the order the registry accepted them.
    address[] internal _allKeys;
    uint256 internal _keyNonce;

    /*//////////////////////////////////////////////////////////////
                                 GHOSTS
    //////////////////////////////////////////////////////////////*/

    uint64 public ghost_listingCount;
    mapping(uint64 machineId => GhostListing) internal _listings;
    mapping(uint64 machineId => address[] keys) internal _keysOf;
    mapping(uint64 memberId => uint64[] machineIds) internal _listingsOf;
    /// @dev The `validUntil` a key got when it was revoked; 0 while active.
    mapping(address key => uint40 validUntil) public ghost_revokedAt;
    mapping(uint64 memberId => bool) public ghost_suspended;
    /// @dev Times a listing's tariff version was seen lower than at the previous action.
    uint256 public ghost_tariffVersionDecreases;
    /// @dev Times a revoked key's `validUntil` was seen changed after its revocation.
    uint256 public ghost_revokedKeyChanges;
    mapping(uint64 machineId => uint32 version) internal _seenVersion;

    /// @dev Successful calls per action, for the campaign summary.
    mapping(bytes4 selector => uint256 count) public successes;

    /*//////////////////////////////////////////////////////////////
                                 SETUP
    //////////////////////////////////////////////////////////////*/

    constructor() {
        founder = _freshAddress();
        SettlementLayerDeployment.Deployed memory d = SettlementLayerDeployment.deploy(
            founder,
            _freshAddress(),
            _freshAddress()
        );
        consortium = d.consortium;
        token = d.token;
        gateway = d.gateway;
        licenses = new LicenseRegistry(consortium);
        machines = new MachineRegistry(consortium, licenses);
        vm.startPrank(founder);
        consortium.registerContract(address(licenses));
        consortium.registerContract(address(machines));
        vm.stopPrank();
        vm.warp(1_735_689_600); // 2025-01-01

        // Two providers with two accounts each, one that also consumes, and a licensor with two licences.
        _admitProvider(2, Roles.bit(Role.Provider));
        _admitProvider(2, Roles.bit(Role.Provider));
        _admitProvider(1, Roles.bit(Role.Provider) | Roles.bit(Role.Consumer));
        address[] memory licensorAccounts = new address[](1);
        licensorAccounts[0] = _freshAddress();
        _licensor = licensorAccounts[0];
        SettlementLayerDeployment.admitMember(consortium, founder, licensorAccounts, Roles.bit(Role.Licensor));
        vm.startPrank(_licensor);
        licenses.registerLicense(250_000, keccak256("licence terms 1"));
        licenses.registerLicense(0, keccak256("licence terms 2"));
        vm.stopPrank();

        // A listing per provider from the start, so that early actions have something to act on.
        for (uint256 i = 0; i < _providers.length; ++i) {
            _register(_accountsOf[_providers[i]][0], uint8(1 << i) | 1, 1, MachineKind.Machine, i);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice A provider lists a machine or a service with a random subset of the tags (now and then none).
    function registerMachine(
        uint256 callerSeed,
        uint256 tagSeed,
        uint256 keyCount,
        bool service,
        uint256 tariffSeed
    ) external {
        address caller = _caller(callerSeed, _providers[callerSeed % _providers.length]);
        uint8 tags = uint8(_bound(tagSeed, 0, 2 ** TAG_COUNT - 1));
        _register(
            caller,
            tags,
            _bound(keyCount, 0, 3),
            service ? MachineKind.Service : MachineKind.Machine,
            tariffSeed
        );
        _observe();
    }

    /// @notice The owner (or someone else) pauses a listing; a suspended provider may still pause.
    function pauseMachine(uint256 machineSeed, uint256 callerSeed) external {
        uint64 machineId = _machineId(machineSeed);
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.pauseMachine(machineId) {
            _listings[machineId].status = MachineStatus.Paused;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The owner (or someone else) puts a paused listing back on the market.
    function resumeMachine(uint256 machineSeed, uint256 callerSeed) external {
        uint64 machineId = _machineId(machineSeed);
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.resumeMachine(machineId) {
            _listings[machineId].status = MachineStatus.Active;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The owner (or someone else) retires a listing for good; one call in four tries, as retiring is final.
    function retireMachine(uint256 machineSeed, uint256 callerSeed) external {
        if (_mode(callerSeed, 4) != 0) return;
        uint64 machineId = _machineId(machineSeed);
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.retireMachine(machineId) {
            _listings[machineId].status = MachineStatus.Retired;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The owner (or someone else) replaces a listing's capability tags by another subset.
    function updateCapabilities(uint256 machineSeed, uint256 callerSeed, uint256 tagSeed) external {
        uint64 machineId = _machineId(machineSeed);
        uint8 tags = uint8(_bound(tagSeed, 0, 2 ** TAG_COUNT - 1));
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.updateMachine(machineId, _profile(MachineKind.Machine, tags)) {
            _listings[machineId].tags = tags;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The owner adds a fresh key (now and then one already taken, or of the wrong kind); one time in
    /// four it keeps adding keys until the listing is one past full, so that the cap on active keys is tried.
    function addKey(uint256 machineSeed, uint256 callerSeed, uint256 keySeed) external {
        uint64 machineId = _machineId(machineSeed);
        address caller = _callerFor(callerSeed, machineId);
        uint256 attempts = _mode(keySeed, 4) == 0 ? machines.MAX_ACTIVE_KEYS() + 1 : 1;
        for (uint256 i = 0; i < attempts; ++i) {
            uint256 seed = uint256(keccak256(abi.encode(keySeed, i)));
            address key = _newOrTakenKey(seed);
            KeyKind kind = _mode(seed, 8) == 0 ? KeyKind.Device : _kindFor(machineId);
            vm.prank(caller);
            try machines.addKey(machineId, key, kind) {
                _recordKey(machineId, key);
                _succeeded();
            } catch {}
        }
        _observe();
    }

    /// @notice The owner revokes one of the listing's keys (active or already revoked).
    function revokeKey(uint256 machineSeed, uint256 callerSeed, uint256 keySeed) external {
        uint64 machineId = _machineId(machineSeed);
        address key = _keyOf(machineId, keySeed);
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.revokeKey(machineId, key) {
            ghost_revokedAt[key] = uint40(block.timestamp);
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The owner replaces one of the listing's keys by a fresh one (or by one already taken).
    function rotateKey(uint256 machineSeed, uint256 callerSeed, uint256 keySeed) external {
        uint64 machineId = _machineId(machineSeed);
        address oldKey = _keyOf(machineId, keySeed);
        address newKey = _newOrTakenKey(keySeed >> 8);
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.rotateKey(machineId, oldKey, newKey) {
            ghost_revokedAt[oldKey] = uint40(block.timestamp);
            _recordKey(machineId, newKey);
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The owner publishes a new tariff version (now and then an invalid one).
    function publishTariff(uint256 machineSeed, uint256 callerSeed, uint256 tariffSeed) external {
        uint64 machineId = _machineId(machineSeed);
        vm.prank(_callerFor(callerSeed, machineId));
        try machines.publishTariff(machineId, _tariff(tariffSeed)) returns (uint32 version) {
            _listings[machineId].tariffVersion = version;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice An operator suspends a provider; one call in three tries, so that providers are mostly in business.
    function suspendProvider(uint256 providerSeed) external {
        if (_mode(providerSeed, 3) != 0) return;
        uint64 provider = _providers[providerSeed % _providers.length];
        vm.prank(founder);
        try consortium.suspend(provider, keccak256(abi.encode("decision", providerSeed))) {
            ghost_suspended[provider] = true;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice An operator lifts a provider's suspension, mostly of a suspended provider.
    function reinstateProvider(uint256 providerSeed) external {
        uint64 provider = _providers[providerSeed % _providers.length];
        for (uint256 i = 0; i < _providers.length && _mode(providerSeed, 4) != 0; ++i) {
            uint64 candidate = _providers[((providerSeed % _providers.length) + i) % _providers.length];
            if (ghost_suspended[candidate]) {
                provider = candidate;
                break;
            }
        }
        vm.prank(founder);
        try consortium.reinstate(provider) {
            ghost_suspended[provider] = false;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice Time passes, so that keys are added and revoked at different times.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 1, MAX_WARP));
        _observe();
    }

    /*//////////////////////////////////////////////////////////////
                            VIEWS FOR THE TEST
    //////////////////////////////////////////////////////////////*/

    function tag(uint256 index) public pure returns (bytes32) {
        return keccak256(abi.encode("capability", index));
    }

    function providers() external view returns (uint64[] memory) {
        return _providers;
    }

    function ghostListing(uint64 machineId) external view returns (GhostListing memory) {
        return _listings[machineId];
    }

    function ghostKeysOf(uint64 machineId) external view returns (address[] memory) {
        return _keysOf[machineId];
    }

    function ghostListingsOf(uint64 memberId) external view returns (uint64[] memory) {
        return _listingsOf[memberId];
    }

    function allKeys() external view returns (address[] memory) {
        return _allKeys;
    }

    /// @notice Whether the model holds the listing bookable: active, provider not suspended (licences stay active).
    function modelBookable(uint64 machineId) public view returns (bool) {
        GhostListing storage listing = _listings[machineId];
        return listing.status == MachineStatus.Active && !ghost_suspended[listing.provider];
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    function _register(address caller, uint8 tags, uint256 keyCount, MachineKind kind, uint256 tariffSeed) private {
        address[] memory keys = new address[](keyCount);
        for (uint256 i = 0; i < keyCount; ++i) {
            keys[i] = _freshAddress();
        }
        vm.prank(caller);
        try machines.registerMachine(_profile(kind, tags), keys, _tariff(tariffSeed)) returns (uint64 machineId) {
            ++ghost_listingCount;
            uint64 provider = _memberOf(caller);
            _listings[machineId] = GhostListing({
                provider: provider,
                kind: kind,
                status: MachineStatus.Active,
                tags: tags,
                tariffVersion: 1
            });
            _listingsOf[provider].push(machineId);
            for (uint256 i = 0; i < keyCount; ++i) {
                _recordKey(machineId, keys[i]);
            }
            _succeeded();
        } catch {}
    }

    /// @dev Observes what must never go backwards: tariff versions, and revoked keys' `validUntil`.
    function _observe() private {
        for (uint64 id = 1; id <= ghost_listingCount; ++id) {
            uint32 version = machines.getMachine(id).tariffVersion;
            if (version < _seenVersion[id]) ++ghost_tariffVersionDecreases;
            _seenVersion[id] = version;
        }
        for (uint256 i = 0; i < _allKeys.length; ++i) {
            uint40 revokedAt = ghost_revokedAt[_allKeys[i]];
            if (revokedAt != 0 && machines.signerKey(_allKeys[i]).validUntil != revokedAt) ++ghost_revokedKeyChanges;
        }
    }

    function _profile(MachineKind kind, uint8 tags) private pure returns (IMachineRegistry.Profile memory profile) {
        uint256 count;
        for (uint256 i = 0; i < TAG_COUNT; ++i) {
            if (tags & (1 << i) != 0) ++count;
        }
        profile.capabilities = new bytes32[](count);
        count = 0;
        for (uint256 i = 0; i < TAG_COUNT; ++i) {
            if (tags & (1 << i) != 0) profile.capabilities[count++] = tag(i);
        }
        profile.kind = kind;
        profile.site = "DE-HH-01";
        profile.metadataURI = "ipfs://listing";
        profile.metadataHash = keccak256(abi.encode("listing", tags));
    }

    /// @dev 0 to 3 tiers with rising thresholds (one time in sixteen not rising), licences 1 and 2 or not.
    function _tariff(uint256 seed) private pure returns (Tariff memory tariff) {
        tariff.pricePerHour = uint96(_bound(seed, 0, 200_000_000));
        tariff.pricePerUnit = uint96(seed >> 96);
        tariff.setupFee = uint96(seed >> 128);
        tariff.minimumCharge = uint96(seed >> 160);
        uint256 tierCount = _mode(seed, 4);
        tariff.tiers = new UnitTier[](tierCount);
        for (uint256 i = 0; i < tierCount; ++i) {
            tariff.tiers[i] = UnitTier({threshold: uint64(10 * (i + 1)), pricePerUnit: uint96(i)});
        }
        if (tierCount > 1 && _mode(seed, 16) == 0) tariff.tiers[1].threshold = tariff.tiers[0].threshold;
        uint256 licenseMask = _mode(seed >> 8, 4);
        tariff.licenseIds = new uint32[]((licenseMask & 1) + (licenseMask >> 1));
        uint256 next;
        if (licenseMask & 1 != 0) tariff.licenseIds[next++] = 1;
        if (licenseMask & 2 != 0) tariff.licenseIds[next++] = 2;
    }

    /// @dev Mostly a listing that is not retired; now and then any listing, or the id one past the last.
    function _machineId(uint256 seed) private view returns (uint64) {
        uint64 count = ghost_listingCount;
        uint256 mode = _mode(seed, 16);
        if (mode == 0) return count + 1;
        if (mode != 1) {
            for (uint256 i = 0; i < count; ++i) {
                uint64 machineId = uint64(((seed % count) + i) % count) + 1;
                if (_listings[machineId].status != MachineStatus.Retired) return machineId;
            }
        }
        return uint64(_bound(seed, 1, count));
    }

    /// @dev Mostly an account of the listing's provider; one time in eight any other actor.
    function _callerFor(uint256 seed, uint64 machineId) private view returns (address) {
        uint64 provider = _listings[machineId].provider;
        return _caller(seed, provider == 0 ? _providers[0] : provider);
    }

    function _caller(uint256 seed, uint64 provider) private view returns (address) {
        if (_mode(seed, 8) == 0) {
            uint256 choice = (seed >> 3) % (_providers.length + 1);
            return choice == _providers.length ? _licensor : _accountsOf[_providers[choice]][0];
        }
        address[] storage accounts = _accountsOf[provider];
        return accounts[(seed >> 3) % accounts.length];
    }

    /// @dev Mostly one of the listing's keys; an unknown key one time in sixteen.
    function _keyOf(uint64 machineId, uint256 seed) private view returns (address) {
        address[] storage keys = _keysOf[machineId];
        if (keys.length == 0 || _mode(seed, 16) == 0) return address(uint160(uint256(keccak256(abi.encode(seed)))));
        return keys[seed % keys.length];
    }

    /// @dev Mostly a fresh address; one time in sixteen a key some listing has, or had, or the zero address.
    function _newOrTakenKey(uint256 seed) private returns (address) {
        uint256 mode = _mode(seed, 32);
        if (mode == 0) return address(0);
        if (mode <= 2 && _allKeys.length != 0) return _allKeys[seed % _allKeys.length];
        return _freshAddress();
    }

    function _kindFor(uint64 machineId) private view returns (KeyKind) {
        return _listings[machineId].kind == MachineKind.Service ? KeyKind.Inspector : KeyKind.Device;
    }

    function _recordKey(uint64 machineId, address key) private {
        _keysOf[machineId].push(key);
        _allKeys.push(key);
    }

    function _memberOf(address account) private view returns (uint64 memberId) {
        (memberId, ) = consortium.memberOf(account);
    }

    function _admitProvider(uint256 accountCount, uint8 roles) private {
        address[] memory accounts = new address[](accountCount);
        for (uint256 i = 0; i < accountCount; ++i) {
            accounts[i] = _freshAddress();
        }
        uint64 memberId = SettlementLayerDeployment.admitMember(consortium, founder, accounts, roles);
        _providers.push(memberId);
        _accountsOf[memberId] = accounts;
    }

    /// @dev A choice among `n` cases that does not follow the seed's low bits, which fuzzers set to edge values.
    function _mode(uint256 seed, uint256 n) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, "mode"))) % n;
    }

    function _freshAddress() private returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("registry handler address", ++_keyNonce)))));
    }

    function _succeeded() private {
        ++successes[msg.sig];
    }
}
