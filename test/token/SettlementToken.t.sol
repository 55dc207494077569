// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Test} from "forge-std/Test.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {ISettlementToken} from "../../contracts/interfaces/ISettlementToken.sol";
import {MockObligations} from "../../contracts/mocks/MockObligations.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, Role, Roles} from "../../contracts/types/Membership.sol";
import {SettlementLayerDeployment} from "../helpers/SettlementLayerDeployment.sol";

/// @notice Fuzz tests of the settlement token's laws: conservation, membership, frozen senders, leaving and
/// frozen recipients, system accounts, sweeps on removal, role checks on escrow, and the standing, roles, holds
/// and agreement version kept in the high bits of each balance word.
contract SettlementTokenFuzzTest is Test {
    uint256 internal constant MAX_SUPPLY = type(uint128).max;
    uint256 internal constant BALANCE_MASK = type(uint128).max;
    /// @dev Storage slot of `_wallets` (solc storage layout of SettlementToken: ERC20, EIP712, Nonces,
    /// Pausable with `_gateway`, `_agreementVersion` and `_unpausedAt`, `_supply`, then `_wallets`). Checked
    /// against `balanceOf` on every use.
    uint256 internal constant WALLETS_SLOT = 10;

    Consortium internal consortium;
    SettlementToken internal token;
    FiatGateway internal gateway;

    address internal founder = makeAddr("founder");
    address internal issuerAdmin = makeAddr("issuerAdmin");
    address internal masterMinter = makeAddr("masterMinter");
    address internal alice = makeAddr("alice");
    address internal aliceSpare = makeAddr("aliceSpare");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal auditor = makeAddr("auditor");

    uint64 internal aliceId;
    uint64 internal bobId;
    uint64 internal carolId;

    function setUp() public {
        SettlementLayerDeployment.Deployed memory d = SettlementLayerDeployment.deploy(
            founder,
            issuerAdmin,
            masterMinter
        );
        consortium = d.consortium;
        token = d.token;
        gateway = d.gateway;
        aliceId = _admit(_pair(alice, aliceSpare), Roles.bit(Role.Consumer));
        bobId = _admit(_one(bob), Roles.bit(Role.Provider));
        carolId = _admit(_one(carol), Roles.bit(Role.Provider) | Roles.bit(Role.Consumer));
        _admit(_one(auditor), Roles.bit(Role.Auditor));
    }

    /*//////////////////////////////////////////////////////////////
                       TRANSFERS BETWEEN MEMBERS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Transfer_ConservesPairSumAndSupply(uint256 aliceStart, uint256 bobStart, uint256 amount) public {
        aliceStart = bound(aliceStart, 0, MAX_SUPPLY);
        bobStart = bound(bobStart, 0, MAX_SUPPLY - aliceStart);
        amount = bound(amount, 0, aliceStart);
        _mint(alice, aliceStart);
        _mint(bob, bobStart);

        vm.prank(alice);
        assertTrue(token.transfer(bob, amount));

        assertEq(token.balanceOf(alice) + token.balanceOf(bob), aliceStart + bobStart, "pair sum");
        assertEq(token.balanceOf(alice), aliceStart - amount, "sender");
        assertEq(token.balanceOf(bob), bobStart + amount, "recipient");
        assertEq(token.totalSupply(), aliceStart + bobStart, "supply");
        _assertWord(alice, AccountStanding.Member);
        _assertWord(bob, AccountStanding.Member);
    }

    function testFuzz_Transfer_ToOwnAccountKeepsBalance(uint256 held, uint256 amount) public {
        held = bound(held, 0, MAX_SUPPLY);
        amount = bound(amount, 0, held);
        _mint(alice, held);

        vm.prank(alice);
        token.transfer(alice, amount);
        assertEq(token.balanceOf(alice), held, "self-transfer");

        vm.prank(alice);
        token.transfer(aliceSpare, amount);
        assertEq(token.balanceOf(alice) + token.balanceOf(aliceSpare), held, "between a member's accounts");
        assertEq(token.totalSupply(), held, "supply");
    }

    function testFuzz_TransferFrom_ConservesPairSumAndSpendsAllowance(
        uint256 held,
        uint256 allowance,
        uint256 amount
    ) public {
        held = bound(held, 0, MAX_SUPPLY);
        allowance = bound(allowance, 0, type(uint256).max - 1);
        amount = bound(amount, 0, held < allowance ? held : allowance);
        _mint(alice, held);
        vm.prank(alice);
        token.approve(carol, allowance);

        vm.prank(carol);
        token.transferFrom(alice, bob, amount);

        assertEq(token.balanceOf(alice) + token.balanceOf(bob), held, "pair sum");
        assertEq(token.balanceOf(carol), 0, "spender holds nothing");
        assertEq(token.allowance(alice, carol), allowance - amount, "allowance spent");
        assertEq(token.totalSupply(), held, "supply");
    }

    function testFuzz_Transfer_RevertsWhen_AmountExceedsBalance(uint256 held, uint256 amount) public {
        held = bound(held, 0, MAX_SUPPLY - 1);
        amount = bound(amount, held + 1, type(uint256).max);
        _mint(alice, held);

        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, held, amount));
        vm.prank(alice);
        token.transfer(bob, amount);
    }

    /*//////////////////////////////////////////////////////////////
                              NON-MEMBERS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_Transfer_RevertsWhen_RecipientIsNotMember(address outsider, uint256 amount) public {
        _assumeOutsider(outsider);
        _mint(alice, 1_000e6);
        amount = bound(amount, 0, 1_000e6);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(alice);
        token.transfer(outsider, amount);
    }

    function testFuzz_Transfer_RevertsWhen_SenderIsNotMember(address outsider, uint256 amount) public {
        _assumeOutsider(outsider);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(outsider);
        token.transfer(bob, amount);
    }

    function testFuzz_TransferFrom_RevertsWhen_OwnerIsNotMember(address outsider, uint256 amount) public {
        _assumeOutsider(outsider);
        vm.prank(outsider);
        token.approve(carol, amount);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(carol);
        token.transferFrom(outsider, bob, amount);
    }

    function testFuzz_TransferFrom_RevertsWhen_RecipientIsNotMember(address outsider, uint256 amount) public {
        _assumeOutsider(outsider);
        _mint(alice, 1_000e6);
        amount = bound(amount, 0, 1_000e6);
        vm.prank(alice);
        token.approve(carol, amount);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(carol);
        token.transferFrom(alice, outsider, amount);
    }

    function testFuzz_Transfer_RevertsWhen_AccountWasRemoved(uint256 amount) public {
        amount = bound(amount, 0, 1_000e6);
        _mint(alice, 1_000e6);
        vm.prank(alice);
        consortium.removeAccount(aliceSpare);
        assertEq(uint8(token.standingOf(aliceSpare)), uint8(AccountStanding.None), "removed account standing");

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, aliceSpare));
        vm.prank(alice);
        token.transfer(aliceSpare, amount);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, aliceSpare));
        vm.prank(aliceSpare);
        token.transfer(alice, 0);
    }

    function testFuzz_Transfer_RevertsWhen_MemberHasExited(uint256 amount) public {
        amount = bound(amount, 0, 1_000e6);
        _mint(alice, 1_000e6);
        vm.prank(carol);
        consortium.requestExit();
        vm.warp(block.timestamp + SettlementLayerDeployment.NOTICE_PERIOD);
        vm.prank(carol);
        consortium.completeExit(carolId);
        assertEq(uint8(token.standingOf(carol)), uint8(AccountStanding.None), "exited account standing");

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, carol));
        vm.prank(alice);
        token.transfer(carol, amount);
    }

    /*//////////////////////////////////////////////////////////////
                        SUSPENDED (FROZEN) MEMBERS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_FrozenAccount_CannotSendAndReceivesOnlyWhatIsOwed(
        uint256 held,
        uint256 sent,
        uint256 received
    ) public {
        held = bound(held, 1, MAX_SUPPLY / 3);
        received = bound(received, 0, MAX_SUPPLY / 3);
        sent = bound(sent, 0, held);
        _mint(alice, held);
        _mint(bob, received);
        vm.prank(founder);
        consortium.suspend(aliceId, keccak256("decision 1"));
        assertEq(uint8(token.standingOf(alice)), uint8(AccountStanding.Frozen), "alice frozen");
        assertEq(uint8(token.standingOf(aliceSpare)), uint8(AccountStanding.Frozen), "alice's spare frozen");

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenSenderFrozen.selector, alice));
        vm.prank(alice);
        token.transfer(bob, sent);

        // An approval can still be given, but a spender cannot move a frozen account's tokens either.
        vm.prank(alice);
        token.approve(carol, sent);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenSenderFrozen.selector, alice));
        vm.prank(carol);
        token.transferFrom(alice, bob, sent);

        // A member's transfer does not reach it; a mint (a bank deposit owed to it) does.
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementToken.SettlementTokenRecipientRestricted.selector,
                alice,
                AccountStanding.Frozen
            )
        );
        vm.prank(bob);
        token.transfer(alice, received);
        _mint(alice, received);
        assertEq(token.balanceOf(alice), held + received, "frozen account received the mint");
        assertEq(token.balanceOf(bob), received, "bob kept his");
        assertEq(token.totalSupply(), held + 2 * received, "supply");
        _assertWord(alice, AccountStanding.Frozen);

        vm.prank(founder);
        consortium.reinstate(aliceId);
        vm.prank(alice);
        token.transfer(bob, held + received);
        assertEq(token.balanceOf(bob), held + 2 * received, "sent after reinstatement");
        _assertWord(alice, AccountStanding.Member);
    }

    /*//////////////////////////////////////////////////////////////
                           LEAVING MEMBERS
    //////////////////////////////////////////////////////////////*/

    /// @notice A leaving member's accounts send (to empty their wallets), receive mints and payments of the
    /// consortium's contracts, but no transfers from members, not even between its own accounts.
    function testFuzz_LeavingAccount_SendsAndReceivesOnlyWhatIsOwed(uint256 held, uint256 sent, uint256 owed) public {
        held = bound(held, 2, MAX_SUPPLY / 2);
        sent = bound(sent, 1, held - 1);
        owed = bound(owed, 0, MAX_SUPPLY / 2);
        _mint(alice, held);
        vm.prank(alice);
        consortium.requestExit();
        assertEq(uint8(token.standingOf(alice)), uint8(AccountStanding.Leaving), "alice leaving");
        assertEq(uint8(token.standingOf(aliceSpare)), uint8(AccountStanding.Leaving), "alice's spare leaving");

        vm.prank(alice);
        token.transfer(bob, sent);
        for (uint256 i = 0; i < 2; ++i) {
            address to = i == 0 ? alice : aliceSpare;
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlementToken.SettlementTokenRecipientRestricted.selector,
                    to,
                    AccountStanding.Leaving
                )
            );
            vm.prank(i == 0 ? bob : alice);
            token.transfer(to, 1);
        }
        _mint(aliceSpare, owed);
        assertEq(token.balanceOf(alice), held - sent, "sent");
        assertEq(token.balanceOf(aliceSpare), owed, "received the mint");
        assertEq(token.balanceOf(bob), sent, "bob received");
        _assertWord(alice, AccountStanding.Leaving);
        _assertWord(aliceSpare, AccountStanding.Leaving);

        vm.prank(aliceSpare);
        consortium.cancelExit();
        vm.prank(bob);
        token.transfer(alice, sent);
        assertEq(token.balanceOf(alice), held, "received again after the exit was cancelled");
        _assertWord(alice, AccountStanding.Member);
    }

    /*//////////////////////////////////////////////////////////////
                        SWEEPS ON ACCOUNT REMOVAL
    //////////////////////////////////////////////////////////////*/

    /// @notice Removing an account moves all its tokens to the member's remover: nothing is stranded, the supply
    /// stands, and both words keep their standing bits; while paused only an empty account is removed.
    function testFuzz_RemoveAccount_SweepsAnyBalance(uint256 held, uint256 kept, bool paused) public {
        held = bound(held, 0, MAX_SUPPLY / 2);
        kept = bound(kept, 0, MAX_SUPPLY / 2);
        _mint(aliceSpare, held);
        _mint(alice, kept);
        if (paused) {
            vm.prank(founder);
            token.pause();
            if (held != 0) {
                vm.expectRevert(Pausable.EnforcedPause.selector);
                vm.prank(alice);
                consortium.removeAccount(aliceSpare);
                assertEq(token.balanceOf(aliceSpare), held, "nothing moved while paused");
                vm.prank(founder);
                token.unpause();
            }
        }

        vm.prank(alice);
        consortium.removeAccount(aliceSpare);

        assertEq(token.balanceOf(aliceSpare), 0, "removed account emptied");
        assertEq(token.balanceOf(alice), kept + held, "swept to the remover");
        assertEq(token.totalSupply(), kept + held, "supply");
        _assertWord(aliceSpare, AccountStanding.None);
        _assertWord(alice, AccountStanding.Member);
    }

    /*//////////////////////////////////////////////////////////////
                         ROLE CHECKS ON ESCROW
    //////////////////////////////////////////////////////////////*/

    /// @notice A consortium contract escrows from an account only for a role its member may start new business
    /// in: held, in good standing, not leaving, under the current agreement; otherwise nothing moves.
    function testFuzz_EscrowFrom_RequiresTheRole(uint8 roleIndex, uint256 amount, uint256 state) public {
        Role role = Role(bound(roleIndex, 0, uint256(type(Role).max)));
        amount = bound(amount, 0, 1_000e6);
        state = bound(state, 0, 2);
        MockObligations holder = new MockObligations();
        vm.prank(founder);
        consortium.registerContract(address(holder));
        _mint(carol, 1_000e6);
        vm.prank(carol);
        token.approve(address(holder), amount);
        if (state == 1) {
            vm.prank(carol);
            consortium.requestExit();
        } else if (state == 2) {
            vm.prank(founder);
            consortium.publishAgreement(keccak256("framework agreement v2"));
        }
        bool allowed = state == 0 && (role == Role.Provider || role == Role.Consumer);

        if (!allowed) {
            vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenMissingRole.selector, carol, role));
        }
        vm.prank(address(holder));
        token.escrowFrom(carol, amount, role);

        assertEq(token.balanceOf(carol), allowed ? 1_000e6 - amount : 1_000e6, "escrowed only when allowed");
        assertEq(token.holdsOf(carol), allowed ? 1 : 0, "a hold only when allowed");
        _assertWord(carol, state == 1 ? AccountStanding.Leaving : AccountStanding.Member);
    }

    /*//////////////////////////////////////////////////////////////
                        CONSORTIUM (SYSTEM) CONTRACTS
    //////////////////////////////////////////////////////////////*/

    function testFuzz_ConsortiumContract_ReceivesOnlyWhatItPulls(uint256 amount) public {
        amount = bound(amount, 1, MAX_SUPPLY);
        _mint(alice, amount);
        MockObligations registry = new MockObligations();
        vm.prank(founder);
        consortium.registerContract(address(registry));
        assertEq(uint8(token.standingOf(address(registry))), uint8(AccountStanding.System), "system standing");

        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenUnsolicitedTransfer.selector, address(registry))
        );
        vm.prank(alice);
        token.transfer(address(registry), amount);

        vm.prank(alice);
        token.approve(bob, amount);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenUnsolicitedTransfer.selector, address(registry))
        );
        vm.prank(bob);
        token.transferFrom(alice, address(registry), amount);

        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenMintToContract.selector, address(registry))
        );
        vm.prank(address(gateway));
        token.mint(address(registry), amount);

        vm.prank(alice);
        token.approve(address(registry), amount);
        vm.prank(address(registry));
        token.transferFrom(alice, address(registry), amount);
        assertEq(token.balanceOf(address(registry)), amount, "pulled");
        _assertWord(address(registry), AccountStanding.System);

        vm.prank(address(registry));
        token.transfer(bob, amount);
        assertEq(token.balanceOf(bob), amount, "paid out by the contract");
        assertEq(token.totalSupply(), amount, "supply");
    }

    function testFuzz_Gateway_HoldsOnlyRedemptionsItPulled(uint256 amount, uint256 pushed) public {
        amount = bound(amount, 1, 1_000_000e6);
        pushed = bound(pushed, 0, amount);
        _mint(alice, amount);

        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenUnsolicitedTransfer.selector, address(gateway))
        );
        vm.prank(alice);
        token.transfer(address(gateway), pushed);

        vm.startPrank(alice);
        token.approve(address(gateway), amount);
        gateway.requestRedemption(amount, keccak256("payout instructions"));
        vm.stopPrank();
        assertEq(token.balanceOf(address(gateway)), amount, "locked");
        assertEq(gateway.pendingTotal(), amount, "pending");
    }

    /*//////////////////////////////////////////////////////////////
                      STANDING BITS AND MAX_SUPPLY
    //////////////////////////////////////////////////////////////*/

    /// @notice Random mints, transfers, suspensions, reinstatements and exit requests and cancellations near
    /// MAX_SUPPLY: every balance stays exact, every standing stays as the Consortium set it, and each storage
    /// word holds exactly those (with the roles, holds and agreement version the Consortium pushed).
    function testFuzz_StandingBitsNeverLeakIntoBalances(uint256 seed) public {
        address[3] memory accounts = [alice, bob, carol];
        uint64[3] memory ids = [aliceId, bobId, carolId];
        uint256[3] memory balances;
        bool[3] memory frozen;
        bool[3] memory leaving;
        uint256 supply = MAX_SUPPLY - bound(seed, 0, 1_000_000e6);
        _mint(alice, supply);
        balances[0] = supply;

        for (uint256 step = 0; step < 24; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 i = (r >> 8) % 3;
            uint256 j = (r >> 16) % 3;
            uint256 action = r % 5;
            if (action == 0) {
                // Mint what is left below MAX_SUPPLY, or part of it.
                uint256 amount = bound(r >> 24, 0, MAX_SUPPLY - supply);
                _mint(accounts[i], amount);
                balances[i] += amount;
                supply += amount;
            } else if (action == 1) {
                uint256 amount = bound(r >> 24, MAX_SUPPLY - supply + 1, MAX_SUPPLY + 1);
                vm.expectRevert(
                    abi.encodeWithSelector(ISettlementToken.SettlementTokenSupplyOverflow.selector, supply, amount)
                );
                vm.prank(address(gateway));
                token.mint(accounts[i], amount);
            } else if (action == 2) {
                uint256 amount = bound(r >> 24, 0, balances[i]);
                bool moves = !frozen[i] && !frozen[j] && !leaving[j];
                if (frozen[i]) {
                    vm.expectRevert(
                        abi.encodeWithSelector(ISettlementToken.SettlementTokenSenderFrozen.selector, accounts[i])
                    );
                } else if (!moves) {
                    vm.expectRevert(
                        abi.encodeWithSelector(
                            ISettlementToken.SettlementTokenRecipientRestricted.selector,
                            accounts[j],
                            _standing(frozen[j], leaving[j])
                        )
                    );
                }
                vm.prank(accounts[i]);
                token.transfer(accounts[j], amount);
                if (moves) {
                    balances[i] -= amount;
                    balances[j] += amount;
                }
            } else if (action == 3) {
                vm.prank(founder);
                if (frozen[i]) consortium.reinstate(ids[i]);
                else consortium.suspend(ids[i], keccak256(abi.encode("decision", step)));
                frozen[i] = !frozen[i];
            } else {
                vm.prank(accounts[i]);
                if (leaving[i]) consortium.cancelExit();
                else consortium.requestExit();
                leaving[i] = !leaving[i];
            }

            assertEq(token.totalSupply(), supply, "supply");
            for (uint256 k = 0; k < 3; ++k) {
                assertEq(token.balanceOf(accounts[k]), balances[k], "balance");
                _assertWord(accounts[k], _standing(frozen[k], leaving[k]));
            }
        }
    }

    function testFuzz_Mint_ReachesMaxSupplyExactly(uint256 first) public {
        first = bound(first, 0, MAX_SUPPLY);
        _mint(alice, first);
        _mint(bob, MAX_SUPPLY - first);

        assertEq(token.totalSupply(), MAX_SUPPLY, "supply");
        assertEq(token.balanceOf(alice), first, "alice");
        assertEq(token.balanceOf(bob), MAX_SUPPLY - first, "bob");
        _assertWord(alice, AccountStanding.Member);
        _assertWord(bob, AccountStanding.Member);

        vm.prank(alice);
        token.transfer(bob, first);
        assertEq(token.balanceOf(bob), MAX_SUPPLY, "all of it in one account");
        _assertWord(bob, AccountStanding.Member);
    }

    function testFuzz_Mint_RevertsWhen_SupplyWouldExceedMaxSupply(uint256 supply, uint256 amount) public {
        supply = bound(supply, 0, MAX_SUPPLY);
        amount = bound(amount, MAX_SUPPLY - supply + 1, type(uint256).max);
        _mint(alice, supply);

        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenSupplyOverflow.selector, supply, amount)
        );
        vm.prank(address(gateway));
        token.mint(bob, amount);
    }

    /*//////////////////////////////////////////////////////////////
                           WHO MAY CALL WHAT
    //////////////////////////////////////////////////////////////*/

    function testFuzz_MintAndBurn_RevertWhen_CallerIsNotGateway(address caller, uint256 amount) public {
        vm.assume(caller != address(gateway));

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotGateway.selector, caller));
        vm.prank(caller);
        token.mint(alice, amount);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotGateway.selector, caller));
        vm.prank(caller);
        token.burn(amount);
    }

    function testFuzz_SetStanding_RevertsWhen_CallerIsNotConsortium(address caller, address account) public {
        vm.assume(caller != address(consortium));

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotConsortium.selector, caller));
        vm.prank(caller);
        token.setStanding(account, AccountStanding.Member);
    }

    /// @notice Only the Consortium writes roles, agreement versions and sweeps.
    function testFuzz_ConsortiumWrites_RevertWhen_CallerIsNotConsortium(
        address caller,
        uint8 roles,
        uint32 version
    ) public {
        vm.assume(caller != address(consortium));
        _mint(aliceSpare, 1e6);
        bytes memory refused = abi.encodeWithSelector(ISettlementToken.SettlementTokenNotConsortium.selector, caller);

        vm.expectRevert(refused);
        vm.prank(caller);
        token.setRoles(alice, roles, version);

        vm.expectRevert(refused);
        vm.prank(caller);
        token.setCurrentAgreement(version);

        vm.expectRevert(refused);
        vm.prank(caller);
        token.sweep(aliceSpare, caller);

        assertEq(token.currentAgreement(), 1, "agreement unchanged");
        assertEq(token.balanceOf(aliceSpare), 1e6, "nothing swept");
        _assertWord(alice, AccountStanding.Member);
    }

    function testFuzz_Paused_BlocksTransfersMintsAndBurns(uint256 amount) public {
        amount = bound(amount, 0, 1_000e6);
        _mint(alice, 1_000e6);
        vm.prank(founder);
        token.pause();

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(alice);
        token.transfer(bob, amount);

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(address(gateway));
        token.mint(bob, amount);

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(address(gateway));
        token.burn(0);

        assertEq(token.balanceOf(alice), 1_000e6, "unchanged");
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Mints as the gateway does, to reach any supply up to MAX_SUPPLY (the gateway itself records
    /// each mint in 96 bits, so the token's own limit is tested here directly).
    function _mint(address to, uint256 amount) internal {
        vm.prank(address(gateway));
        token.mint(to, amount);
    }

    /// @dev The account's storage word is exactly its balance in bits 0..127, its standing in 128..135, its
    /// member's roles in 136..143, its holds in 144..175 and its member's agreement version in 176..207, nothing
    /// above; the roles and version are the member's as the Consortium records them.
    function _assertWord(address account, AccountStanding standing) internal view {
        uint256 word = uint256(vm.load(address(token), keccak256(abi.encode(account, WALLETS_SLOT))));
        assertEq(word & BALANCE_MASK, token.balanceOf(account), "balance bits");
        assertEq((word >> 128) & 0xff, uint256(standing), "standing bits");
        assertEq(uint32(word >> 144), token.holdsOf(account), "hold bits");
        assertEq(uint32(word >> 176), token.agreementOf(account), "agreement bits");
        assertEq(word >> 208, 0, "nothing above the agreement version");
        assertEq(uint8(token.standingOf(account)), uint8(standing), "standingOf");
        uint8 roles = uint8(word >> 136);
        bool current = uint32(word >> 176) == token.currentAgreement();
        assertEq(
            token.activeRolesOf(account),
            standing == AccountStanding.Member && current ? roles : 0,
            "activeRolesOf"
        );
        if (standing == AccountStanding.None) {
            assertEq(word >> 136, 0, "no roles, holds or agreement without standing");
            return;
        }
        if (standing == AccountStanding.System) return;
        (uint64 memberId, ) = consortium.memberOf(account);
        assertEq(roles, consortium.getMember(memberId).roles, "the member's roles");
        assertEq(uint32(word >> 176), consortium.getMember(memberId).agreementVersion, "the member's agreement");
    }

    function _standing(bool frozen, bool leaving) internal pure returns (AccountStanding) {
        if (frozen) return AccountStanding.Frozen;
        return leaving ? AccountStanding.Leaving : AccountStanding.Member;
    }

    function _assumeOutsider(address account) internal view {
        vm.assume(account != address(0));
        assumeNotPrecompile(account);
        assumeNotForgeAddress(account);
        vm.assume(token.standingOf(account) == AccountStanding.None);
        (uint64 memberId, ) = consortium.memberOf(account);
        vm.assume(memberId == 0);
    }

    function _admit(address[] memory accounts, uint8 roles) internal returns (uint64) {
        return SettlementLayerDeployment.admitMember(consortium, founder, accounts, roles);
    }

    function _one(address account) internal pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = account;
    }

    function _pair(address first, address second) internal pure returns (address[] memory accounts) {
        accounts = new address[](2);
        accounts[0] = first;
        accounts[1] = second;
    }
}
