// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {MemberStatus, Role, Roles} from "../../contracts/types/Membership.sol";
import {SettlementSetup} from "../helpers/SettlementSetup.sol";

/// @notice Fuzz tests of membership rules.
contract ConsortiumFuzzTest is Test, SettlementSetup {
    function setUp() public {
        _deploySettlementLayer();
    }

    function _one(address account) internal pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = account;
    }

    function testFuzz_AdmitKeepsKnownRolesAndRefusesUnknownBits(uint8 roles) public {
        address account = address(0xC0FFEE);
        vm.prank(OPERATOR);
        if (roles & ~Roles.ALL != 0) {
            vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRoles.selector, roles));
            consortium.admit(_one(account), roles, "meta");
            return;
        }
        uint64 memberId = consortium.admit(_one(account), roles, "meta");
        assertEq(consortium.getMember(memberId).roles, roles);
        for (uint8 r = 0; r <= uint8(type(Role).max); ++r) {
            assertEq(consortium.hasRole(account, Role(r)), roles & (1 << r) != 0);
        }
    }

    /// @dev Random suspensions, reinstatements and role changes never leave the consortium without an operator.
    function testFuzz_OperatorCountNeverReachesZero(uint256 seed) public {
        uint64[] memory ids = new uint64[](3);
        ids[0] = 1;
        for (uint256 i = 1; i < 3; ++i) {
            vm.prank(OPERATOR);
            ids[i] = consortium.admit(_one(address(uint160(0xF00 + i))), Roles.bit(Role.Operator), "meta");
        }
        for (uint256 step = 0; step < 24; ++step) {
            uint256 action = uint256(keccak256(abi.encode(seed, step)));
            uint64 target = ids[action % 3];
            MemberStatus status = consortium.getMember(target).status;
            vm.prank(OPERATOR);
            if ((action >> 8) % 3 == 0 && status == MemberStatus.Active) {
                try consortium.suspend(target, "x") {} catch {} // solhint-disable-line no-empty-blocks
            } else if ((action >> 8) % 3 == 1 && status == MemberStatus.Suspended) {
                try consortium.reinstate(target) {} catch {} // solhint-disable-line no-empty-blocks
            } else if (consortium.getMember(target).roles != 0) {
                try consortium.revokeMemberRole(target, Role.Operator) {} catch {} // solhint-disable-line no-empty-blocks
            }
            assertGe(consortium.operatorCount(), 1);
            uint256 counted;
            for (uint256 i = 0; i < 3; ++i) {
                if (
                    consortium.getMember(ids[i]).status == MemberStatus.Active &&
                    consortium.getMember(ids[i]).roles != 0
                ) {
                    ++counted;
                }
            }
            assertEq(consortium.operatorCount(), counted);
            if (!consortium.hasRole(OPERATOR, Role.Operator)) return; // the founder itself lost the role
        }
    }

    function testFuzz_AccountsAreNeverReassigned(address account) public {
        vm.assume(account != address(0) && account != OPERATOR && account != AUDITOR && account != address(gateway));
        vm.prank(OPERATOR);
        uint64 first = consortium.admit(_one(account), Roles.bit(Role.Consumer), "meta");
        vm.prank(OPERATOR);
        consortium.admit(_one(address(0xBEEF)), Roles.bit(Role.Provider), "meta");
        vm.prank(address(0xBEEF));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAccountTaken.selector, account, first));
        consortium.addAccount(account);
    }

    function testFuzz_NoticePeriodBounds(uint40 period) public {
        uint40 max = consortium.MAX_NOTICE_PERIOD();
        vm.prank(OPERATOR);
        if (period > max) {
            vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNoticePeriodTooLong.selector, period, max));
            consortium.setNoticePeriod(period);
            return;
        }
        consortium.setNoticePeriod(period);
        assertEq(consortium.noticePeriod(), period);
    }
}
