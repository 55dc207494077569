/** The usage records an owner's insight aggregates, read from the meter (src/contracts/usage.ts). */
import { expect } from "chai";
import { network } from "hardhat";

import { usageRecords } from "../../src/contracts/usage.js";
import { usageInsight } from "../../src/core/insight.js";
import { referenceHash } from "../../src/core/references.js";
import { invoiceFixtures } from "../helpers/invoices.js";

const connection = await network.create();
const { loadSettled } = invoiceFixtures(connection);

describe("usage records for the owner's insight (src/contracts/usage.ts)", function () {
  it("reads every recorded report with its machine, booked capability, counts and charge", async function () {
    const { f, orderId } = await loadSettled();
    const records = await usageRecords(f.chain.publicClient, f.meterAddress, { machineId: 1n });
    const logs = await f.meter.queryFilter(f.meter.filters.ReportRecorded());
    // Order 1: three device reports and one inspection; order 2: one device report.
    expect(records.map((r) => r.orderId)).to.deep.equal([orderId, orderId + 1n, orderId, orderId, orderId]);
    expect(records.map((r) => r.charged)).to.deep.equal(logs.map((log) => log.args.charge));
    expect(records.map((r) => [r.machineSeconds, r.units, r.inspections])).to.deep.equal([
      [480n, 60n, 0],
      [100n, 5n, 0],
      [590n, 70n, 0],
      [333n, 7n, 0],
      [0n, 0n, 2],
    ]);
    for (const record of records) {
      expect([record.machineId, record.capability]).to.deep.equal([1n, referenceHash("laser-cutting")]);
      expect(record.periodEnd - record.periodStart).to.equal(600);
    }
    const [laser] = usageInsight(records);
    expect([laser!.orders, laser!.reports, laser!.machineSeconds, laser!.units, laser!.inspections]).to.deep.equal([
      2,
      5,
      1503n,
      142n,
      2,
    ]);
    expect(await usageRecords(f.chain.publicClient, f.meterAddress, { machineId: 2n })).to.deep.equal([]);
  });
});
