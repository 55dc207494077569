// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What a device (or an inspector's device) measured for an order over one period, signed as
/// EIP-712 typed data. Device reports count machine seconds, units and licensed products; inspector
/// reports count inspections only. Each kind of signer numbers its reports 1, 2, 3, ... per order.
struct UsageReport {
    uint64 orderId;
    /// @dev The next number of the signer kind's stream for this order: the last recorded plus one.
    uint32 sequence;
    /// @dev Unix seconds; the report is judged as signed at `periodEnd`.
    uint40 periodStart;
    uint40 periodEnd;
    uint64 machineSeconds;
    uint64 units;
    uint32 inspections;
    /// @dev Per licence of the order's tariff, in its order; empty = none.
    uint64[] licensedProducts;
    /// @dev Merkle root (OpenZeppelin StandardMerkleTree) over the raw readings the device keeps.
    bytes32 readingsRoot;
}

/// @notice A raw reading of a device, one leaf of a report's readings tree.
struct Reading {
    /// @dev Position of the reading in the device's log for the order; makes every leaf unique.
    uint64 index;
    /// @dev Unix seconds.
    uint40 at;
    /// @dev What was read: 0 spindle seconds, 1 units, 2 licensed units, 3 an inspection.
    uint8 kind;
    uint64 amount;
    /// @dev The licence of licensed units, 0 otherwise.
    uint32 licenseId;
}
