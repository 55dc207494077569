// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IObligations} from "../interfaces/IObligations.sol";

/// @notice Test double for a registered contract: reports whatever open obligations a test sets.
contract MockObligations is IObligations {
    mapping(uint64 memberId => uint256 count) public open;

    function setOpen(uint64 memberId, uint256 count) external {
        open[memberId] = count;
    }

    function openObligations(uint64 memberId) external view returns (uint256) {
        return open[memberId];
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IObligations).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
