// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, MemberStatus} from "../../contracts/types/Membership.sol";
import {SettlementLayerHandler} from "./SettlementLayerHandler.sol";

/// @notice The laws of the settlement layer, checked after every random sequence of the handler's actions.
contract SettlementLayerInvariantTest is Test {
    SettlementLayerHandler internal handler;
    Consortium internal consortium;
    SettlementToken internal token;
    FiatGateway internal gateway;

    function setUp() public {
        handler = new SettlementLayerHandler();
        (address c, address t, address g) = handler.contracts();
        consortium = Consortium(c);
        token = SettlementToken(t);
        gateway = FiatGateway(g);
        targetContract(address(handler));
    }

    function invariant_SumOfBalancesEqualsTotalSupply() public view {
        uint256 sum = token.balanceOf(address(gateway));
        for (uint256 i = 0; i < handler.accountCount(); ++i) {
            sum += token.balanceOf(handler.accounts(i));
        }
        assertEq(sum, token.totalSupply(), "balances do not add up to the supply");
    }

    function invariant_TotalSupplyEqualsMintedMinusBurned() public view {
        assertEq(token.totalSupply(), handler.ghostMinted() - handler.ghostBurned());
    }

    function invariant_BankReferenceMintsAtMostOnce() public view {
        for (uint256 i = 0; i < handler.bankRefCount(); ++i) {
            bytes32 ref = handler.bankRefs(i);
            assertEq(handler.ghostMintsPerRef(ref), 1, "a bank reference minted twice");
            assertGt(gateway.mintOf(ref).amount, 0, "a used bank reference has no mint record");
        }
    }

    function invariant_MinterNeverExceedsAllowance() public view {
        for (uint256 i = 0; i < handler.minterCount(); ++i) {
            address minter = handler.minters(i);
            uint256 configured = handler.ghostAllowanceConfigured(minter);
            uint256 minted = handler.ghostMintedSinceConfigured(minter);
            assertLe(minted, configured, "a minter minted more than its allowance");
            assertEq(gateway.minterAllowance(minter), configured - minted, "allowance left is off");
        }
    }

    function invariant_SupplyNeverExceedsAttestedReserve() public view {
        (uint256 reserve, ) = gateway.attestedReserve();
        assertLe(token.totalSupply(), reserve);
        assertEq(handler.ghostMintsAboveReserve(), 0, "a mint took the supply above the reserve");
    }

    function invariant_PausedMeansNoTransferMintOrBurn() public view {
        assertEq(handler.ghostMovedWhilePaused(), 0);
    }

    function invariant_TokensLockedInGatewayEqualPendingRedemptions() public view {
        assertEq(token.balanceOf(address(gateway)), gateway.pendingTotal());
        assertEq(gateway.pendingTotal(), handler.ghostPending());
    }

    function invariant_PendingObligationsMatchRedemptions() public view {
        for (uint256 i = 0; i < handler.memberCount(); ++i) {
            uint64 memberId = handler.memberIds(i);
            assertEq(gateway.openObligations(memberId), handler.ghostPendingCount(memberId));
        }
    }

    function invariant_TokenStandingMatchesMembership() public view {
        assertEq(uint8(token.standingOf(address(gateway))), uint8(AccountStanding.System));
        for (uint256 i = 0; i < handler.accountCount(); ++i) {
            address account = handler.accounts(i);
            (uint64 memberId, bool active) = consortium.memberOf(account);
            assertEq(memberId, handler.memberOfAccount(account), "account moved to another member");
            assertEq(active, !handler.removed(account), "account activity differs");
            AccountStanding expected = AccountStanding.None;
            if (active) {
                MemberStatus status = consortium.getMember(memberId).status;
                if (status == MemberStatus.Active) expected = AccountStanding.Member;
                if (status == MemberStatus.Suspended) expected = AccountStanding.Frozen;
            }
            assertEq(uint8(token.standingOf(account)), uint8(expected), "token standing differs from membership");
        }
    }

    function invariant_AtLeastOneOperator() public view {
        assertGe(consortium.operatorCount(), 1);
    }
}
