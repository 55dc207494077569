// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";

import {IUsageMeter} from "../../contracts/interfaces/IUsageMeter.sol";
import {UsageMeter} from "../../contracts/metering/UsageMeter.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {UsageMeterHandler} from "./UsageMeterHandler.sol";

/// @notice Laws of the usage meter that hold after any sequence of the handler's actions: escrow and tokens
/// are conserved, no report counts twice, each stream records ordered periods within the order's life (so no
/// more machine seconds than the time since the order opened), charges stay within the escrow, what was
/// settled was credited exactly once and never out of a frozen charge, no member leaves with a payout it could
/// no longer withdraw, and the reports hash chain and invoices agree with what was recorded.
/// @dev Run it with its handler: `npx hardhat test solidity test/invariant/UsageMeter.t.sol
/// test/invariant/UsageMeterHandler.sol` (the fuzzer finds the handler's functions through its artifact).
/// The meter needs the MeterLedger library linked: the runner deploys and links it, as Foundry does.
contract UsageMeterInvariantTest is Test {
    UsageMeterHandler internal handler;
    UsageMeter internal meter;
    SettlementToken internal token;

    function setUp() public {
        handler = new UsageMeterHandler();
        meter = handler.meter();
        token = handler.token();

        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = UsageMeterHandler.openOrder.selector;
        selectors[1] = UsageMeterHandler.submitReport.selector;
        selectors[2] = UsageMeterHandler.submitBatch.selector;
        selectors[3] = UsageMeterHandler.resubmitRecorded.selector;
        selectors[4] = UsageMeterHandler.warp.selector;
        selectors[5] = UsageMeterHandler.closeOrder.selector;
        selectors[6] = UsageMeterHandler.settle.selector;
        selectors[7] = UsageMeterHandler.dispute.selector;
        selectors[8] = UsageMeterHandler.resolveDispute.selector;
        selectors[9] = UsageMeterHandler.withdraw.selector;
        selectors[10] = UsageMeterHandler.settleAndWithdraw.selector;
        selectors[11] = UsageMeterHandler.withdrawPlatformFees.selector;
        selectors[12] = UsageMeterHandler.setPlatformFee.selector;
        selectors[13] = UsageMeterHandler.licensorLeaves.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
        excludeContract(address(handler.consortium()));
        excludeContract(address(token));
        excludeContract(address(handler.gateway()));
        excludeContract(address(handler.licenses()));
        excludeContract(address(handler.machines()));
        excludeContract(address(meter));
    }

    /// @notice Per order and summed over all orders: escrowed == charged + refunded + remaining, where charged
    /// is what the reports were charged plus the minimum charge top-up, less dispute refunds.
    /// hardhat-config: invariant.runs = 32
    function invariant_EscrowEqualsChargedPlusRefundedPlusRemaining() public view {
        uint256 escrowed;
        uint256 accounted;
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            IUsageMeter.Order memory order = meter.getOrder(id);
            uint256 remaining = meter.meterOf(id).available;
            assertEq(order.escrow, g.escrow, "escrow");
            assertEq(order.refunded, g.disputeRefunds + g.returned, "refunded");
            if (g.closed) assertEq(remaining, 0, "nothing remains of a closed order");
            uint256 charged = g.gross - g.disputeRefunds;
            assertEq(order.escrow, charged + order.refunded + remaining, "escrow == charged + refunded + remaining");
            escrowed += order.escrow;
            accounted += charged + order.refunded + remaining;
        }
        assertEq(escrowed, accounted, "summed over all orders");
    }

    /// @notice The meter holds exactly, in tokens, the escrow not yet refunded or settled plus everything
    /// credited and not withdrawn (members' payouts and platform fees).
    /// hardhat-config: invariant.runs = 32
    function invariant_MeterBalanceIsUnsettledEscrowPlusUnwithdrawnCredits() public view {
        uint256 owed;
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            owed += g.escrow - g.disputeRefunds - g.returned - g.settled;
        }
        for (uint64 member = 1; member <= handler.memberCount(); ++member) {
            owed += meter.payableTo(member);
        }
        owed += meter.platformFees();
        assertEq(token.balanceOf(address(meter)), owed, "meter balance");
    }

    /// @notice No report counts twice: each stream's sequence is the number of distinct reports recorded on it,
    /// each recorded once and in order, and sequences only rise.
    /// hardhat-config: invariant.runs = 32
    function invariant_SequencesCountDistinctRecordedReportsAndOnlyRise() public view {
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            IUsageMeter.Meter memory m = meter.meterOf(id);
            assertEq(m.deviceSequence, g.recorded[0], "device sequence == distinct device reports recorded");
            assertEq(m.inspectorSequence, g.recorded[1], "inspector sequence == distinct inspector reports recorded");
        }
        assertEq(handler.ghost_doubleCounted(), 0, "reports recorded twice");
        assertEq(handler.ghost_outOfOrder(), 0, "reports recorded out of order");
        assertEq(handler.ghost_sequenceDecreases(), 0, "sequences that went down");
    }

    /// @notice Every report gets the outcome the meter's rules give it (recorded, duplicate, rejected), under
    /// the EIP-712 digest its signer signed; a malformed batch reverts as a whole.
    /// hardhat-config: invariant.runs = 32
    function invariant_ReportsGetTheOutcomeTheRulesGive() public view {
        assertEq(handler.ghost_unexpectedOutcomes(), 0, "unexpected outcomes");
        assertEq(handler.ghost_digestMismatches(), 0, "recorded digests that were not the signed ones");
    }

    /// @notice Charges never exceed the escrow (nor, for reports that arrive in time order, a spending cap within
    /// its period).
    /// hardhat-config: invariant.runs = 32
    function invariant_ChargesNeverExceedEscrow() public view {
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            assertLe(g.gross, g.escrow, "gross charges within the escrow");
            assertLe(g.royaltiesCharged, g.gross, "royalties within the charges");
        }
        assertEq(handler.ghost_chargesBeyondEscrow(), 0, "charges beyond the escrow");
        assertEq(handler.ghost_capExceeded(), 0, "charges beyond the spending cap");
    }

    /// @notice Royalties + platform fees + provider nets credited == the settled charges, member by member:
    /// each member's payout plus what it withdrew is what it was credited, and the platform's likewise.
    /// hardhat-config: invariant.runs = 32
    function invariant_CreditsToLicensorsPlatformAndProvidersEqualSettledCharges() public view {
        uint256 settled;
        uint256 parts;
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            settled += g.settled;
            parts += g.providerCredited + g.royaltiesSettled;
        }
        assertEq(parts, settled, "provider net + fee + royalties == settled");
        uint256 credited;
        for (uint64 member = 1; member <= handler.memberCount(); ++member) {
            uint256 received = meter.payableTo(member) + handler.ghost_withdrawn(member);
            assertEq(received, handler.ghost_creditedTo(member), "payout + withdrawn == credited");
            credited += received;
        }
        uint256 platform = meter.platformFees() + handler.ghost_feesWithdrawn();
        assertEq(platform, handler.ghost_platformCredited(), "platform fees + withdrawn == fees credited");
        assertEq(credited + platform, settled, "everything credited == settled charges");
        assertEq(handler.ghost_feeMismatches(), 0, "fees other than the order's rate");
        assertEq(handler.ghost_misdirectedPayments(), 0, "payments that did not reach the caller or payer");
    }

    /// @notice A frozen charge is never paid out before its dispute is resolved: what the provider (and the
    /// platform) were credited plus what is frozen never exceeds the provider's part of the charges, and no
    /// more is settled than was charged.
    /// hardhat-config: invariant.runs = 32
    function invariant_FrozenChargesAreNeverPaidOut() public view {
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            uint256 charged = g.gross - g.disputeRefunds;
            assertLe(g.settled, charged, "settled within the charges");
            assertLe(g.royaltiesSettled, g.royaltiesCharged, "royalties settled within royalties charged");
            assertLe(
                g.providerCredited + g.frozen,
                charged - g.royaltiesCharged,
                "provider credited + frozen within the provider's charges"
            );
        }
    }

    /// @notice Each order's reports hash is the fold of the digests it recorded, in the order recorded.
    /// hardhat-config: invariant.runs = 32
    function invariant_ReportsHashIsTheFoldOfRecordedDigests() public view {
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            assertEq(meter.getOrder(id).reportsHash, handler.ghostOrder(id).reportsHash, "reports hash");
        }
    }

    /// @notice Invoices are numbered 1, 2, ..., cover the reports since the previous one, carry the reports hash
    /// at their last covered report, and their charges sum to the order's gross charges at the last invoice.
    /// hardhat-config: invariant.runs = 32
    function invariant_InvoicesChainAtTheirLastReportAndSumToGrossCharges() public view {
        assertEq(handler.ghost_invoiceMisnumbered(), 0, "invoices misnumbered");
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            uint32 count = meter.getOrder(id).invoiceCount;
            assertEq(count, handler.ghostOrder(id).invoices, "invoice count");
            uint256 charged;
            uint32 lastDevice;
            uint32 lastInspector;
            for (uint32 n = 1; n <= count; ++n) {
                IUsageMeter.Invoice memory invoice = meter.invoiceOf(id, n);
                assertEq(invoice.orderId, id, "invoice's order");
                assertEq(invoice.number, n, "invoice's number");
                assertEq(invoice.firstDeviceSequence, lastDevice + 1, "first device report after the previous");
                assertEq(
                    invoice.firstInspectorSequence,
                    lastInspector + 1,
                    "first inspector report after the previous"
                );
                lastDevice = invoice.lastDeviceSequence;
                lastInspector = invoice.lastInspectorSequence;
                assertEq(
                    invoice.reportsHash,
                    handler.ghost_chainAt(id, uint256(lastDevice) + lastInspector),
                    "reports hash at the last covered report"
                );
                charged += invoice.charged;
            }
            assertEq(charged, handler.ghost_grossAtInvoice(id, count), "invoices sum to the gross charges");
        }
    }

    /// @notice Closing returns exactly the escrow left after the minimum charge, and only the provider (or the
    /// consumer once the order expired) may close.
    /// hardhat-config: invariant.runs = 32
    function invariant_ClosingReturnsTheEscrowLeftAfterTheMinimumCharge() public view {
        assertEq(handler.ghost_closeMismatches(), 0, "closings that returned the wrong amount or were not allowed");
    }

    /// @notice An order is settled exactly when it is closed, every charge was paid out or refunded and no
    /// dispute is open; until then it counts as an obligation of its consumer and its provider, and the token
    /// holds its payer's account (the meter being the only contract that escrows here), so that the account
    /// cannot leave while the order may still refund it.
    /// hardhat-config: invariant.runs = 32
    function invariant_OrdersSettleExactlyWhenClosedPaidAndUndisputed() public view {
        uint256[] memory open = new uint256[](uint256(handler.memberCount()) + 1);
        uint256[] memory held = new uint256[](uint256(handler.memberCount()) + 1);
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            IUsageMeter.OrderStatus status = meter.getOrder(id).status;
            bool done = g.closed && g.openDisputes == 0 && g.settled == g.gross - g.disputeRefunds;
            IUsageMeter.OrderStatus expected =
                done
                    ? IUsageMeter.OrderStatus.Settled
                    : g.closed
                        ? IUsageMeter.OrderStatus.Closed
                        : IUsageMeter.OrderStatus.Open;
            assertEq(uint8(status), uint8(expected), "status");
            if (!done) {
                ++open[g.consumer];
                ++open[g.provider];
                // Every licence term of the order is an obligation of the licensor until the order is settled.
                open[handler.licensorId()] += g.licenseCount;
                // Each member has one account, which pays for its orders.
                assertEq(g.payer, handler.accountOf(g.consumer), "payer");
                ++held[g.consumer];
            }
        }
        for (uint64 member = 1; member <= handler.memberCount(); ++member) {
            // An unwithdrawn payout is one more.
            uint256 payout = meter.payableTo(member) != 0 ? 1 : 0;
            assertEq(meter.openObligations(member), open[member] + payout, "open obligations");
            assertEq(token.holdsOf(handler.accountOf(member)), held[member], "holds on the payer's account");
        }
    }

    /// @notice For every order and stream, the recorded periods are ordered and never overlap, none starts before
    /// the order opened or ends after now, and the recorded machine seconds never exceed the time since the order
    /// opened: the meter's marks and totals are the model's.
    /// hardhat-config: invariant.runs = 32
    function invariant_StreamsRecordOrderedPeriodsWithinTheOrdersLife() public view {
        assertEq(handler.ghost_overlappingPeriods(), 0, "recorded periods that overlap or start before the opening");
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            UsageMeterHandler.GhostOrder memory g = handler.ghostOrder(id);
            IUsageMeter.Order memory order = meter.getOrder(id);
            IUsageMeter.Meter memory m = meter.meterOf(id);
            assertEq(order.openedAt, g.openedAt, "opened at");
            assertEq(m.devicePeriodEnd, g.mark[0], "device mark");
            assertEq(m.inspectorPeriodEnd, g.mark[1], "inspector mark");
            assertEq(m.machineSeconds, g.machineSeconds, "machine seconds");
            assertLe(order.openedAt, m.devicePeriodEnd, "device mark after the opening");
            assertLe(order.openedAt, m.inspectorPeriodEnd, "inspector mark after the opening");
            assertLe(m.devicePeriodEnd, block.timestamp, "device mark not in the future");
            assertLe(m.inspectorPeriodEnd, block.timestamp, "inspector mark not in the future");
            assertLe(
                m.machineSeconds,
                m.devicePeriodEnd - order.openedAt,
                "machine seconds within the time since opening"
            );
        }
    }

    /// @notice No member is ever left with a payout it cannot withdraw: a member owed a payout counts an open
    /// obligation, so it cannot leave before it withdrew; a licensor that left was owed nothing, and every order
    /// that named its licences was settled before.
    /// hardhat-config: invariant.runs = 32
    function invariant_NoMemberIsLeftWithAPayoutItCannotWithdraw() public view {
        for (uint64 member = 1; member <= handler.memberCount(); ++member) {
            if (meter.payableTo(member) != 0) assertGe(meter.openObligations(member), 1, "a payout is an obligation");
        }
        if (!handler.ghost_licensorExited()) return;
        assertEq(meter.payableTo(handler.licensorId()), 0, "the licensor left with nothing owed");
        for (uint64 id = 1; id <= handler.ghost_orderCount(); ++id) {
            if (handler.ghostOrder(id).licenseCount == 0) continue;
            assertEq(
                uint8(meter.getOrder(id).status),
                uint8(IUsageMeter.OrderStatus.Settled),
                "licensed orders settled"
            );
        }
    }
}
