/** The insight table (src/cli/render/insight.ts). */
import { expect } from "chai";

import { renderInsight } from "../../../src/cli/render/insight.js";
import { usageInsight } from "../../../src/core/insight.js";
import { DAY, records, T0 } from "../../helpers/insight.js";

describe("renderInsight (src/cli/render/insight.ts)", function () {
  it("renders one row per machine and one per capability", function () {
    const table = renderInsight(usageInsight(records, { from: T0, to: T0 + 2 * DAY }), (id) => `machine ${id}`);
    expect(table).to.match(/machine 1\s+2\s+3\s+2\s+1\.67\s+30\s+2\s+3\.5%\s+144\.00/);
    expect(table).to.match(/ {2}laser-cutting\s+1\s+1\.50\s+20/);
    expect(table).to.match(/ {2}unspecified/);
  });
});
