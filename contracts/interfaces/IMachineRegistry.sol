// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {KeyKind, Machine, MachineKind, MachineStatus, SignerKey} from "../types/Listing.sol";
import {Charge, Tariff, Usage} from "../types/Tariff.sol";
import {IObligations} from "./IObligations.sol";

/// @title IMachineRegistry
/// @notice The yellow pages of the consortium: providers list machines and services (a worker's inspection
/// is a service too) with capability tags, a site, a metadata document, signer keys and a versioned
/// tariff; consumers find them by capability and price a job before they book.
/// @dev A listing is bookable when it is active, its provider may start new business as a provider, and
/// every licence its current tariff names is active. Signer keys keep the interval they were valid in, so
/// anything signed with a key can be judged later by when it was signed. Listings that are not retired
/// count as the provider's open obligations: a provider retires them before it leaves.
interface IMachineRegistry is IObligations {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice How a listing presents itself; `kind` is fixed at registration.
    struct Profile {
        MachineKind kind;
        /// @dev Short site code, e.g. "DE-HH-01" as bytes32.
        bytes32 site;
        /// @dev 1 to {MAX_CAPABILITIES} distinct nonzero tags.
        bytes32[] capabilities;
        string metadataURI;
        bytes32 metadataHash;
    }

    /// @notice What a new order on a listing is booked under.
    struct BookingTerms {
        uint64 provider;
        uint32 tariffVersion;
        Tariff tariff;
        /// @dev Per licence of the tariff: its licensor, current version and royalty.
        uint64[] licensors;
        uint32[] licenseVersions;
        uint96[] royalties;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a provider lists a machine or a service.
    event MachineRegistered(
        uint64 indexed machineId,
        uint64 indexed provider,
        MachineKind kind,
        bytes32 site,
        bytes32[] capabilities,
        string metadataURI,
        bytes32 metadataHash
    );

    /// @notice Emitted when a provider changes a listing's site, capabilities or metadata.
    event MachineUpdated(
        uint64 indexed machineId,
        bytes32 site,
        bytes32[] capabilities,
        string metadataURI,
        bytes32 metadataHash
    );

    /// @notice Emitted when a listing is paused, resumed or retired.
    event MachineStatusChanged(uint64 indexed machineId, MachineStatus status);

    /// @notice Emitted when a provider publishes a tariff version (version 1 with the listing).
    event TariffPublished(uint64 indexed machineId, uint32 indexed version, Tariff tariff);

    /// @notice Emitted when a signer key is added to a listing; it is valid from this block's time.
    event SignerKeyAdded(uint64 indexed machineId, address indexed key, KeyKind kind);

    /// @notice Emitted when a signer key is revoked; it is invalid for anything signed from this block's time.
    event SignerKeyRevoked(uint64 indexed machineId, address indexed key);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice No listing has this id.
    error MachineRegistryUnknownMachine(uint64 machineId);

    /// @notice The listing belongs to another member than the caller's `memberId`.
    error MachineRegistryNotOwner(uint64 machineId, uint64 memberId);

    /// @notice The listing is retired; nothing about it changes any more.
    error MachineRegistryMachineRetired(uint64 machineId);

    /// @notice The listing is already in `status`.
    error MachineRegistryStatusUnchanged(uint64 machineId, MachineStatus status);

    /// @notice The listing cannot be booked: it is `status`, not active.
    error MachineRegistryMachineNotActive(uint64 machineId, MachineStatus status);

    /// @notice The listing cannot be booked: its provider may not start new business (suspended, exiting,
    /// the current framework agreement not accepted, or the provider role revoked).
    error MachineRegistryProviderNotInBusiness(uint64 machineId, uint64 provider);

    /// @notice A listing's kind is fixed at registration; it is `kind`. List the other kind separately.
    error MachineRegistryKindChanged(uint64 machineId, MachineKind kind);

    /// @notice A listing needs 1 to `max` capability tags; `count` were given.
    error MachineRegistryCapabilityCount(uint256 count, uint256 max);

