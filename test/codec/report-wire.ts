/**
 * A report's JSON wire form (src/codec/report-wire.ts): the decoder derived from the field table (the
 * gateway's hot path) and the zod schema derived from the same table accept the same inputs with the same
 * result and refuse the same ones naming the same field.
 */
import { expect } from "chai";
import { keccak256, toHex } from "viem";
import { generatePrivateKey } from "viem/accounts";

import { reportFromJson, reportToJson, signedReportSchema, WireError } from "../../src/codec/report-wire.js";
import { parseWire } from "../../src/codec/wire-schema.js";
import { ReportSigner } from "../../src/crypto/report-digest.js";

const signer = new ReportSigner(
  { chainId: 31337, meter: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
  generatePrivateKey(),
);
const good = reportToJson(
  signer.sign({
    orderId: 12n,
    sequence: 3,
    periodStart: 1_795_000_000,
    periodEnd: 1_795_000_060,
    machineSeconds: 42n,
    units: 1n,
    inspections: 0,
    licensedProducts: [1n, 2n],
    readingsRoot: keccak256(toHex("readings")),
  }),
);

/** The decoder's and the schema's reading of `input`: the result, or the field each refused. */
function both(input: unknown): [unknown, unknown] {
  const run = (read: () => unknown) => {
    try {
      return { ok: read() };
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      return { field: error.field };
    }
  };
  return [run(() => reportFromJson(input)), run(() => parseWire(signedReportSchema, input, "report"))];
}

describe("the report's wire form (src/codec/report-wire.ts)", function () {
  it("round-trips a signed report (bigints as decimal strings, hex lower-cased)", function () {
    const signed = reportFromJson(good);
    expect(reportToJson(signed)).to.deep.equal(good);
    const upper = { ...good, readingsRoot: good.readingsRoot.toUpperCase().replace("0X", "0x") };
    expect(reportFromJson(upper).report.readingsRoot).to.equal(good.readingsRoot);
    expect(reportFromJson({ ...good, orderId: 12, sequence: "3" }).report).to.deep.include({
      orderId: 12n,
      sequence: 3,
    });
  });

  it("the fast decoder and the zod schema agree on good and bad inputs alike", function () {
    const cases: unknown[] = [
      good,
      { ...good, orderId: 12, units: "18446744073709551615", licensedProducts: [] },
      { ...good, sequence: "4294967295", periodEnd: 2 ** 40 - 1 },
      { ...good, orderId: "x" },
      { ...good, orderId: "18446744073709551616" },
      { ...good, orderId: "012" },
      { ...good, sequence: 2 ** 32 },
      { ...good, sequence: -1 },
      { ...good, periodStart: 1.5 },
      { ...good, machineSeconds: undefined },
      { ...good, licensedProducts: "1" },
      { ...good, licensedProducts: ["1", "x"] },
      { ...good, licensedProducts: Array.from({ length: 256 }, () => "1") },
      { ...good, readingsRoot: "0x12" },
      { ...good, signature: `0x${"00".repeat(64)}` },
      { ...good, signature: 7 },
      [good],
      null,
      "report",
    ];
    for (const input of cases) {
      const [fast, schema] = both(input);
      expect(fast, JSON.stringify(input)?.slice(0, 120)).to.deep.equal(schema);
    }
    expect(both({ ...good, licensedProducts: ["1", "x"] })[0]).to.deep.equal({ field: "licensedProducts[1]" });
    expect(both({ ...good, orderId: "x" })[0]).to.deep.equal({ field: "orderId" });
  });

  it("says what a field must be, and what it got", function () {
    expect(() => reportFromJson({ ...good, orderId: "x" })).to.throw(WireError, "orderId must be a whole number");
    expect(() => reportFromJson({ ...good, sequence: 2 ** 32 })).to.throw(
      WireError,
      "sequence 4294967296 does not fit 32 bits",
    );
    expect(() => reportFromJson({ ...good, readingsRoot: "0x12" })).to.throw(
      WireError,
      'readingsRoot must be 0x and 64 hex digits, got "0x12"',
    );
  });
});
