// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IObligations
/// @notice Implemented by every contract registered with the Consortium. A member may leave the
/// consortium only when every registered contract reports zero open obligations for it: pending
/// redemptions, open orders, unsettled charges, open channels, running challenges.
interface IObligations is IERC165 {
    /// @notice Number of open obligations `memberId` has in this contract, as the member or towards it.
    /// @dev Must not revert for unknown members (return 0): the Consortium asks it while a member exits.
    function openObligations(uint64 memberId) external view returns (uint256 count);
}