    /// @notice Capability tags are nonzero and distinct.
    error MachineRegistryInvalidCapability(bytes32 capability);

    /// @notice A listing needs a nonzero site code.
    error MachineRegistryInvalidSite();

    /// @notice A listing needs a metadata URI and the nonzero hash of its content.
    error MachineRegistryInvalidMetadata();

    /// @notice A signer key is a nonzero address.
    error MachineRegistryInvalidKey(address key);

    /// @notice The key is, or was, a signer key of listing `machineId`; keys are never reused.
    error MachineRegistryKeyTaken(address key, uint64 machineId);

    /// @notice The listing already has `max` active signer keys.
    error MachineRegistryTooManyKeys(uint64 machineId, uint256 max);

    /// @notice A service has no device: its keys are inspector keys.
    error MachineRegistryKeyKindNotAllowed(uint64 machineId, KeyKind kind);

    /// @notice The key is not a signer key of this listing.
    error MachineRegistryUnknownKey(uint64 machineId, address key);

    /// @notice The key was revoked at `validUntil`.
    error MachineRegistryKeyRevoked(address key, uint40 validUntil);

    /// @notice A tariff has at most `max` volume tiers.
    error MachineRegistryTooManyTiers(uint256 count, uint256 max);

    /// @notice Tier thresholds are positive and strictly rising; tier `index` has `threshold`.
    error MachineRegistryInvalidTier(uint256 index, uint64 threshold);

    /// @notice A tariff names at most `max` licences.
    error MachineRegistryTooManyLicenses(uint256 count, uint256 max);

    /// @notice A tariff names each licence once.
    error MachineRegistryDuplicateLicense(uint32 licenseId);

    /// @notice The listing has no tariff version `version`.
    error MachineRegistryUnknownTariffVersion(uint64 machineId, uint32 version);

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Most capability tags per listing.
    function MAX_CAPABILITIES() external view returns (uint256);

    /// @notice Most active signer keys per listing.
    function MAX_ACTIVE_KEYS() external view returns (uint256);

    /// @notice Most volume tiers per tariff.
    function MAX_TIERS() external view returns (uint256);

    /// @notice Most licences per tariff.
    function MAX_LICENSES() external view returns (uint256);

    /// @notice The Consortium this registry asks about members.
    function consortium() external view returns (address);

    /// @notice The registry of the licences tariffs name.
    function licenseRegistry() external view returns (address);

    /// @notice Number of listings ever registered; ids run from 1 to this number.
    function machineCount() external view returns (uint64);

    /// @notice The listing; `status` is `None` for an unknown id.
    function getMachine(uint64 machineId) external view returns (Machine memory);

    /// @notice The listings a member registered, in registration order.
    function machinesOf(uint64 memberId) external view returns (uint64[] memory);

    /// @notice Tariff version `version` of a listing.
    /// Requirements:
    /// - The listing exists and has that version.
    function tariffOf(uint64 machineId, uint32 version) external view returns (Tariff memory);

    /// @notice The record of a signer key; `machineId` is 0 if it was never registered.
    function signerKey(address key) external view returns (SignerKey memory);

    /// @notice Every signer key a listing ever had, in the order they were added.
    function keysOf(uint64 machineId) external view returns (address[] memory);

    /// @notice Whether `key` was a signer key of kind `kind` for listing `machineId` at `timestamp`:
    /// added at or before it and not revoked at or before it.
    function isKeyValidAt(uint64 machineId, address key, KeyKind kind, uint256 timestamp) external view returns (bool);

    /// @notice Whether a new order can be booked on the listing now.
    function isBookable(uint64 machineId) external view returns (bool);

    /// @notice What a new order on the listing is booked under now.
    /// Requirements:
    /// - The listing exists and is active; its provider may start new business as a provider; every licence
    ///   of its current tariff is active.
    function bookingTerms(uint64 machineId) external view returns (BookingTerms memory terms);

    /// @notice Prices `usage` on the listing under the terms a new order would be booked under now.
    /// @dev The same as TariffMath applied to {bookingTerms}; the listing must be bookable.
    function quote(uint64 machineId, Usage calldata usage) external view returns (uint32 tariffVersion, Charge memory);

