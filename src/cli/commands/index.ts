/** Every command of the command line, by group, in the order the help lists them. */
import type { AnyCommand, Group } from "../command.js";
import memberAdmit from "./member/admit.js";
import memberAcceptAgreement from "./member/accept-agreement.js";
import memberSuspend from "./member/suspend.js";
import memberResume from "./member/resume.js";
import memberExit from "./member/exit.js";
import memberCancelExit from "./member/cancel-exit.js";
import memberRemove from "./member/remove.js";
import memberGrantRole from "./member/grant-role.js";
import memberRevokeRole from "./member/revoke-role.js";
import memberBalances from "./member/balances.js";
import accountAdd from "./account/add.js";
import accountRemove from "./account/remove.js";
import tokenTransfer from "./token/transfer.js";
import machineRegister from "./machine/register.js";
import machineFind from "./machine/find.js";
import machineTariff from "./machine/tariff.js";
import machinePause from "./machine/pause.js";
import machineResume from "./machine/resume.js";
import machineRetire from "./machine/retire.js";
import machineInsight from "./machine/insight.js";
import keyList from "./key/list.js";
import keyAdd from "./key/add.js";
import keyRevoke from "./key/revoke.js";
import keyRotate from "./key/rotate.js";
import licenceRegister from "./licence/register.js";
import licenceRoyalty from "./licence/royalty.js";
import orderOpen from "./order/open.js";
import orderClose from "./order/close.js";
import orderDispute from "./order/dispute.js";
import orderResolve from "./order/resolve.js";
import orderList from "./order/list.js";
import channelOpen from "./channel/open.js";
import channelClose from "./channel/close.js";
import channelSettle from "./channel/settle.js";
import invoiceRun from "./invoice/run.js";
import invoiceShow from "./invoice/show.js";
import invoiceList from "./invoice/list.js";
import payoutRun from "./payout/run.js";
import treasuryConfigureMinter from "./treasury/configure-minter.js";
import treasuryAttestReserve from "./treasury/attest-reserve.js";
import treasuryMint from "./treasury/mint.js";
import treasuryReconcile from "./treasury/reconcile.js";
import redemptionRequest from "./redemption/request.js";
import redemptionPaid from "./redemption/paid.js";
import redemptionReject from "./redemption/reject.js";
import redemptionList from "./redemption/list.js";
import hash from "./hash.js";

export const GROUPS: readonly Group[] = [
  {
    name: "member",
    summary: "admit, accept the agreement, suspend, resume, leave, remove; roles; balances",
    commands: [
      memberAdmit,
      memberAcceptAgreement,
      memberSuspend,
      memberResume,
      memberExit,
      memberCancelExit,
      memberRemove,
      memberGrantRole,
      memberRevokeRole,
      memberBalances,
    ],
  },
  { name: "account", summary: "a member's accounts: add and remove", commands: [accountAdd, accountRemove] },
  {
    name: "token",
    summary: "the settlement token: transfers between members and between a member's accounts",
    commands: [tokenTransfer],
  },
  {
    name: "machine",
    summary: "listings: register, find, tariffs, pause, resume, retire, the owner's usage insight",
    commands: [machineRegister, machineFind, machineTariff, machinePause, machineResume, machineRetire, machineInsight],
  },
  {
    name: "key",
    summary: "a listing's signer keys: list, add, revoke, rotate",
    commands: [keyList, keyAdd, keyRevoke, keyRotate],
  },
  { name: "licence", summary: "licences and their royalties", commands: [licenceRegister, licenceRoyalty] },
  {
    name: "order",
    summary: "escrowed orders: open, close, dispute and resolve, list",
    commands: [orderOpen, orderClose, orderDispute, orderResolve, orderList],
  },
  {
    name: "channel",
    summary: "payment channels: open, and the payer's close and settle",
    commands: [channelOpen, channelClose, channelSettle],
  },
  {
    name: "invoice",
    summary: "the invoice run, an invoice as a document, a member's invoices",
    commands: [invoiceRun, invoiceShow, invoiceList],
  },
  { name: "payout", summary: "the payee's payout run", commands: [payoutRun] },
  {
    name: "treasury",
    summary: "issuing the token: minters, the reserve, mints, the reconciliation with the bank",
    commands: [treasuryConfigureMinter, treasuryAttestReserve, treasuryMint, treasuryReconcile],
  },
  {
    name: "redemption",
    summary: "redeeming tokens for bank payouts: request, paid, reject, list",
    commands: [redemptionRequest, redemptionPaid, redemptionReject, redemptionList],
  },
];

/** Commands outside the groups: utilities that need no deployment. */
export const TOP_LEVEL: readonly AnyCommand[] = [hash];
