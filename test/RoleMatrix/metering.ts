/** The role matrix's rows for UsageMeter, with the booked order they act on (see fixture.ts). */
import { getAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { KeyKind } from "../../src/core/listing.js";
import { encodeReportBatch } from "../../src/codec/batch.js";
import { signReport, type SignedReport } from "../../src/core/report.js";
import { Role } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import type { MarketFixture } from "../helpers/fixtures.js";
import type { SignedPermit } from "../helpers/permit.js";
import { registerSampleMachine } from "../helpers/registry.js";
import {
  describeRows,
  ethers,
  memberCheck,
  memberId,
  networkHelpers,
  permitFor,
  roleCheck,
  type Context,
  type Row,
} from "./fixture.js";

/** A machine of the provider with a device key, and an order of 20 EUR by the consumer (dispute window 0). */
async function bookedOrder(f: MarketFixture, options: { feeBps?: number; report?: boolean } = {}): Promise<Context> {
  const device = privateKeyToAccount(generatePrivateKey());
  if (options.feeBps !== undefined) await f.meter.connect(f.operator).setPlatformFee(options.feeBps);
  const machineId = await registerSampleMachine(f, { keys: [device.address] });
  await f.token.connect(f.consumer).approve(await f.meter.getAddress(), parseEuro("20"));
  const now = await networkHelpers.time.latest();
  await f.meter.connect(f.consumer).openOrder(orderTerms(machineId, now + 86_400));
  const orderId = await f.meter.getOrder(1n).then(() => 1n);
  const { chainId } = await ethers.provider.getNetwork();
  await networkHelpers.time.increase(60);
  const end = await networkHelpers.time.latest();
  const signed = await signReport(
    device,
    { chainId: Number(chainId), meter: getAddress(await f.meter.getAddress()) },
    {
      orderId,
      sequence: 1,
      periodStart: end - 30,
      periodEnd: end,
      machineSeconds: 30n,
      units: 1n,
      inspections: 0,
      licensedProducts: [],
      readingsRoot: referenceHash("readings") as `0x${string}`,
    },
  );
  if (options.report === true) await f.meter.submitReport(reportArg(signed), signed.signature);
  return { machineId, orderId, signed };
}

function orderTerms(machineId: bigint, expiresAt: number) {
  return {
    machineId,
    tariffVersion: 1,
    budget: parseEuro("20"),
    expiresAt,
    disputeWindow: 0,
    capPerPeriod: 0n,
    capPeriod: 0,
    capability: referenceHash("laser-cutting"),
    licenseVersions: [],
  };
}

const reportArg = (signed: SignedReport) => ({
  ...signed.report,
  licensedProducts: [...signed.report.licensedProducts],
});

export const METER_ROWS: Row[] = [
  // ------------------------------------------------------------------ UsageMeter
  {
    fn: "UsageMeter.openOrder",
    setup: async (f, c) => {
      const machineId = await registerSampleMachine(f);
      await f.token.connect(f[c]).approve(await f.meter.getAddress(), parseEuro("10"));
      return { machineId };
    },
    call: async (f, s, ctx) =>
      f.meter.connect(s).openOrder({
        ...orderTerms(ctx.machineId as bigint, (await networkHelpers.time.latest()) + 3600),
        budget: parseEuro("10"),
      }),
    expect: (f, c) => roleCheck(f, c, Role.Consumer, { ok: true, event: [f.meter, "OrderOpened"] }),
  },
  {
    fn: "UsageMeter.openOrderWithPermit",
    setup: async (f, c) => ({
      machineId: await registerSampleMachine(f),
      permit: await permitFor(f, f[c], await f.meter.getAddress(), parseEuro("10")),
    }),
    call: async (f, s, ctx) => {
      const permit = ctx.permit as SignedPermit;
      return f.meter.connect(s).openOrderWithPermit(
        {
          ...orderTerms(ctx.machineId as bigint, (await networkHelpers.time.latest()) + 3600),
          budget: parseEuro("10"),
        },
        permit.message.deadline,
        permit.v,
        permit.r,
        permit.s,
      );
    },
    expect: (f, c) => roleCheck(f, c, Role.Consumer, { ok: true, event: [f.meter, "OrderOpened"] }),
  },
  {
    fn: "UsageMeter.submitReport",
    setup: (f) => bookedOrder(f),
    call: (f, s, ctx) => {
      const signed = ctx.signed as SignedReport;
      return f.meter.connect(s).submitReport(reportArg(signed), signed.signature);
    },
    // Anyone may relay a signed report.
    expect: (f) => ({ ok: true, event: [f.meter, "ReportRecorded"] }),
  },
  {
    fn: "UsageMeter.submitReports",
    setup: (f) => bookedOrder(f),
    call: (f, s, ctx) => {
      return f.meter.connect(s).submitReports(encodeReportBatch([ctx.signed as SignedReport]));
    },
    expect: (f) => ({ ok: true, event: [f.meter, "ReportRecorded"] }),
  },
  {
    fn: "UsageMeter.closeOrder",
    setup: (f) => bookedOrder(f),
    call: (f, s, ctx) => f.meter.connect(s).closeOrder(ctx.orderId as bigint),
    // The provider may close at any time; the consumer only after expiry; nobody else.
    expect: async (f, c, ctx) => {
      if (c === "provider") return { ok: true, event: [f.meter, "OrderClosed"] };
      if (c === "consumer") {
        const order = await f.meter.getOrder(ctx.orderId as bigint);
        return { contract: f.meter, error: "UsageMeterNotExpired", args: [ctx.orderId, order.expiresAt] };
      }
      return memberCheck(f, c, {
        contract: f.meter,
        error: "UsageMeterNotConsumer",
        args: [ctx.orderId, memberId(f, c)],
      });
    },
  },
  {
    fn: "UsageMeter.settle",
    setup: (f) => bookedOrder(f, { report: true }),
    call: (f, s, ctx) => f.meter.connect(s).settle([ctx.orderId as bigint]),
    // Anyone may settle; with a dispute window of 0 the invoice is issued and settled at once.
    expect: (f) => ({ ok: true, event: [f.meter, "InvoiceSettled"] }),
  },
  {
    fn: "UsageMeter.withdraw",
    setup: async (f) => {
      const ctx = await bookedOrder(f, { report: true });
      await f.meter.settle([ctx.orderId as bigint]);
      return ctx;
    },
    call: (f, s) => f.meter.connect(s).withdraw(),
    expect: (f, c) =>
      c === "provider"
        ? { ok: true, event: [f.meter, "PayoutWithdrawn"] }
        : memberCheck(f, c, { contract: f.meter, error: "UsageMeterNothingToWithdraw", args: [memberId(f, c)] }),
  },
  {
    fn: "UsageMeter.settleAndWithdraw",
    setup: (f) => bookedOrder(f, { report: true }),
    call: (f, s, ctx) => f.meter.connect(s).settleAndWithdraw([ctx.orderId as bigint]),
    // Settling is open to anyone; the withdrawal needs a member's account (and pays only what it was credited).
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.meter, "InvoiceSettled"] }),
  },
  {
    fn: "UsageMeter.withdrawPlatformFees",
    setup: async (f) => {
      const ctx = await bookedOrder(f, { feeBps: 1000, report: true });
      await f.meter.settle([ctx.orderId as bigint]);
      return ctx;
    },
    call: (f, s) => f.meter.connect(s).withdrawPlatformFees(),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.meter, "PlatformFeesWithdrawn"] }),
  },
  {
    fn: "UsageMeter.dispute",
    setup: (f) => bookedOrder(f, { report: true }),
    call: (f, s, ctx) =>
      f.meter.connect(s).dispute(ctx.orderId as bigint, KeyKind.Device, 1, 1n, referenceHash("wrong count")),
    expect: (f, c) => roleCheck(f, c, Role.Consumer, { ok: true, event: [f.meter, "ReportDisputed"] }),
  },
  {
    fn: "UsageMeter.resolveDispute",
    setup: async (f) => {
      const ctx = await bookedOrder(f, { report: true });
      await f.meter.connect(f.consumer).dispute(ctx.orderId as bigint, KeyKind.Device, 1, 1n, referenceHash("x"));
      return ctx;
    },
    call: (f, s) => f.meter.connect(s).resolveDispute(1n, 1n, referenceHash("refund")),
    expect: (f, c) => roleCheck(f, c, Role.Auditor, { ok: true, event: [f.meter, "DisputeResolved"] }),
  },
  {
    fn: "UsageMeter.setReportGrace",
    call: (f, s) => f.meter.connect(s).setReportGrace(60),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.meter, "ReportGraceChanged"] }),
  },
  {
    fn: "UsageMeter.setPlatformFee",
    call: (f, s) => f.meter.connect(s).setPlatformFee(250),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.meter, "PlatformFeeChanged"] }),
  },
];

describeRows(METER_ROWS);
