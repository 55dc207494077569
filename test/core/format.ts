import { expect } from "chai";

import { renderTable, short } from "../../src/cli/table.js";
import { parseRole, Role, roleMask, rolesOf, statusName } from "../../src/core/membership.js";
import { formatEuro, parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";

describe("src/core pure helpers", function () {
  describe("money", function () {
    it("parses euros into millionths", function () {
      expect(parseEuro("1250")).to.equal(1_250_000_000n);
      expect(parseEuro("1250.5")).to.equal(1_250_500_000n);
      expect(parseEuro("0.000001")).to.equal(1n);
      expect(parseEuro(" 1_000 ")).to.equal(1_000_000_000n);
    });

    it("refuses amounts finer than the token counts", function () {
      expect(() => parseEuro("0.0000001")).to.throw(/more than 6 decimals/);
    });

    it("refuses text that is no amount", function () {
      expect(() => parseEuro("12,50")).to.throw(/"12,50" is not a euro amount/);
      expect(() => parseEuro("-1")).to.throw(/is not a euro amount/);
    });

    it("formats with separators and two to six decimals", function () {
      expect(formatEuro(1_234_560_000n)).to.equal("1,234.56");
      expect(formatEuro(1n)).to.equal("0.000001");
      expect(formatEuro(0n)).to.equal("0.00");
      expect(formatEuro(-2_500_000n)).to.equal("-2.50");
      expect(formatEuro(parseEuro("1000000"))).to.equal("1,000,000.00");
    });
  });

  describe("membership", function () {
    it("builds and reads role bitmaps", function () {
      expect(roleMask(Role.Operator, Role.Auditor)).to.equal(0b10001);
      expect(rolesOf(0b00110)).to.deep.equal(["Provider", "Consumer"]);
      expect(rolesOf(0)).to.deep.equal([]);
    });

    it("parses role names case-insensitively", function () {
      expect(parseRole(" licensor ")).to.equal(Role.Licensor);
      expect(() => parseRole("buyer")).to.throw(/"buyer" is not a role; use one of Operator, Provider/);
    });

    it("names member statuses", function () {
      expect(statusName(2)).to.equal("Suspended");
      expect(() => statusName(9)).to.throw(/9 is not a member status/);
    });
  });

  describe("references", function () {
    it("hashes text and keeps hashes", function () {
      const hash = referenceHash("SEPA 0001");
      expect(hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(referenceHash(hash.toUpperCase().replace("0X", "0x"))).to.equal(hash);
      expect(referenceHash("  SEPA 0001 ")).to.equal(hash);
      expect(referenceHash("SEPA 0002")).to.not.equal(hash);
    });

    it("refuses an empty reference", function () {
      expect(() => referenceHash("  ")).to.throw(/must not be empty/);
    });
  });

  describe("tables", function () {
    it("pads columns and aligns numbers right", function () {
      const text = renderTable(
        [
          { header: "name", value: (row: [string, number]) => row[0] },
          { header: "n", value: (row: [string, number]) => String(row[1]), align: "right" },
        ],
        [
          ["a", 5],
          ["bbb", 12],
        ],
        "Title",
      );
      expect(text.split("\n")).to.deep.equal(["Title", "name   n", "----  --", "a      5", "bbb   12"]);
    });

    it("says when there are no rows", function () {
      expect(renderTable([{ header: "x", value: (row: string) => row }], [])).to.contain("(none)");
    });

    it("shortens long hex strings only", function () {
      expect(short("0x1234567890abcdef1234")).to.equal("0x1234…1234");
      expect(short("0x1234")).to.equal("0x1234");
    });
  });
});
