/** The role matrix names every state-changing function of the seven contracts: the rows of its parts together. */
import { expect } from "chai";

import { CONSORTIUM_ROWS } from "./access.js";
import { CHANNELS_ROWS } from "./channels.js";
import { matrixFixture, networkHelpers } from "./fixture.js";
import { METER_ROWS } from "./metering.js";
import { REGISTRY_ROWS } from "./registry.js";
import { TOKEN_ROWS } from "./token.js";

const ROWS = [...CONSORTIUM_ROWS, ...TOKEN_ROWS, ...REGISTRY_ROWS, ...METER_ROWS, ...CHANNELS_ROWS];

describe("role matrix", function () {
  it("covers every state-changing function of the seven contracts", async function () {
    const f = await networkHelpers.loadFixture(matrixFixture);
    const covered = new Set(ROWS.map((row) => row.fn));
    for (const [name, contract] of [
      ["Consortium", f.consortium],
      ["SettlementToken", f.token],
      ["FiatGateway", f.gateway],
      ["LicenseRegistry", f.licenses],
      ["MachineRegistry", f.machines],
      ["UsageMeter", f.meter],
      ["PaymentChannels", f.channels],
    ] as const) {
      contract.interface.forEachFunction((fn) => {
        if (fn.stateMutability === "nonpayable" || fn.stateMutability === "payable") {
          expect(covered.has(`${name}.${fn.name}`), `${name}.${fn.name} is missing from the role matrix`).to.equal(
            true,
          );
        }
      });
    }
  });
});
