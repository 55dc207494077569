/*
payer-limits.tree: what the payer agent's HTTP server (src/services/channels/payer.ts) refuses before it reads a request.

POST /payments
├── C-05 when the body is not declared as JSON ─── 415 unsupported-media-type naming the header; nothing is paid
└── C-05 when the body is larger than the limit ── 413 too-large as soon as that is known (from the declared length,
    or once the bytes read pass the limit), without reading the rest
*/
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import { getAddress, keccak256, stringToHex, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { createPayerServer, PayerAgent } from "../../../src/services/channels/payer.js";
import { requestToJson } from "../../../src/services/channels/protocol.js";
import { PayerStore } from "../../../src/services/channels/store.js";
import { signUsage } from "../../../src/core/increment.js";
import { rawPost } from "../../helpers/http.js";

const DOMAIN = { chainId: 31337, channels: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3") as Address };

describe("payer agent limits", function () {
  let store: PayerStore;
  let server: Server;
  let url: string;

  beforeEach(async function () {
    store = new PayerStore({ path: ":memory:" });
    const agent = new PayerAgent({
      domain: DOMAIN,
      privateKey: generatePrivateKey(),
      store,
      devices: { keyOf: async () => undefined },
      tariffs: {
        tariffOf: async () => {
          throw new Error("no tariff is read for a request that is refused first");
        },
      },
      caps: { periodSeconds: 3600, perDevice: 1n },
    });
    server = createPayerServer(agent);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments`;
  });

  afterEach(async function () {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    store.close();
  });

  describe("when the body is not declared as JSON", function () {
    it("C-05 refuses a text/plain POST /payments with 415, naming the header to send", async function () {
      const now = Math.floor(Date.now() / 1000);
      const usage = await signUsage(privateKeyToAccount(generatePrivateKey()), DOMAIN, {
        channelId: keccak256(stringToHex("a channel")),
        sequence: 1,
        periodStart: now - 10,
        periodEnd: now,
        machineSeconds: 8n,
        units: 1n,
        readingsRoot: keccak256(stringToHex("readings")),
      });
      const body = requestToJson({ channelId: usage.increment.channelId, usage, amount: 1n });
      for (const contentType of ["text/plain", undefined]) {
        const response = await fetch(url, {
          method: "POST",
          headers: contentType === undefined ? {} : { "content-type": contentType },
          body,
        });
        const answer = (await response.json()) as { error: string; reason: string };
        expect([contentType, response.status, answer.error]).to.deep.equal([
          contentType,
          415,
          "unsupported-media-type",
        ]);
        expect(answer.reason).to.contain("Content-Type: application/json");
      }
    });
  });

  describe("when the body is larger than the limit", function () {
    it("C-05 refuses a declared length above the limit with 413 before reading the body", async function () {
      const total = 64 * 1024 * 1024;
      const answer = await rawPost(url, { "content-type": "application/json", "content-length": String(total) }, total);
      expect([answer.status, answer.body.error]).to.deep.equal([413, "too-large"]);
      expect(String(answer.body.reason)).to.contain("at most");
      expect(answer.sent).to.be.below(total / 4);
    });

    it("C-05 refuses a streamed body with 413 once it passes the limit, without reading the rest", async function () {
      const total = 64 * 1024 * 1024;
      const answer = await rawPost(url, { "content-type": "application/json" }, total);
      expect([answer.status, answer.body.error]).to.deep.equal([413, "too-large"]);
      expect(answer.sent).to.be.below(total / 4);
    });
  });
});
