/**
 * An out-of-process chain for tests: anvil from the npm package `@foundry-rs/anvil` (its platform package
 * ships the binary), on 127.0.0.1 with a free port, started directly (not through `npx`, whose wrapper
 * would survive a SIGKILL of its own and leave the node running).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type AddressInfo } from "node:net";

const require = createRequire(import.meta.url);

/** The anvil binary of this platform, from the optional dependency `@foundry-rs/anvil` installed. */
export function anvilBinary(): string {
  const os = process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${os}-${arch}`;
  let path: string;
  try {
    path = require.resolve(`${pkg}/bin/${os === "win32" ? "anvil.exe" : "anvil"}`);
  } catch {
    throw new Error(
      `${pkg} is not installed: anvil has no binary for ${os}/${process.arch} here (npm ci installs it).`,
    );
  }
  if (!existsSync(path)) throw new Error(`The anvil binary is missing at ${path}; reinstall @foundry-rs/anvil.`);
  return path;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Anvil {
  url: string;
  port: number;
  process: ChildProcess;
  /** The node's last output lines, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts anvil and resolves once it answers JSON-RPC; `args` are added to its command line. */
export async function startAnvil(args: string[] = [], timeoutMs = 30_000): Promise<Anvil> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(anvilBinary(), ["--host", "127.0.0.1", "--port", String(port), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n"));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const anvil: Anvil = {
    url,
    port,
    process: child,
    output: () => lines.join("\n"),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with status ${child.exitCode}:\n${anvil.output()}`);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return anvil;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await anvil.stop();
      throw new Error(`anvil did not answer on ${url} within ${timeoutMs} ms:\n${anvil.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