    /// @notice Number of active listings with capability `capability` (their providers may be out of business).
    function capabilityCount(bytes32 capability) external view returns (uint256);

    /// @notice Bookable listings with `capability`, paged: scans the active listings with that tag from
    /// position `offset` until `limit` bookable ones are found or the list ends.
    /// @dev Positions change when listings are paused or retired; read all pages at one block.
    /// @return machineIds Up to `limit` bookable listings.
    /// @return next The position to continue from; {capabilityCount} when the list is exhausted.
    function machinesByCapability(
        bytes32 capability,
        uint256 offset,
        uint256 limit
    ) external view returns (uint64[] memory machineIds, uint256 next);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Lists a machine or a service of the caller's member, active at once, with tariff version 1.
    /// Requirements:
    /// - The caller is an account of a provider member that may start new business.
    /// - `profile` has a nonzero site, 1 to {MAX_CAPABILITIES} distinct nonzero tags, a metadata URI and hash.
    /// - `keys` are new nonzero addresses, at most {MAX_ACTIVE_KEYS}; they become device keys of a machine
    ///   or inspector keys of a service.
    /// - `tariff` is valid (see {publishTariff}).
    /// @return machineId The new listing's id.
    function registerMachine(
        Profile calldata profile,
        address[] calldata keys,
        Tariff calldata tariff
    ) external returns (uint64 machineId);

    /// @notice Changes a listing's site, capabilities and metadata; its kind stays.
    /// Requirements:
    /// - The caller is an account of the owning provider, a member in good standing holding the provider role.
    /// - The listing is not retired; the profile is valid (see {registerMachine}) and keeps the listing's kind.
    function updateMachine(uint64 machineId, Profile calldata profile) external;

    /// @notice Publishes a new tariff version; orders booked from now on use it, booked ones keep theirs.
    /// Requirements:
    /// - The caller is an account of the owning provider, a member in good standing holding the provider role.
    /// - The listing is not retired.
    /// - At most {MAX_TIERS} tiers with positive, strictly rising thresholds; at most {MAX_LICENSES} distinct
    ///   licences, each active.
    function publishTariff(uint64 machineId, Tariff calldata tariff) external returns (uint32 version);

    /// @notice Takes a listing off the market for a while; booked orders are not affected.
    /// Requirements:
    /// - The caller is an active account of the owning provider (a suspended provider may still pause).
    /// - The listing is active.
    function pauseMachine(uint64 machineId) external;

    /// @notice Puts a paused listing back on the market.
    /// Requirements:
    /// - The caller is an account of the owning provider, which may start new business as a provider.
    /// - The listing is paused.
    function resumeMachine(uint64 machineId) external;

    /// @notice Retires a listing for good. Its keys stay on record for judging what they signed.
    /// Requirements:
    /// - The caller is an active account of the owning provider (a suspended provider may still retire).
    /// - The listing is not retired.
    function retireMachine(uint64 machineId) external;

    /// @notice Adds a signer key to a listing, valid from now.
    /// Requirements:
    /// - The caller is an account of the owning provider, a member in good standing holding the provider role.
    /// - The listing is not retired and has fewer than {MAX_ACTIVE_KEYS} active keys.
    /// - `key` is a new nonzero address; a service takes inspector keys only.
    function addKey(uint64 machineId, address key, KeyKind kind) external;

    /// @notice Revokes a signer key: it is invalid for anything signed from now on.
    /// Requirements:
    /// - The caller is an active account of the owning provider (a suspended provider may still revoke).
    /// - `key` is an active key of the listing.
    function revokeKey(uint64 machineId, address key) external;

    /// @notice Replaces a key by a new one of the same kind in one step: the old one is valid until now,
    /// the new one from now.
    /// Requirements:
    /// - Those of {revokeKey} for `oldKey`, and of {addKey} for `newKey`.
    function rotateKey(uint64 machineId, address oldKey, address newKey) external;
}
