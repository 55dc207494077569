import { expect } from "chai";

import { usageInsight } from "../../src/core/insight.js";
import { parseEuro } from "../../src/core/money.js";
import { DAY, ENGRAVE, LASER, record, records, T0 } from "../helpers/insight.js";

describe("usage insight for machine owners", function () {
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
});
