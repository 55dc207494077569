import { expect } from "chai";

import { renderInsight, usageInsight, type UsageRecord } from "../../src/core/insight.js";
import { capabilityTag } from "../../src/core/vocabulary.js";
import { parseEuro } from "../../src/core/money.js";

const DAY = 86_400;
const T0 = 1_795_000_000 - (1_795_000_000 % DAY); // midnight UTC
const LASER = capabilityTag("laser-cutting");
const ENGRAVE = capabilityTag("laser-engraving");

const record = (overrides: Partial<UsageRecord>): UsageRecord => ({
  machineId: 1n,
  orderId: 1n,
  periodStart: T0 + 3600,
  periodEnd: T0 + 7200,
  machineSeconds: 3600n,
  units: 10n,
  inspections: 0,
  charged: parseEuro("48"),
  ...overrides,
});

describe("usage insight for machine owners", function () {
  const records: UsageRecord[] = [
    record({ orderId: 1n, capability: LASER }),
    record({ orderId: 1n, capability: LASER, periodStart: T0 + 7200, periodEnd: T0 + 9000, machineSeconds: 1800n }),
    record({
      orderId: 2n,
      capability: ENGRAVE,
      periodStart: T0 + DAY,
      periodEnd: T0 + DAY + 600,
      machineSeconds: 600n,
      inspections: 2,
    }),
    record({ machineId: 2n, orderId: 3n, machineSeconds: 7200n, units: 0n, charged: parseEuro("110") }),
  ];

  it("counts orders, reports, days, seconds, units, inspections and earnings per machine, busiest first", function () {
    const [busiest, other] = usageInsight(records);
    expect(busiest!.machineId).to.equal(2n);
    expect(other).to.deep.include({
      machineId: 1n,
      orders: 2,
      reports: 3,
      daysUsed: 2,
      machineSeconds: 6000n,
      units: 30n,
      inspections: 2,
      charged: parseEuro("144"),
      firstUse: T0 + 3600,
      lastUse: T0 + DAY + 600,
    });
    expect(other!.utilisation).to.equal(undefined);
  });

  it("breaks a machine's use down by the capability each order booked", function () {
    const machine = usageInsight(records).find((insight) => insight.machineId === 1n)!;
    expect(machine.byCapability).to.deep.equal([
      { capability: LASER, orders: 1, machineSeconds: 5400n, units: 20n },
      { capability: ENGRAVE, orders: 1, machineSeconds: 600n, units: 10n },
    ]);
    expect(usageInsight(records).find((insight) => insight.machineId === 2n)!.byCapability[0]!.capability).to.equal(
      "unspecified",
    );
  });

  it("counts only records that end inside a window, and reports utilisation over it", function () {
    const [only] = usageInsight(records.slice(0, 3), { from: T0, to: T0 + DAY });
    expect(only!.reports).to.equal(2);
    expect(only!.machineSeconds).to.equal(5400n);
    expect(Math.abs(only!.utilisation! - 5400 / DAY)).to.be.lessThan(1e-12);
    expect(usageInsight(records, { from: T0 + 2 * DAY, to: T0 + 3 * DAY })).to.deep.equal([]);
  });

  it("refuses a window that ends before it starts and a record that does", function () {
    expect(() => usageInsight(records, { from: T0, to: T0 })).to.throw("must end after it starts");
    expect(() => usageInsight([record({ periodStart: T0 + 10, periodEnd: T0 })])).to.throw("ends");
  });

  it("renders one row per machine and one per capability", function () {
    const table = renderInsight(usageInsight(records, { from: T0, to: T0 + 2 * DAY }), (id) => `machine ${id}`);
    expect(table).to.match(/machine 1\s+2\s+3\s+2\s+1\.67\s+30\s+2\s+3\.5%\s+144\.00/);
    expect(table).to.match(/ {2}laser-cutting\s+1\s+1\.50\s+20/);
    expect(table).to.match(/ {2}unspecified/);
  });
});
