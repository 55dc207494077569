// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, Member, MemberStatus, Role, Roles} from "../../contracts/types/Membership.sol";
import {SettlementLayerDeployment} from "../helpers/SettlementLayerDeployment.sol";

/// @notice Fuzz tests of the Consortium's laws: role bitmaps, the last operator, accounts that are never
/// reassigned, and the bounds of the notice period.
contract ConsortiumFuzzTest is Test {
    uint256 internal constant ROLE_COUNT = 5;

    Consortium internal consortium;
    SettlementToken internal token;
    FiatGateway internal gateway;

    address internal founder = makeAddr("founder");
    address internal spare = makeAddr("first member's spare");
    address internal other = makeAddr("second member");
    uint40 internal maxNoticePeriod;

    /// @dev Accounts of the members a test admitted, by member id.
    mapping(uint64 memberId => address account) internal _firstAccount;

    function setUp() public {
        SettlementLayerDeployment.Deployed memory d = SettlementLayerDeployment.deploy(
            founder,
            makeAddr("issuerAdmin"),
            makeAddr("masterMinter")
        );
        consortium = d.consortium;
        token = d.token;
        gateway = d.gateway;
        maxNoticePeriod = consortium.MAX_NOTICE_PERIOD();
        _firstAccount[1] = founder;
    }

    /*//////////////////////////////////////////////////////////////
                              ROLE BITMAPS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Admit_RevertsWith_ConsortiumUnknownRoles(uint8 roles) public {
        roles = uint8(bound(roles, uint256(Roles.ALL) + 1, type(uint8).max));
        uint64 countBefore = consortium.memberCount();

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRoles.selector, roles));
        vm.prank(founder);
        consortium.admit(_accounts("unknown roles", 1), roles, keccak256("record"));

        assertEq(consortium.memberCount(), countBefore, "no member admitted");
    }

    function testFuzz_Admit_GrantsExactlyTheGivenRoles(uint8 roles, uint256 accountCount) public {
        roles = uint8(bound(roles, 0, Roles.ALL));
        accountCount = bound(accountCount, 1, consortium.MAX_ACCOUNTS());
        address[] memory accounts = _accounts("roles", accountCount);
        uint256 operatorsBefore = consortium.operatorCount();

        vm.prank(founder);
        uint64 memberId = consortium.admit(accounts, roles, keccak256("record"));

        Member memory member = consortium.getMember(memberId);
        assertEq(member.roles, roles, "stored roles");
        assertEq(uint8(member.status), uint8(MemberStatus.Active), "status");
        bool isOperator = Roles.has(roles, Role.Operator);
        assertEq(consortium.operatorCount(), operatorsBefore + (isOperator ? 1 : 0), "operator count");
        for (uint256 i = 0; i < accounts.length; ++i) {
            (uint64 owner, bool active) = consortium.memberOf(accounts[i]);
            assertEq(owner, memberId, "owner");
            assertTrue(active, "active");
            assertEq(uint8(token.standingOf(accounts[i])), uint8(AccountStanding.Member), "token standing");
            for (uint8 r = 0; r < ROLE_COUNT; ++r) {
                assertEq(consortium.hasRole(accounts[i], Role(r)), (roles >> r) & 1 == 1, "hasRole");
            }
        }
    }

    function testFuzz_Admit_RevertsWith_ConsortiumTooManyAccounts(uint256 accountCount) public {
        uint256 max = consortium.MAX_ACCOUNTS();
        accountCount = bound(accountCount, max + 1, 2 * max);
        uint64 nextId = consortium.memberCount() + 1;

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumTooManyAccounts.selector, nextId, max));
        vm.prank(founder);
        consortium.admit(_accounts("too many", accountCount), Roles.bit(Role.Consumer), keccak256("record"));
    }

    /*//////////////////////////////////////////////////////////////
                            THE LAST OPERATOR
    //////////////////////////////////////////////////////////////*/

    /// @notice Random suspensions, reinstatements, operator grants and revocations and exits of members with
    /// random roles: each call succeeds or fails exactly as the rules say, a call that would remove the last
    /// operator in good standing fails with ConsortiumLastOperator, and the count never reaches zero.
    function testFuzz_OperatorCountNeverReachesZero(uint256 seed) public {
        vm.prank(founder);
        consortium.setNoticePeriod(0);
        for (uint256 i = 0; i < 4; ++i) {
            uint8 roles = uint8(uint256(keccak256(abi.encode(seed, "roles", i))) % (uint256(Roles.ALL) + 1));
            address[] memory accounts = _accounts(string.concat("member ", vm.toString(i)), 1);
            vm.prank(founder);
            uint64 memberId = consortium.admit(accounts, roles, keccak256("record"));
            _firstAccount[memberId] = accounts[0];
        }
        uint64 members = consortium.memberCount();

        for (uint256 step = 0; step < 40; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, "step", step)));
            uint64 target = uint64((r >> 8) % members) + 1;
            _operatorAction(r % 5, target, step);
            assertGe(consortium.operatorCount(), 1, "an operator remains");
            assertEq(consortium.operatorCount(), _countOperators(members), "operator count");
        }
    }

    /*//////////////////////////////////////////////////////////////
                     ACCOUNTS ARE NEVER REASSIGNED
    //////////////////////////////////////////////////////////////*/

    function testFuzz_AccountsAreNeverReassigned(address account) public {
        _assumeFresh(account);
        vm.startPrank(founder);
        uint64 first = consortium.admit(_pair(account, spare), Roles.bit(Role.Consumer), keccak256("first"));
        uint64 second = consortium.admit(_single(other), Roles.bit(Role.Provider), keccak256("second"));
        vm.stopPrank();
        bytes memory taken = abi.encodeWithSelector(IConsortium.ConsortiumAccountTaken.selector, account, first);

        // While it is active.
        _assertCannotBeAdded(account, other, taken);

        // After its member removed it.
        vm.prank(spare);
        consortium.removeAccount(account);
        (uint64 owner, bool active) = consortium.memberOf(account);
        assertEq(owner, first, "still recorded for its first member");
        assertFalse(active, "inactive");
        _assertCannotBeAdded(account, other, taken);
        vm.expectRevert(taken);
        vm.prank(spare);
        consortium.addAccount(account);

        // After its member left.
        vm.prank(spare);
        consortium.requestExit();
        vm.warp(block.timestamp + consortium.noticePeriod());
        vm.prank(spare);
        consortium.completeExit(first);
        _assertCannotBeAdded(account, other, taken);
        (owner, active) = consortium.memberOf(account);
        assertEq(owner, first, "recorded for its first member for good");
        assertEq(uint8(token.standingOf(account)), uint8(AccountStanding.None), "token standing");
        assertEq(consortium.accountsOf(second).length, 1, "the other member gained nothing");
    }

    /*//////////////////////////////////////////////////////////////
                        WHO COMPLETES AN EXIT
    //////////////////////////////////////////////////////////////*/

    /// @notice Only an active account of the leaving member or of an operator in good standing completes its exit,
    /// and the refusal comes before anything about the exit itself is read.
    function testFuzz_CompleteExit_RevertsWith_ConsortiumNotExitingMember(address caller, bool requested) public {
        _assumeFresh(caller);
        address second = makeAddr("leaver's second");
        vm.assume(caller != second);
        vm.startPrank(founder);
        consortium.setNoticePeriod(0);
        uint64 leaver = consortium.admit(_pair(spare, second), 0, keccak256("leaver"));
        consortium.admit(_single(other), Roles.bit(Role.Provider), keccak256("bystander"));
        vm.stopPrank();
        if (requested) {
            vm.prank(spare);
            consortium.requestExit();
        }
        address[] memory refused = new address[](3);
        refused[0] = caller;
        refused[1] = other;
        refused[2] = address(gateway);
        for (uint256 i = 0; i < refused.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IConsortium.ConsortiumNotExitingMember.selector, refused[i], leaver)
            );
            vm.prank(refused[i]);
            consortium.completeExit(leaver);
        }
        if (!requested) return;
        vm.prank(second);
        consortium.completeExit(leaver);
        assertEq(uint8(consortium.getMember(leaver).status), uint8(MemberStatus.Exited), "exited");
    }

    function test_AddAccount_RevertsWith_ConsortiumInvalidAccount_ForRegisteredContract() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidAccount.selector, address(gateway)));
        vm.prank(founder);
        consortium.addAccount(address(gateway));
    }

    /*//////////////////////////////////////////////////////////////
                          NOTICE PERIOD BOUNDS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_SetNoticePeriod_RevertsWith_ConsortiumNoticePeriodTooLong(uint40 period) public {
        period = uint40(bound(period, uint256(maxNoticePeriod) + 1, type(uint40).max));

        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumNoticePeriodTooLong.selector, period, maxNoticePeriod)
        );
        vm.prank(founder);
        consortium.setNoticePeriod(period);
    }

    function testFuzz_Constructor_RevertsWith_ConsortiumNoticePeriodTooLong(uint40 period) public {
        period = uint40(bound(period, uint256(maxNoticePeriod) + 1, type(uint40).max));

        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumNoticePeriodTooLong.selector, period, maxNoticePeriod)
        );
        new Consortium(_single(founder), keccak256("record"), keccak256("agreement"), period);
    }

    /// @notice An exit completes exactly when the notice period in force at the request has run, whatever the
    /// period is changed to afterwards.
    function testFuzz_NoticePeriod_DelaysExitExactly(uint40 period, uint40 changedTo, uint256 start) public {
        period = uint40(bound(period, 0, maxNoticePeriod));
        changedTo = uint40(bound(changedTo, 0, maxNoticePeriod));
        vm.warp(bound(start, 1, 4_000_000_000));
        vm.prank(founder);
        consortium.setNoticePeriod(period);
        assertEq(consortium.noticePeriod(), period, "stored");
        address account = makeAddr("leaving member");
        vm.prank(founder);
        uint64 memberId = consortium.admit(_single(account), Roles.bit(Role.Consumer), keccak256("record"));

        vm.prank(account);
        consortium.requestExit();
        uint40 effectiveAt = uint40(block.timestamp) + period;
        assertEq(consortium.getMember(memberId).exitEffectiveAt, effectiveAt, "effective at");

        vm.prank(founder);
        consortium.setNoticePeriod(changedTo);

        if (period > 0) {
            vm.warp(uint256(effectiveAt) - 1);
            vm.expectRevert(
                abi.encodeWithSelector(IConsortium.ConsortiumNoticePeriodRunning.selector, memberId, effectiveAt)
            );
            vm.prank(account);
            consortium.completeExit(memberId);
        }
        vm.warp(effectiveAt);
        vm.prank(account);
        consortium.completeExit(memberId);
        assertEq(uint8(consortium.getMember(memberId).status), uint8(MemberStatus.Exited), "exited");
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Performs one operator-side action on `target` and states exactly how it must end.
    function _operatorAction(uint256 action, uint64 target, uint256 step) internal {
        Member memory member = consortium.getMember(target);
        bool holdsOperator = Roles.has(member.roles, Role.Operator);
        bool last = member.status == MemberStatus.Active && holdsOperator && consortium.operatorCount() == 1;
        address operator = _anOperatorAccount();
        bytes memory expected;
        if (action == 0) {
            if (member.status != MemberStatus.Active) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumMemberNotActive.selector, target);
            } else if (last) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumLastOperator.selector, target);
            }
            _expectOutcome(expected);
            vm.prank(operator);
            consortium.suspend(target, keccak256(abi.encode("decision", step)));
        } else if (action == 1) {
            if (member.status != MemberStatus.Suspended) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumMemberNotSuspended.selector, target);
            }
            _expectOutcome(expected);
            vm.prank(operator);
            consortium.reinstate(target);
        } else if (action == 2) {
            if (member.status == MemberStatus.Exited) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumMemberExited.selector, target);
            } else if (!holdsOperator) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumMissingRole.selector, target, Role.Operator);
            } else if (last) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumLastOperator.selector, target);
            }
            _expectOutcome(expected);
            vm.prank(operator);
            consortium.revokeMemberRole(target, Role.Operator);
        } else if (action == 3) {
            if (member.status == MemberStatus.Exited) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumMemberExited.selector, target);
            } else if (holdsOperator) {
                expected = abi.encodeWithSelector(
                    IConsortium.ConsortiumRoleAlreadyHeld.selector,
                    target,
                    Role.Operator
                );
            }
            _expectOutcome(expected);
            vm.prank(operator);
            consortium.grantMemberRole(target, Role.Operator);
        } else {
            if (member.status == MemberStatus.Exited) {
                vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumMemberExited.selector, target));
                consortium.completeExit(target);
                return;
            }
            if (member.exitEffectiveAt == 0) {
                vm.prank(_firstAccount[target]);
                consortium.requestExit();
            }
            // The member itself, an operator, or (refused) an account that is neither completes the exit.
            address caller =
                step % 3 == 0
                    ? _firstAccount[target]
                    : step % 3 == 1
                        ? operator
                        : makeAddr("outsider");
            if (step % 3 == 2) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumNotExitingMember.selector, caller, target);
            } else if (last) {
                expected = abi.encodeWithSelector(IConsortium.ConsortiumLastOperator.selector, target);
            }
            _expectOutcome(expected);
            vm.prank(caller);
            consortium.completeExit(target);
        }
    }

    function _expectOutcome(bytes memory expectedError) internal {
        if (expectedError.length != 0) vm.expectRevert(expectedError);
    }

    /// @dev Members in good standing holding the operator role, counted from their records.
    function _countOperators(uint64 members) internal view returns (uint256 count) {
        for (uint64 id = 1; id <= members; ++id) {
            Member memory member = consortium.getMember(id);
            if (member.status == MemberStatus.Active && Roles.has(member.roles, Role.Operator)) ++count;
        }
    }

    function _anOperatorAccount() internal view returns (address) {
        uint64 members = consortium.memberCount();
        for (uint64 id = 1; id <= members; ++id) {
            if (consortium.hasRole(_firstAccount[id], Role.Operator)) return _firstAccount[id];
        }
        revert("no operator in good standing");
    }

    function _assertCannotBeAdded(address account, address otherMemberAccount, bytes memory taken) internal {
        vm.expectRevert(taken);
        vm.prank(founder);
        consortium.admit(_single(account), Roles.bit(Role.Consumer), keccak256("again"));

        vm.expectRevert(taken);
        vm.prank(otherMemberAccount);
        consortium.addAccount(account);
    }

    function _assumeFresh(address account) internal view {
        vm.assume(account != address(0) && account != address(gateway));
        (uint64 memberId, ) = consortium.memberOf(account);
        vm.assume(memberId == 0);
        vm.assume(account != spare && account != other);
    }

    function _accounts(string memory label, uint256 count) internal returns (address[] memory accounts) {
        accounts = new address[](count);
        for (uint256 i = 0; i < count; ++i) {
            accounts[i] = makeAddr(string.concat(label, " ", vm.toString(i)));
        }
    }

    function _single(address account) internal pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = account;
    }

    function _pair(address first, address second) internal pure returns (address[] memory accounts) {
        accounts = new address[](2);
        accounts[0] = first;
        accounts[1] = second;
    }
}
