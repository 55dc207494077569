// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {ILicenseRegistry} from "../interfaces/ILicenseRegistry.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {Role} from "../types/Membership.sol";

/// @title LicenseRegistry
/// @notice Licences and their versioned royalty per licensed product.
contract LicenseRegistry is ILicenseRegistry, ERC165 {
    IConsortium private immutable _consortium;

    mapping(uint32 licenseId => License) private _licenses;
    mapping(uint32 licenseId => mapping(uint32 version => LicenseVersion)) private _versions;
    mapping(uint64 memberId => uint32[] licenseIds) private _licensesOf;
    mapping(uint64 memberId => uint256 count) private _activeCount;

    uint32 private _licenseCount;

    /// @notice Deploys the registry; operators then register it with the Consortium.
    /// @param consortium_ The Consortium that says who is a licensor in good standing.
    constructor(IConsortium consortium_) {
        _consortium = consortium_;
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return
            interfaceId == type(IObligations).interfaceId ||
            interfaceId == type(ILicenseRegistry).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IObligations
    function openObligations(uint64 memberId) external view returns (uint256 count) {
        return _activeCount[memberId];
    }

    /// @inheritdoc ILicenseRegistry
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @inheritdoc ILicenseRegistry
    function licenseCount() external view returns (uint32) {
        return _licenseCount;
    }

    /// @inheritdoc ILicenseRegistry
    function getLicense(uint32 licenseId) external view returns (License memory) {
        return _licenses[licenseId];
    }

    /// @inheritdoc ILicenseRegistry
    function licenseVersion(uint32 licenseId, uint32 version) external view returns (LicenseVersion memory) {
        License memory license = _existing(licenseId);
        if (version == 0 || version > license.currentVersion) {
            revert LicenseRegistryUnknownVersion(licenseId, version);
        }
        return _versions[licenseId][version];
    }

    /// @inheritdoc ILicenseRegistry
    function licensesOf(uint64 memberId) external view returns (uint32[] memory) {
        return _licensesOf[memberId];
    }

    /// @inheritdoc ILicenseRegistry
    function currentTerms(
        uint32 licenseId
    ) external view returns (uint64 licensor, uint32 version, uint96 royaltyPerProduct) {
        License memory license = _existing(licenseId);
        if (license.status == LicenseStatus.Retired) revert LicenseRegistryLicenseRetired(licenseId);
        return (
            license.licensor,
            license.currentVersion,
            _versions[licenseId][license.currentVersion].royaltyPerProduct
        );
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseRegistry
    function registerLicense(uint96 royaltyPerProduct, bytes32 termsHash) external returns (uint32 licenseId) {
        uint64 licensor = _consortium.requireNewBusiness(msg.sender, Role.Licensor);
        if (termsHash == bytes32(0)) revert LicenseRegistryInvalidTerms();
        licenseId = ++_licenseCount;
        _licenses[licenseId] = License({
            licensor: licensor,
            status: LicenseStatus.Active,
            currentVersion: 1,
            registeredAt: uint40(block.timestamp)
        });
        _versions[licenseId][1] = LicenseVersion({
            royaltyPerProduct: royaltyPerProduct,
            publishedAt: uint40(block.timestamp),
            termsHash: termsHash
        });
        _licensesOf[licensor].push(licenseId);
        ++_activeCount[licensor];
        emit LicenseRegistered(licenseId, licensor, royaltyPerProduct, termsHash);
    }

    /// @inheritdoc ILicenseRegistry
    function publishRoyalty(
        uint32 licenseId,
        uint96 royaltyPerProduct,
        bytes32 termsHash
    ) external returns (uint32 version) {
        uint64 memberId = _consortium.requireRole(msg.sender, Role.Licensor);
        License storage license = _owned(licenseId, memberId);
        if (termsHash == bytes32(0)) revert LicenseRegistryInvalidTerms();
        LicenseVersion storage current = _versions[licenseId][license.currentVersion];
        if (current.royaltyPerProduct == royaltyPerProduct && current.termsHash == termsHash) {
            revert LicenseRegistryVersionUnchanged(licenseId, license.currentVersion);
        }
        version = ++license.currentVersion;
        _versions[licenseId][version] = LicenseVersion({
            royaltyPerProduct: royaltyPerProduct,
            publishedAt: uint40(block.timestamp),
            termsHash: termsHash
        });
        emit RoyaltyPublished(licenseId, version, royaltyPerProduct, termsHash);
    }

    /// @inheritdoc ILicenseRegistry
    function retireLicense(uint32 licenseId) external {
        uint64 memberId = _consortium.requireAccount(msg.sender);
        License storage license = _owned(licenseId, memberId);
        license.status = LicenseStatus.Retired;
        --_activeCount[memberId];
        emit LicenseRetired(licenseId);
    }

    /*//////////////////////////////////////////////////////////////
                       INTERNAL READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _existing(uint32 licenseId) internal view returns (License memory license) {
        license = _licenses[licenseId];
        if (license.status == LicenseStatus.None) revert LicenseRegistryUnknownLicense(licenseId);
    }

    /// @dev An active licence of `memberId`.
    function _owned(uint32 licenseId, uint64 memberId) internal view returns (License storage license) {
        license = _licenses[licenseId];
        if (license.status == LicenseStatus.None) revert LicenseRegistryUnknownLicense(licenseId);
        if (license.licensor != memberId) revert LicenseRegistryNotLicensor(licenseId, memberId);
        if (license.status == LicenseStatus.Retired) revert LicenseRegistryLicenseRetired(licenseId);
    }
}
