// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IObligations} from "./IObligations.sol";

/// @title ILicenseRegistry
/// @notice Licences for products made on members' machines: a licensor member registers a licence with a
/// royalty per licensed product and the hash of its terms, and publishes changed royalties as new versions.
/// Machine tariffs name the licences that apply; an order pays the royalty of the version in force when it
/// was booked, so a new version binds new orders only.
/// @dev Active licences count as the licensor's open obligations: a licensor retires its licences before
/// it leaves, so that no new order names a licensor that can no longer be paid.
interface ILicenseRegistry is IObligations {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    enum LicenseStatus {
        None,
        Active,
        Retired
    }

    /// @notice A licence, in one storage slot.
    struct License {
        /// @dev Member id of the licensor.
        uint64 licensor;
        uint40 registeredAt;
        /// @dev Versions run from 1.
        uint32 currentVersion;
        LicenseStatus status;
    }

    /// @notice One version of a licence's terms, in two storage slots.
    struct LicenseVersion {
        /// @dev In token base units per licensed product.
        uint96 royaltyPerProduct;
        uint40 publishedAt;
        /// @dev Hash of the licence terms document.
        bytes32 termsHash;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a licensor registers a licence (its version 1).
    event LicenseRegistered(
        uint32 indexed licenseId,
        uint64 indexed licensor,
        uint96 royaltyPerProduct,
        bytes32 termsHash
    );

    /// @notice Emitted when a licensor publishes a new version of a licence.
    event RoyaltyPublished(
        uint32 indexed licenseId,
        uint32 indexed version,
        uint96 royaltyPerProduct,
        bytes32 termsHash
    );

    /// @notice Emitted when a licensor retires a licence: tariffs that name it can no longer be booked.
    event LicenseRetired(uint32 indexed licenseId);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice No licence has this id.
    error LicenseRegistryUnknownLicense(uint32 licenseId);

    /// @notice The licence is retired.
    error LicenseRegistryLicenseRetired(uint32 licenseId);

    /// @notice The licence belongs to another member than the caller's `memberId`.
    error LicenseRegistryNotLicensor(uint32 licenseId, uint64 memberId);

    /// @notice A licence needs the hash of its terms.
    error LicenseRegistryInvalidTerms();

    /// @notice The new version would repeat the current one; change the royalty or the terms.
    error LicenseRegistryVersionUnchanged(uint32 licenseId, uint32 version);

    /// @notice The licence has no version `version`.
    error LicenseRegistryUnknownVersion(uint32 licenseId, uint32 version);

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The Consortium this registry asks about members.
    function consortium() external view returns (address);

    /// @notice Number of licences ever registered; ids run from 1 to this number.
    function licenseCount() external view returns (uint32);

    /// @notice The licence's record; `status` is `None` for an unknown id.
    function getLicense(uint32 licenseId) external view returns (License memory);

    /// @notice Version `version` of the licence's terms.
    /// Requirements:
    /// - The licence exists and has that version.
    function licenseVersion(uint32 licenseId, uint32 version) external view returns (LicenseVersion memory);

    /// @notice The licences a member registered, in registration order.
    function licensesOf(uint64 memberId) external view returns (uint32[] memory);

    /// @notice The terms a new order pays under: the current version of an active licence.
    /// Requirements:
    /// - The licence exists and is not retired.
    /// @return licensor The licensor's member id.
    /// @return version The current version.
    /// @return royaltyPerProduct That version's royalty.
    function currentTerms(
        uint32 licenseId
    ) external view returns (uint64 licensor, uint32 version, uint96 royaltyPerProduct);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers a licence for the caller's member.
    /// Requirements:
    /// - The caller is an account of a licensor member that may start new business.
    /// - `termsHash` is nonzero.
    /// @param royaltyPerProduct In token base units per licensed product (may be zero).
    /// @param termsHash Hash of the licence terms document.
    /// @return licenseId The new licence's id.
    function registerLicense(uint96 royaltyPerProduct, bytes32 termsHash) external returns (uint32 licenseId);

    /// @notice Publishes a new version of a licence; orders booked from now on pay it.
    /// Requirements:
    /// - The caller is an account of the licensor, a member in good standing holding the licensor role.
    /// - The licence is active; `termsHash` is nonzero; royalty or terms differ from the current version.
    function publishRoyalty(
        uint32 licenseId,
        uint96 royaltyPerProduct,
        bytes32 termsHash
    ) external returns (uint32 version);

    /// @notice Retires a licence: no new order can be booked under a tariff that names it. Orders already
    /// booked keep paying the royalty they booked.
    /// Requirements:
    /// - The caller is an active account of the licensor (a suspended licensor may still retire).
    /// - The licence is active.
    function retireLicense(uint32 licenseId) external;
}
