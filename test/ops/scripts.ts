/**
 * The real entry points, scripts/ops.ts and scripts/payout.ts, as processes: they reach the in-process network
 * through a small JSON-RPC bridge over HTTP (what a node would serve), read the deployment's addresses file
 * and sign with $OPS_PRIVATE_KEY. The scheduled payout pays once, then does nothing and says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { PayeeStore } from "../../src/services/channels/store.js";
import { signVoucher } from "../../src/core/voucher.js";
import { parseEuro } from "../../src/core/money.js";
import { toJson } from "../../src/cli/output.js";
import { runToEnd } from "../helpers/agent-process.js";
import { jsonOf, ops, opsFixture, usageHash, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const fixture = opsFixture(connection);
const run = (script: string, args: string[], env: Record<string, string>) =>
  runToEnd(join("scripts", script), args, env, 60_000);

/** Serves JSON-RPC over HTTP from the in-process network's provider. */
function bridge(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const call = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
      connection.provider
        .request({ method: call.method, params: call.params ?? [] })
        .then(
          (result) => ({ jsonrpc: "2.0", id: call.id, result }),
          (error: { code?: number; message: string; data?: unknown }) => ({
            jsonrpc: "2.0",
            id: call.id,
            error: { code: error.code ?? -32603, message: error.message, data: error.data },
          }),
        )
        .then((answer) => {
          response.setHeader("content-type", "application/json");
          response.end(toJson(answer));
        });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe("scripts/ops.ts and scripts/payout.ts as processes", function () {
  this.timeout(120_000);
  let f: OpsFixture;
  let dir: string;
  let server: Server;
  let env: Record<string, string>;

  before(async function () {
    const bridged = await bridge();
    server = bridged.server;
    env = { OPS_RPC_URL: bridged.url };
  });
  after(function () {
    server.close();
  });

  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
    dir = mkdtempSync(join(tmpdir(), "ops-scripts-"));
    const addresses = join(dir, "deployment.json");
    writeFileSync(addresses, toJson({ ...f.ops.addresses, fromBlock: 0 }));
    env = { OPS_RPC_URL: env.OPS_RPC_URL!, OPS_ADDRESSES: addresses };
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints a member's balances from a node", async function () {
    const out = await run("ops.ts", ["member", "balances", "--json", `--member=${f.memberIds.consumer}`], env);
    expect(out.code, out.stderr).to.equal(0);
    expect(JSON.parse(out.stdout)).to.include({ balance: parseEuro("1500").toString() });
  });

  it("asks for the signing key when a command sends", async function () {
    const out = await run("ops.ts", ["redemption", "request", "--amount=1", "--payout-ref=x"], env);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include("Set OPS_PRIVATE_KEY");
  });

  it("says which node it cannot reach", async function () {
    const out = await run("ops.ts", ["member", "balances", "--member=1", "--rpc-url=http://127.0.0.1:9"], env);
    expect(out.code).to.equal(1);
    expect(out.stderr).to.include("Cannot reach a JSON-RPC node at http://127.0.0.1:9");
  });

  it("pays out once on schedule; the second run sends nothing and says so; --dry-run sends nothing", async function () {
    // The provider's payout key: an account of the provider held here, paid by a channel from the consumer.
    const payeeKey = generatePrivateKey();
    const payee = privateKeyToAccount(payeeKey);
    await f.consortium.connect(f.provider).addAccount(payee.address);
    await connection.networkHelpers.setBalance(payee.address, 10n ** 20n);
    const opened = jsonOf<{ channelId: Hex; nonce: string }>(
      await ops(f, f.payer, "channel", "open", "--json", `--payee=${payee.address}`, "--deposit=50"),
    );
    const nonce = BigInt(opened.nonce);
    const storePath = join(dir, "payee.sqlite");
    const store = new PayeeStore({ path: storePath });
    const state = await f.channels.channel(opened.channelId);
    store.addChannel({
      channelId: opened.channelId,
      payer: f.payer.address,
      payee: payee.address,
      nonce,
      machineId: 1n,
      tariffVersion: 1,
      deposit: state.deposit,
      deadline: Number(state.deadline),
    });
    const voucher = await signVoucher(
      f.payer,
      { chainId: f.chain.chainId, channels: f.ops.addresses.paymentChannels },
      { payee: payee.address, nonce, amount: parseEuro("7.5"), usage: usageHash("part 1") },
    );
    store.acknowledge(
      {
        channelId: opened.channelId,
        sequence: 1,
        price: voucher.amount,
        amount: voucher.amount,
        usage: voucher.usage,
        increment: "{}",
        deviceSignature: "0x",
        voucherSignature: voucher.signature,
      },
      { machineSeconds: 1n, units: 1n },
    );
    store.close();
    const scheduled = { ...env, OPS_PRIVATE_KEY: payeeKey, OPS_PAYEE_STORE: storePath };

    const dry = await run("payout.ts", ["--json", "--dry-run"], scheduled);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(JSON.parse(dry.stdout)).to.include({ dryRun: true, claimed: parseEuro("7.5").toString() });
    expect(await f.token.balanceOf(payee.address)).to.equal(0n);

    const first = await run("payout.ts", ["--json"], scheduled);
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.include({ nothingToDo: false, claimed: parseEuro("7.5").toString() });
    expect(await f.token.balanceOf(payee.address)).to.equal(parseEuro("7.5"));

    const second = await run("payout.ts", [], scheduled);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.include("Nothing to pay out").and.include("No transaction sent");
    expect(await f.token.balanceOf(payee.address)).to.equal(parseEuro("7.5"));
  });
});
