// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What a member may do in the consortium. A member holds any combination, kept as a bitmap
/// where role `r` is bit `1 << uint8(r)`.
enum Role {
    Operator,
    Provider,
    Consumer,
    Licensor,
    Auditor
}

/// @notice Where a member stands. `None` means the id was never issued.
enum MemberStatus {
    None,
    Active,
    Suspended,
    Exited
}

/// @notice What an account may do with the settlement token, as the Consortium decides it.
/// @dev `Frozen` is a suspended member's account: it cannot send, and receives only what is owed to it
/// (payouts and refunds from the consortium's contracts, mints of its bank deposits). `Leaving` is the
/// account of a member whose exit is pending: it sends, so that it can empty its wallet, starts no new
/// business, and receives only what is owed to it, so that nobody can keep its wallet from emptying.
/// `System` is one of the consortium's own contracts: it sends and receives, but only tokens it pulls
/// itself, so no stray transfer can upset its accounting.
enum AccountStanding {
    None,
    Frozen,
    Member,
    System,
    Leaving
}

/// @notice A member company, in two storage slots.
struct Member {
    MemberStatus status;
    /// @dev Bitmap of `Role`.
    uint8 roles;
    /// @dev Version of the framework agreement the member accepted last; 0 = none yet.
    uint32 agreementVersion;
    uint40 admittedAt;
    /// @dev When a requested exit may complete; 0 = no exit requested.
    uint40 exitEffectiveAt;
    /// @dev Hash of the member's off-chain record (legal name, register number, contacts).
    bytes32 metadataHash;
}

/// @title Roles
/// @notice Bit arithmetic on role bitmaps.
library Roles {
    /// @dev All bits that name a role.
    uint8 internal constant ALL = uint8((1 << (uint256(type(Role).max) + 1)) - 1);

    function bit(Role role) internal pure returns (uint8) {
        return uint8(1 << uint8(role));
    }

    function has(uint8 roles, Role role) internal pure returns (bool) {
        return roles & bit(role) != 0;
    }
}
