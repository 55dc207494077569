// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IFiatGateway} from "../../contracts/interfaces/IFiatGateway.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, MemberStatus} from "../../contracts/types/Membership.sol";
import {SettlementLayerHandler} from "./SettlementLayerHandler.sol";

/// @notice Laws of the settlement layer that hold after any sequence of the handler's actions.
/// @dev The fuzzer finds the handler's functions through its artifact, and Hardhat writes artifacts only for
/// the test files it builds: run the whole suite (`npx hardhat test solidity`) or name both files
/// (`npx hardhat test solidity test/invariant/SettlementLayer.t.sol test/invariant/SettlementLayerHandler.sol`).
contract SettlementLayerInvariantTest is Test {
    SettlementLayerHandler internal handler;
    Consortium internal consortium;
    SettlementToken internal token;
    FiatGateway internal gateway;

    function setUp() public {
        handler = new SettlementLayerHandler();
        consortium = handler.consortium();
        token = handler.token();
        gateway = handler.gateway();

        bytes4[] memory selectors = new bytes4[](28);
        selectors[0] = SettlementLayerHandler.mint.selector;
        selectors[1] = SettlementLayerHandler.configureMinter.selector;
        selectors[2] = SettlementLayerHandler.removeMinter.selector;
        selectors[3] = SettlementLayerHandler.attestReserve.selector;
        selectors[4] = SettlementLayerHandler.requestRedemption.selector;
        selectors[5] = SettlementLayerHandler.requestRedemptionWithPermit.selector;
        selectors[6] = SettlementLayerHandler.markRedemptionPaid.selector;
        selectors[7] = SettlementLayerHandler.rejectRedemption.selector;
        selectors[8] = SettlementLayerHandler.transfer.selector;
        selectors[9] = SettlementLayerHandler.approve.selector;
        selectors[10] = SettlementLayerHandler.transferFrom.selector;
        selectors[11] = SettlementLayerHandler.pause.selector;
        selectors[12] = SettlementLayerHandler.unpause.selector;
        selectors[13] = SettlementLayerHandler.admit.selector;
        selectors[14] = SettlementLayerHandler.suspend.selector;
        selectors[15] = SettlementLayerHandler.reinstate.selector;
        selectors[16] = SettlementLayerHandler.grantOperator.selector;
        selectors[17] = SettlementLayerHandler.revokeOperator.selector;
        selectors[18] = SettlementLayerHandler.addAccount.selector;
        selectors[19] = SettlementLayerHandler.removeAccount.selector;
        selectors[20] = SettlementLayerHandler.requestExit.selector;
        selectors[21] = SettlementLayerHandler.completeExit.selector;
        selectors[22] = SettlementLayerHandler.warp.selector;
        selectors[23] = SettlementLayerHandler.setNoticePeriod.selector;
        selectors[24] = SettlementLayerHandler.cancelExit.selector;
        selectors[25] = SettlementLayerHandler.publishAgreement.selector;
        selectors[26] = SettlementLayerHandler.acceptAgreement.selector;
        selectors[27] = SettlementLayerHandler.emptyLeavingWallet.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
        excludeContract(address(consortium));
        excludeContract(address(token));
        excludeContract(address(gateway));
    }

    /// @notice Every token is held by an address the handler knows: its accounts and the gateway.
    function invariant_SumOfBalancesEqualsTotalSupply() public view {
        uint256 sum = token.balanceOf(address(gateway));
        uint256 count = handler.accountCount();
        for (uint256 i = 0; i < count; ++i) {
            sum += token.balanceOf(handler.accountAt(i));
        }
        assertEq(sum, token.totalSupply(), "sum of balances");
    }

    /// @notice The supply changes only through the gateway's mints and burns.
    function invariant_TotalSupplyEqualsMintedMinusBurned() public view {
        assertEq(token.totalSupply(), handler.ghost_minted() - handler.ghost_burned(), "minted - burned");
    }

    /// @notice A bank deposit mints once, and the gateway remembers what it minted.
    function invariant_BankReferenceMintsAtMostOnce() public view {
        uint256 count = handler.usedRefCount();
        uint256 total;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 bankRef = handler.usedRefAt(i);
            assertEq(handler.ghost_mintsPerRef(bankRef), 1, "successful mints for one bank reference");
            assertEq(gateway.mintOf(bankRef).amount, handler.ghost_mintedPerRef(bankRef), "recorded mint");
            total += handler.ghost_mintedPerRef(bankRef);
        }
        assertEq(total, handler.ghost_minted(), "minted over all bank references");
    }

    /// @notice What a minter minted since it was configured stays within the allowance it was given, and
    /// the gateway's remaining allowance is exactly the difference.
    function invariant_MinterNeverExceedsAllowance() public view {
        uint256 count = handler.minterCount();
        for (uint256 i = 0; i < count; ++i) {
            address minter = handler.minterAt(i);
            uint256 configured = handler.ghost_allowanceConfigured(minter);
            uint256 minted = handler.ghost_mintedSinceConfigured(minter);
            assertLe(minted, configured, "minted since configured");
            assertEq(gateway.isMinter(minter), handler.ghost_minterActive(minter), "is minter");
            assertEq(gateway.minterAllowance(minter), configured - minted, "allowance left");
        }
    }

    /// @notice No mint ever took the supply above the reserve attested last (by an honest auditor).
    function invariant_SupplyNeverExceedsAttestedReserve() public view {
        assertEq(handler.ghost_mintsAboveReserve(), 0, "mints above the attested reserve");
        (uint256 reserve, uint40 asOf) = gateway.attestedReserve();
        assertEq(reserve, handler.ghost_reserve(), "attested reserve");
        assertEq(asOf, handler.ghost_reserveAsOf(), "attested as of");
        assertLe(token.totalSupply(), reserve, "supply within reserve");
    }

    /// @notice While paused, no transfer, mint, burn, redemption lock or refund succeeds.
    function invariant_PausedMeansNoTransferMintOrBurn() public view {
        assertEq(handler.ghost_movesWhilePaused(), 0, "token movements while paused");
        assertEq(token.paused(), handler.ghost_paused(), "paused");
    }

    /// @notice The gateway holds exactly the tokens locked in pending redemptions.
    function invariant_TokensLockedInGatewayEqualPendingRedemptions() public view {
        assertEq(token.balanceOf(address(gateway)), gateway.pendingTotal(), "gateway balance vs pendingTotal");
        assertEq(gateway.pendingTotal(), handler.ghost_pendingSum(), "pendingTotal vs model");
        assertEq(handler.ghost_settledNotPending(), 0, "settled a redemption that was not pending");
    }

    /// @notice The token's record of each account's standing, roles and accepted agreement follows the
    /// Consortium's membership (Leaving while an exit is pending), and so does the agreement in force.
    function invariant_TokenStandingMatchesMembership() public view {
        assertEq(
            uint8(token.standingOf(address(gateway))),
            uint8(AccountStanding.System),
            "gateway is a system account"
        );
        (uint32 current, ) = consortium.currentAgreement();
        assertEq(current, handler.ghost_agreementVersion(), "agreement in force vs model");
        assertEq(token.currentAgreement(), current, "the token's agreement in force");
        uint256 count = handler.accountCount();
        for (uint256 i = 0; i < count; ++i) {
            address account = handler.accountAt(i);
            AccountStanding expected = handler.expectedStanding(account);
            assertEq(uint8(token.standingOf(account)), uint8(expected), vm.toString(account));
            (uint64 memberId, bool active) = consortium.memberOf(account);
            uint32 accepted = consortium.getMember(memberId).agreementVersion;
            assertEq(accepted, handler.ghost_acceptedVersion(memberId), "accepted agreement vs model");
            // Roles count for new business: in good standing, not leaving, under the agreement in force.
            uint8 roles =
                expected == AccountStanding.Member && accepted == current ? consortium.getMember(memberId).roles : 0;
            assertEq(token.activeRolesOf(account), roles, "active roles of account");
            assertEq(
                token.agreementOf(account),
                expected == AccountStanding.None ? 0 : accepted,
                "the token's record of the accepted agreement"
            );
            assertEq(memberId, handler.ghost_memberOf(account), "member of account");
            bool exited = consortium.getMember(memberId).status == MemberStatus.Exited;
            assertEq(active, handler.ghost_accountActive(account) && !exited, "account active");
        }
    }

    /// @notice A member's transfer never reaches a frozen or leaving account (only mints and payments of the
    /// consortium's contracts do), so nobody can keep a wallet from emptying; and a leaving account can always
    /// send its whole balance to a member in good standing while the token is not paused.
    function invariant_LeavingWalletsAlwaysEmpty() public view {
        assertEq(handler.ghost_restrictedReceipts(), 0, "members' transfers to frozen or leaving accounts");
        assertEq(handler.ghost_leaversStuck(), 0, "leaving accounts that could not empty their wallet");
    }

    /// @notice Only an account of the leaving member or of an operator in good standing completes an exit.
    function invariant_OnlyTheMemberOrAnOperatorCompletesAnExit() public view {
        assertEq(handler.ghost_exitsCompletedByOthers(), 0, "exits completed by others");
    }

    /// @notice No member is ever left with tokens it cannot withdraw: an exited member holds nothing in any
    /// account it ever had and has no redemption pending (its refund would have nowhere to go), and every pending
    /// redemption belongs to a member that can still receive its refund.
    function invariant_NoMemberIsLeftWithTokensItCannotWithdraw() public view {
        uint64 members = consortium.memberCount();
        for (uint64 id = 1; id <= members; ++id) {
            if (consortium.getMember(id).status != MemberStatus.Exited) continue;
            address[] memory accounts = handler.memberAccounts(id);
            for (uint256 i = 0; i < accounts.length; ++i) {
                assertEq(token.balanceOf(accounts[i]), 0, "an exited member's account holds tokens");
            }
            assertEq(gateway.openObligations(id), 0, "an exited member's pending redemptions");
        }
        uint64 redemptions = gateway.redemptionCount();
        for (uint64 id = 1; id <= redemptions; ++id) {
            IFiatGateway.Redemption memory redemption = gateway.getRedemption(id);
            if (redemption.status != IFiatGateway.RedemptionStatus.Pending) continue;
            assertTrue(
                consortium.getMember(redemption.memberId).status != MemberStatus.Exited,
                "a pending redemption of an exited member"
            );
            assertGt(consortium.accountsOf(redemption.memberId).length, 0, "an account to refund");
        }
    }

    /// @notice An account that may not hold tokens holds none, and no removal left tokens behind: they all
    /// reached the member's account they were swept to.
    function invariant_AccountsWithoutStandingHoldNoTokens() public view {
        assertEq(handler.ghost_removalsStranding(), 0, "removals that left tokens behind");
        uint256 count = handler.accountCount();
        for (uint256 i = 0; i < count; ++i) {
            address account = handler.accountAt(i);
            if (token.standingOf(account) == AccountStanding.None) {
                assertEq(token.balanceOf(account), 0, vm.toString(account));
            }
        }
    }

    /// @notice The consortium always keeps an operator in good standing, and counts them right.
    function invariant_AtLeastOneOperator() public view {
        assertGe(consortium.operatorCount(), 1, "operators");
        assertEq(consortium.operatorCount(), handler.modelOperatorCount(), "operators vs model");
    }

    /// @notice Each member's open obligations at the gateway are its pending redemptions.
    function invariant_PendingObligationsMatchRedemptions() public view {
        uint64 redemptions = handler.ghost_redemptionCount();
        assertEq(gateway.redemptionCount(), redemptions, "redemption count");
        uint64 members = consortium.memberCount();
        assertEq(members, handler.ghost_memberCount(), "member count");
        uint256[] memory pending = new uint256[](uint256(members) + 1);
        for (uint64 id = 1; id <= redemptions; ++id) {
            SettlementLayerHandler.GhostRedemption memory expected = handler.ghostRedemption(id);
            IFiatGateway.Redemption memory actual = gateway.getRedemption(id);
            assertEq(uint8(actual.status), uint8(expected.status), "redemption status");
            assertEq(actual.amount, expected.amount, "redemption amount");
            assertEq(actual.memberId, expected.memberId, "redemption member");
            if (expected.status == IFiatGateway.RedemptionStatus.Pending) ++pending[expected.memberId];
        }
        for (uint64 id = 1; id <= members; ++id) {
            assertEq(gateway.openObligations(id), pending[id], "open obligations");
            assertEq(handler.ghost_pendingCount(id), pending[id], "pending count in model");
        }
    }

    /// @notice A rejected redemption's tokens go back to the member that locked them.
    function invariant_RejectedRedemptionsRefundTheMember() public view {
        assertEq(handler.ghost_misdirectedRefunds(), 0, "misdirected refunds");
    }
}
