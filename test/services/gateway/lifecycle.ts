/*
lifecycle.tree: the gateway as a long-running process (scripts/gateway.ts) on anvil: how it starts and how it stops.

gateway process
├── when started through `npm run gateway --` and npm gets SIGTERM or SIGINT ── it stops cleanly: no process is
│   left holding its port or its store (npm's shell execs tsx, which passes the signal on; without that, the
│   gateway notices the shell gone)
├── when started through `npx tsx scripts/gateway.ts` and npx gets SIGTERM ── the same (it notices npx's shell
│   gone)
├── when another gateway holds its store ──────────────────────────── it does not start: exit 2 naming the holder
└── when its port is taken ────────────────────────────────────────── it does not start: exit 2 naming the port
*/
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { sleep } from "../../../src/chain/poll.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { eventOf, runToEnd, type AgentProcess } from "../../helpers/agent-process.js";
import { freePort, type Anvil } from "../../helpers/anvil.js";
import { gatewayProcess, rpcOrderOnAnvil, type RpcOrder } from "../../helpers/rpc-meter.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** Whether `port` on 127.0.0.1 can be listened on. */
async function portFree(port: number): Promise<boolean> {
  const probe: Server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (free) await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

/** Whether the store at `path` can be opened (no process holds it). */
function storeFree(path: string): boolean {
  try {
    new GatewayStore({ path }).close();
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `child` printed a log line with event "ready" (npm and npx print their own lines first). */
function ready(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    child.once("exit", (code) => reject(new Error(`exited (${code}) before "ready":\n${lines.join("\n")}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      const event = eventOf(line);
      if (event.event === "ready") resolve(event);
    });
    child.stderr!.on("data", (chunk: Buffer) => lines.push(chunk.toString()));
  });
}

describe("the gateway as a long-running process (on anvil)", function () {
  this.timeout(120_000);
  let anvil: Anvil | undefined;
  let o: RpcOrder;
  let dir: string | undefined;
  const children: ChildProcess[] = [];
  const gateways: AgentProcess[] = [];

  before(async function () {
    this.timeout(90_000);
    ({ anvil, o } = await rpcOrderOnAnvil(5151));
    dir = mkdtempSync(join(tmpdir(), "gateway-lifecycle-"));
  });

  after(async function () {
    for (const child of children) child.kill("SIGKILL");
    for (const gateway of gateways) await gateway.kill();
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const flags = (store: string, port: number) => [
    ...["--rpc-url", anvil!.url, "--meter", o.addresses.usageMeter, "--store", store],
    ...["--port", String(port), "--interval-ms", "200"],
  ];

  /** Starts the gateway through `launcher`, sends it `signal`, and checks that nothing holds the port or store. */
  async function stopsThrough(launcher: string, args: string[], signal: NodeJS.Signals, name: string) {
    const store = join(dir!, `${name}.sqlite`);
    const port = await freePort();
    const child = spawn(launcher, [...args, ...flags(store, port)], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: undefined, GATEWAY_RELAYER_KEY: o.relayerKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const started = await ready(child);
    expect(started.url).to.equal(`http://127.0.0.1:${port}`);
    expect(await portFree(port)).to.equal(false);
    expect(storeFree(store), "the store is the running gateway's").to.equal(false);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    // The gateway inside notices that the launcher is gone (or gets the signal) and stops within a second or two.
    const deadline = Date.now() + 15_000;
    while (!((await portFree(port)) && storeFree(store)) && Date.now() < deadline) await sleep(200);
    expect(await portFree(port), `the port ${port} is free`).to.equal(true);
    expect(storeFree(store), "the store opens").to.equal(true);
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`started through \`npm run gateway --\`, stops cleanly when npm gets ${signal}: port and store free`, async function () {
      await stopsThrough("npm", ["run", "--silent", "gateway", "--"], signal, `npm-${signal}`);
    });
  }

  it("started through `npx tsx scripts/gateway.ts`, stops cleanly when npx gets SIGTERM: port and store free", async function () {
    await stopsThrough("npx", ["tsx", "--disable-warning=ExperimentalWarning", "scripts/gateway.ts"], "SIGTERM", "npx");
  });

  it("does not start on a store another gateway holds: exit 2 naming the holder", async function () {
    const store = join(dir!, "held.sqlite");
    const first = gatewayProcess(o, anvil!.url, { store, port: await freePort(), depth: 1, intervalMs: 200 });
    gateways.push(first);
    await first.start();
    const run = await runToEnd("scripts/gateway.ts", flags(store, await freePort()), {
      GATEWAY_RELAYER_KEY: o.relayerKey,
    });
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr).to.include(`The store ${store} is in use by gateway.ts (pid `);
    expect(run.stdout).to.equal("");
    expect(await first.terminate()).to.equal(0);
  });

  it("does not start on a port that is taken: exit 2 naming the port", async function () {
    const port = await freePort();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", () => resolve()));
    try {
      const store = join(dir!, "port.sqlite");
      const run = await runToEnd("scripts/gateway.ts", flags(store, port), { GATEWAY_RELAYER_KEY: o.relayerKey });
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.include(`Cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(storeFree(store), "the store is let go").to.equal(true);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
