// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {PaymentChannels} from "../../contracts/channels/PaymentChannels.sol";
import {IPaymentChannels} from "../../contracts/interfaces/IPaymentChannels.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding} from "../../contracts/types/Membership.sol";
import {PaymentChannelsHandler} from "./PaymentChannelsHandler.sol";

/// @notice Laws of the payment channels that hold after any sequence of the handler's actions: payees are never
/// paid more than was deposited, every closed channel split its deposit exactly between payee and payer, the
/// contract holds exactly the unspent deposits of its open channels, claimed amounts only rise, foreign
/// vouchers never pay, the payer can always take back the rest after the deadline, the payee can always claim
/// inside the challenge period, a pause never costs the payee its voucher, open channels count as obligations of
/// both parties' members, the token holds each payer once per open channel, no account of an open channel is
/// removed (and a removed account's tokens all reach its member), and a member that is leaving or has not
/// accepted the framework agreement in force starts no new channel.
/// @dev Run it with its handler: `npx hardhat test solidity test/invariant/PaymentChannels.t.sol
/// test/invariant/PaymentChannelsHandler.sol` (the fuzzer finds the handler's functions through its artifact).
contract PaymentChannelsInvariantTest is Test {
    PaymentChannelsHandler internal handler;
    PaymentChannels internal channels;
    SettlementToken internal token;
    Consortium internal consortium;

    function setUp() public {
        handler = new PaymentChannelsHandler();
        channels = handler.channels();
        token = handler.token();
        consortium = handler.consortium();

        bytes4[] memory selectors = new bytes4[](21);
        selectors[0] = PaymentChannelsHandler.open.selector;
        selectors[1] = PaymentChannelsHandler.reopen.selector;
        selectors[2] = PaymentChannelsHandler.topUp.selector;
        selectors[3] = PaymentChannelsHandler.signVoucher.selector;
        selectors[4] = PaymentChannelsHandler.claim.selector;
        selectors[5] = PaymentChannelsHandler.claimMany.selector;
        selectors[6] = PaymentChannelsHandler.claimWithinChallenge.selector;
        selectors[7] = PaymentChannelsHandler.tryForeignVoucher.selector;
        selectors[8] = PaymentChannelsHandler.tryForeignClose.selector;
        selectors[9] = PaymentChannelsHandler.closeCooperatively.selector;
        selectors[10] = PaymentChannelsHandler.requestClose.selector;
        selectors[11] = PaymentChannelsHandler.settle.selector;
        selectors[12] = PaymentChannelsHandler.warp.selector;
        selectors[13] = PaymentChannelsHandler.warpToDeadline.selector;
        selectors[14] = PaymentChannelsHandler.roll.selector;
        selectors[15] = PaymentChannelsHandler.setMinChallengePeriod.selector;
        selectors[16] = PaymentChannelsHandler.retireAccount.selector;
        selectors[17] = PaymentChannelsHandler.release.selector;
        selectors[18] = PaymentChannelsHandler.requestOrCancelExit.selector;
        selectors[19] = PaymentChannelsHandler.pauseOrUnpause.selector;
        selectors[20] = PaymentChannelsHandler.publishOrAcceptAgreement.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
        excludeContract(address(consortium));
        excludeContract(address(token));
        excludeContract(address(handler.gateway()));
        excludeContract(address(channels));
        excludeContract(address(handler.otherChannels()));
    }

    /// @notice Payees are never paid more than was deposited: in all, and per channel (claimed <= deposit, in
    /// the model and in the contract's record).
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_PaidToPayeesNeverExceedsDeposits() public view {
        assertLe(handler.ghost_paidToPayees(), handler.ghost_deposited(), "paid to payees within deposits");
        uint256 paid;
        for (uint256 i = 1; i <= handler.ghost_channelCount(); ++i) {
            PaymentChannelsHandler.GhostChannel memory g = handler.ghostChannel(i);
            assertLe(g.paid, g.deposit, "paid within the deposit");
            assertLe(g.claimed, g.deposit, "claimed within the deposit");
            IPaymentChannels.Channel memory c = channels.channel(g.id);
            assertLe(c.claimed, c.deposit, "recorded claimed within the recorded deposit");
            paid += g.paid;
        }
        assertEq(paid, handler.ghost_paidToPayees(), "paid summed over channels");
        assertEq(handler.ghost_paymentMismatches(), 0, "payments other than the voucher's increment");
    }

    /// @notice Every closed channel (settled, closed cooperatively or released) split its deposit exactly: what the
    /// payee received over its life plus what the payer got back == the deposit.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_PayeeTotalPlusRefundEqualsDepositAtClose() public view {
        uint256 refunded;
        for (uint256 i = 1; i <= handler.ghost_channelCount(); ++i) {
            PaymentChannelsHandler.GhostChannel memory g = handler.ghostChannel(i);
            if (g.closed) assertEq(g.paid + g.refunded, g.deposit, "payee's total + refund == deposit");
            else assertEq(g.refunded, 0, "nothing refunded from an open channel");
            refunded += g.refunded;
        }
        assertEq(refunded, handler.ghost_refunded(), "refunds summed over channels");
        assertEq(handler.ghost_refundMismatches(), 0, "refunds other than the deposit less the payee's total");
    }

    /// @notice Tokens are conserved: the contract holds exactly the unspent deposits of its open channels (in the
    /// model and in its own records), and every token minted is held by an actor or the contract.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_BalanceEqualsUnspentDepositsOfOpenChannels() public view {
        uint256 modelled;
        uint256 recorded;
        for (uint256 i = 1; i <= handler.ghost_channelCount(); ++i) {
            PaymentChannelsHandler.GhostChannel memory g = handler.ghostChannel(i);
            if (g.closed) continue;
            modelled += g.deposit - g.claimed;
            IPaymentChannels.Channel memory c = channels.channel(g.id);
            recorded += c.deposit - c.claimed;
        }
        uint256 balance = token.balanceOf(address(channels));
        assertEq(balance, modelled, "balance == sum of deposit - claimed over open channels (model)");
        assertEq(balance, recorded, "balance == sum of deposit - claimed over open channels (records)");
        uint256 held = balance;
        for (uint256 i = 0; i < handler.accountCount(); ++i) {
            held += token.balanceOf(handler.accountAt(i));
        }
        assertEq(held, token.totalSupply(), "every token is held by an actor or the contract");
        assertEq(token.totalSupply(), handler.ghost_minted(), "supply == minted");
        assertEq(
            handler.ghost_deposited(),
            modelled + handler.ghost_paidToPayees() + handler.ghost_refunded(),
            "deposited == escrowed + paid + refunded"
        );
    }

    /// @notice Each channel's record is the model's: deposit, claimed, deadline and challenge period while open
    /// (the id and nonce as documented), all zero once closed; every call got the outcome the rules give it.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_ChannelRecordsFollowTheRules() public view {
        for (uint256 i = 1; i <= handler.ghost_channelCount(); ++i) {
            PaymentChannelsHandler.GhostChannel memory g = handler.ghostChannel(i);
            IPaymentChannels.Channel memory c = channels.channel(g.id);
            assertEq(channels.channelId(g.payer, g.payee, g.nonce), g.id, "channel id");
            if (g.closed) {
                assertEq(uint256(c.deposit) + c.claimed + c.deadline + c.challengePeriod, 0, "closed channel");
                continue;
            }
            assertEq(c.deposit, g.deposit, "deposit");
            assertEq(c.claimed, g.claimed, "claimed");
            assertEq(c.deadline, g.deadline, "deadline");
            assertEq(c.challengePeriod, g.challengePeriod, "challenge period");
        }
        assertEq(handler.ghost_unexpectedOutcomes(), 0, "calls whose outcome differed from the rules");
        assertEq(handler.ghost_idMismatches(), 0, "ids or nonces other than documented");
        assertEq(handler.ghost_digestMismatches(), 0, "digests other than EIP-712's");
        assertEq(channels.minChallengePeriod(), handler.ghost_minChallengePeriod(), "minimum challenge period");
    }

    /// @notice A channel's claimed amount only rises, over the whole run.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_ClaimedOnlyIncreases() public view {
        assertEq(handler.ghost_claimedDecreases(), 0, "claimed amounts that went down");
    }

    /// @notice A voucher for another channel, for an older id of the same pair, for another chain or deployment,
    /// stolen, altered or self-signed never pays, alone (refused) or in a batch (skipped); a close authorisation
    /// that is not the payee's for this channel, chain and deployment never closes it.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_ForeignVouchersNeverPay() public view {
        assertEq(handler.ghost_foreignVouchersPaid(), 0, "foreign vouchers that paid");
        assertEq(handler.ghost_foreignClosesAccepted(), 0, "foreign close authorisations accepted");
    }

    /// @notice After the deadline (expiry or end of the challenge period) and the pause grace, while the token is
    /// not paused (or nothing is left to refund), the payer can always take back the unspent rest: settling
    /// succeeds and refunds exactly deposit - claimed (neither party's account can have been removed meanwhile);
    /// before the deadline, settling fails.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_PayerCanAlwaysSettleAfterTheDeadline() public view {
        assertEq(handler.ghost_settlementsRefused(), 0, "settlements refused after the deadline");
        assertEq(handler.ghost_earlySettlements(), 0, "settlements before the deadline");
        assertEq(handler.ghost_refundMismatches(), 0, "refunds other than deposit - claimed");
    }

    /// @notice Inside the challenge period the payee can always claim its newest voucher within the deposit while
    /// the token is not paused, also while its member is leaving or behind on the agreement (its member cannot
    /// remove the payee's account while the channel is open).
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_PayeeCanAlwaysClaimWithinTheChallengePeriod() public view {
        assertEq(handler.ghost_challengeClaimsRefused(), 0, "claims refused within the challenge period");
    }

    /// @notice A pause never costs the payee its voucher: no channel settles before the minimum challenge period
    /// has passed since the token was last unpaused, however long ago its deadline was, so the payee can claim
    /// what the pause held up; the token records the pause and the time of the unpause as the model does.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_PauseNeverCostsThePayeeItsVoucher() public view {
        assertEq(handler.ghost_settlementsInPauseGrace(), 0, "settlements within the pause grace");
        assertEq(token.paused(), handler.paused(), "paused");
        assertEq(token.unpausedAt(), handler.unpausedAt(), "unpaused at");
    }

    /// @notice The obligations the contract reports for each member are the open channels of its accounts in the
    /// Consortium, as payer or payee, and the contract keeps its System standing. Every open channel counts for
    /// both its parties' members, since neither account can leave while it is open: a removed account is a party
    /// of no open channel.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_ObligationsCountOpenChannelsOfEachActor() public view {
        assertEq(uint8(token.standingOf(address(channels))), uint8(AccountStanding.System), "system account");
        uint256 counted;
        for (uint256 a = 0; a < handler.actorCount(); ++a) {
            address actor = handler.actorAt(a);
            uint64 memberId = handler.memberOf(actor);
            if (handler.retired(actor)) {
                assertEq(handler.ghost_openAsParty(actor), 0, "open channels of a removed account");
            }
            // The open channels of the member's accounts in the Consortium (the party's, unless retired, and its
            // spare, which is party of none).
            address[] memory accounts = consortium.accountsOf(memberId);
            uint256 open;
            for (uint256 i = 0; i < accounts.length; ++i) {
                open += handler.ghost_openAsParty(accounts[i]);
            }
            assertEq(open, handler.ghost_openAsParty(actor), "the member's channels are its party's");
            uint256 obligations = channels.openObligations(memberId);
            assertEq(obligations, open, vm.toString(actor));
            counted += obligations;
        }
        assertEq(counted, 2 * handler.ghost_openChannels(), "every open channel counts for payer and payee");
    }

    /// @notice The token holds each account once per open channel it pays into (this contract is the only one
    /// that escrows here): opening takes a hold, every close gives it back (cooperative, settled, released, in
    /// the opening block; also with nothing to refund), and no one else holds the channels' parties.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_HoldsCountOpenChannelsOfEachPayer() public view {
        uint256 held;
        for (uint256 a = 0; a < handler.accountCount(); ++a) {
            address account = handler.accountAt(a);
            uint256 paying = handler.ghost_openPaying(account);
            assertEq(token.holdsOf(account), paying, vm.toString(account));
            held += paying;
        }
        assertEq(token.holdsOf(handler.outsider()), 0, "outsider");
        assertEq(held, handler.ghost_openChannels(), "every open channel holds an account of the handler");
    }

    /// @notice An account with open channels is never removed: while it pays into one the token refuses with
    /// SettlementTokenAccountHeld(account, holds); while open channels only pay it the Consortium refuses with
    /// ConsortiumAccountInUse(account, channels, its open channels); once its channels are all closed the removal
    /// goes through. So every party of an open channel, every held account among them, is still in the Consortium
    /// with its standing, and every removed one is free of holds and channels.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_AccountsWithOpenChannelsAreNeverRemoved() public view {
        assertEq(handler.ghost_heldAccountsRemoved(), 0, "held accounts removed");
        assertEq(handler.ghost_accountsInUseRemoved(), 0, "accounts with open channels removed");
        assertEq(handler.ghost_removalMismatches(), 0, "removals refused otherwise than the rules give");
        assertEq(handler.ghost_sweepMismatches(), 0, "removals whose tokens did not all reach the member");
        // Only the parties pay into and are paid by channels, and only their accounts are retired.
        for (uint256 a = 0; a < handler.actorCount(); ++a) {
            address account = handler.actorAt(a);
            (, bool active) = consortium.memberOf(account);
            if (handler.ghost_openAsParty(account) != 0) {
                assertTrue(active, "account with open channels still in the Consortium");
                assertEq(uint8(token.standingOf(account)), uint8(handler.expectedStanding(account)), "its standing");
            }
            if (token.holdsOf(account) != 0) assertTrue(active, "held account still in the Consortium");
            if (handler.retired(account)) {
                assertFalse(active, "removed account");
                assertEq(token.holdsOf(account), 0, "removed account held");
                assertEq(token.balanceOf(account), 0, "removed account holds tokens");
                assertEq(handler.ghost_openAsParty(account), 0, "removed account with open channels");
                assertEq(uint8(token.standingOf(account)), uint8(AccountStanding.None), "removed account's standing");
            }
        }
    }

    /// @notice Only members that may start new business open channels: while its exit is pending (its accounts
    /// Leaving) or until it accepts the framework agreement in force, the token reports no roles for a member's
    /// accounts, it opens no channel and no new channel pays it (refused with PaymentChannelsMissingRole for the
    /// payee, checked first, and the token's SettlementTokenMissingRole for the payer), and cancelling its exit
    /// or accepting the agreement gives its roles back; its open channels claim and close as before.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 128
    function invariant_OnlyMembersInBusinessOpenChannels() public view {
        assertEq(handler.ghost_opensByLeavingMembers(), 0, "channels opened by or to a leaving member");
        assertEq(
            handler.ghost_opensWithoutCurrentAgreement(),
            0,
            "channels opened by or to a member behind on the agreement"
        );
        assertEq(handler.ghost_roleRefusalMismatches(), 0, "opens refused otherwise than for the missing role");
        (uint32 current, ) = consortium.currentAgreement();
        assertEq(token.currentAgreement(), current, "the token's agreement in force");
        assertEq(current, handler.currentAgreement(), "agreement in force vs model");
        for (uint256 a = 0; a < handler.accountCount(); ++a) {
            address account = handler.accountAt(a);
            assertEq(token.activeRolesOf(account), handler.expectedActiveRoles(account), vm.toString(account));
            assertEq(uint8(token.standingOf(account)), uint8(handler.expectedStanding(account)), "standing");
        }
    }
}
