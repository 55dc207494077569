// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {ISettlementToken} from "../../contracts/interfaces/ISettlementToken.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, Role, Roles} from "../../contracts/types/Membership.sol";
import {SettlementSetup} from "../helpers/SettlementSetup.sol";

/// @notice Fuzz tests of the member-only token: conservation, the standing rules, the packed balance word.
contract SettlementTokenFuzzTest is Test, SettlementSetup {
    address internal constant MINTER = address(0x4D1);
    address internal constant ALICE = address(0xA1);
    address internal constant BOB = address(0xB0B);
    uint64 internal aliceId;

    function setUp() public {
        _deploySettlementLayer();
        aliceId = _admit(ALICE, Role.Consumer);
        _admit(BOB, Role.Provider);
        _enableMinting(MINTER, type(uint128).max, type(uint128).max);
    }

    function _mint(address to, uint256 amount, bytes32 ref) internal {
        vm.prank(MINTER);
        gateway.mint(to, amount, ref);
    }

    function testFuzz_TransferConservesBalancesAndSupply(uint96 minted, uint96 amount) public {
        minted = uint96(bound(minted, 1, type(uint96).max));
        amount = uint96(bound(amount, 0, minted));
        _mint(ALICE, minted, "deposit");
        vm.prank(ALICE);
        token.transfer(BOB, amount);
        assertEq(token.balanceOf(ALICE), minted - amount);
        assertEq(token.balanceOf(BOB), amount);
        assertEq(token.balanceOf(ALICE) + token.balanceOf(BOB), token.totalSupply());
    }

    function testFuzz_TransferToNonMemberRevertsNamingIt(address outsider, uint96 amount) public {
        (uint64 memberId, ) = consortium.memberOf(outsider);
        vm.assume(memberId == 0 && outsider != address(gateway) && outsider != address(0));
        amount = uint96(bound(amount, 1, type(uint96).max));
        _mint(ALICE, amount, "deposit");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        token.transfer(outsider, amount);
    }

    function testFuzz_FrozenSenderCannotSendButReceives(uint96 amount) public {
        amount = uint96(bound(amount, 1, type(uint96).max / 2));
        _mint(ALICE, amount, "alice");
        _mint(BOB, amount, "bob");
        vm.prank(OPERATOR);
        consortium.suspend(aliceId, "decision");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenSenderFrozen.selector, ALICE));
        token.transfer(BOB, 1);
        vm.prank(BOB);
        token.transfer(ALICE, amount);
        assertEq(token.balanceOf(ALICE), uint256(amount) * 2);
    }

    function testFuzz_ConsortiumContractReceivesOnlyWhatItPulls(uint96 amount) public {
        amount = uint96(bound(amount, 1, type(uint96).max));
        _mint(ALICE, amount, "deposit");
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenUnsolicitedTransfer.selector, address(gateway))
        );
        token.transfer(address(gateway), amount);
        vm.prank(ALICE);
        token.approve(address(gateway), amount);
        vm.prank(ALICE);
        gateway.requestRedemption(amount, "payout");
        assertEq(token.balanceOf(address(gateway)), amount);
    }

    /// @dev A second wiring whose token names this test as its gateway, so it can mint up to MAX_SUPPLY
    /// directly (the real gateway caps a single mint at 2^96 - 1 and the reserve caps the rest).
    function _directlyMintableToken() internal returns (SettlementToken raw) {
        address[] memory founder = new address[](1);
        founder[0] = OPERATOR;
        Consortium other = new Consortium(founder, "founder", AGREEMENT, NOTICE);
        raw = new SettlementToken(IConsortium(address(other)), "Raw", "RAW");
        vm.startPrank(OPERATOR);
        other.bindToken(address(raw));
        raw.bindGateway(address(this));
        address[] memory accounts = new address[](2);
        accounts[0] = ALICE;
        accounts[1] = BOB;
        other.admit(accounts, Roles.bit(Role.Consumer), "members");
        vm.stopPrank();
    }

    /// @dev Balances share their word with the standing bits; no sequence of mints and moves may mix them.
    function testFuzz_StandingBitsNeverLeakIntoBalances(uint128 first, uint128 second, uint128 moved) public {
        SettlementToken raw = _directlyMintableToken();
        uint256 max = raw.MAX_SUPPLY();
        first = uint128(bound(first, 1, max - 1));
        second = uint128(bound(second, 1, max - first));
        moved = uint128(bound(moved, 0, first));
        raw.mint(ALICE, first);
        raw.mint(BOB, second);
        vm.prank(ALICE);
        raw.transfer(BOB, moved);
        assertEq(raw.balanceOf(ALICE), first - moved);
        assertEq(raw.balanceOf(BOB), uint256(second) + moved);
        assertEq(uint8(raw.standingOf(ALICE)), uint8(AccountStanding.Member));
        assertEq(uint8(raw.standingOf(BOB)), uint8(AccountStanding.Member));
        assertEq(raw.totalSupply(), uint256(first) + second);
    }

    function testFuzz_MintAboveMaxSupplyReverts(uint256 existing, uint256 extra) public {
        SettlementToken raw = _directlyMintableToken();
        uint256 max = raw.MAX_SUPPLY();
        existing = bound(existing, 1, max);
        extra = bound(extra, max - existing + 1, type(uint256).max - existing);
        raw.mint(ALICE, existing);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenSupplyOverflow.selector, existing, extra)
        );
        raw.mint(BOB, extra);
    }
}
