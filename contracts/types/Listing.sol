// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What a listing offers: a machine's capacity, or a service done by people (a worker's inspection).
enum MachineKind {
    Machine,
    Service
}

/// @notice Where a listing stands. `None` means the id was never issued; `Retired` is final.
enum MachineStatus {
    None,
    Active,
    Paused,
    Retired
}

/// @notice Who holds a signer key: a machine's own device, or a worker's smart device that signs inspections.
enum KeyKind {
    Device,
    Inspector
}

/// @notice A listing in the registry, as read back.
struct Machine {
    /// @dev Member id of the provider that owns it.
    uint64 provider;
    uint40 registeredAt;
    /// @dev Current tariff version; versions run from 1.
    uint32 tariffVersion;
    /// @dev Signer keys not revoked.
    uint8 activeKeys;
    MachineKind kind;
    MachineStatus status;
    /// @dev Short site code, e.g. "DE-HH-01" as bytes32.
    bytes32 site;
    /// @dev Hash of the content behind `metadataURI` (specification sheet, photos, certificates).
    bytes32 metadataHash;
    string metadataURI;
    /// @dev Capability tags, e.g. keccak256("laser-cutting").
    bytes32[] capabilities;
}

/// @notice A signer key and the interval it is valid in: from `validFrom` (inclusive) to `validUntil`
/// (exclusive; 0 while not revoked). Keys are never reassigned, so the record answers for any time.
struct SignerKey {
    uint64 machineId;
    uint40 validFrom;
    uint40 validUntil;
    KeyKind kind;
}
