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

        bytes4[] memory selectors = new bytes4[](24);
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

    /// @notice The token's record of each account's standing and roles follows the Consortium's membership.
    function invariant_TokenStandingMatchesMembership() public view {
        assertEq(
            uint8(token.standingOf(address(gateway))),
            uint8(AccountStanding.System),
            "gateway is a system account"
        );
        uint256 count = handler.accountCount();
        for (uint256 i = 0; i < count; ++i) {
            address account = handler.accountAt(i);
            AccountStanding expected = handler.expectedStanding(account);
            assertEq(uint8(token.standingOf(account)), uint8(expected), vm.toString(account));
            (uint64 memberId, bool active) = consortium.memberOf(account);
            // Roles count for new business: none while the member is leaving.
            uint8 roles =
                expected == AccountStanding.Member && consortium.getMember(memberId).exitEffectiveAt == 0
                    ? consortium.getMember(memberId).roles
                    : 0;
            assertEq(token.activeRolesOf(account), roles, "active roles of account");
            assertEq(memberId, handler.ghost_memberOf(account), "member of account");
            bool exited = consortium.getMember(memberId).status == MemberStatus.Exited;
            assertEq(active, handler.ghost_accountActive(account) && !exited, "account active");
        }
    }

    /// @notice An account that may not hold tokens holds none, and no account was removed holding tokens.
    function invariant_AccountsWithoutStandingHoldNoTokens() public view {
        assertEq(handler.ghost_removedHoldingTokens(), 0, "removed accounts that held tokens");
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
