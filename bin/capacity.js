#!/usr/bin/env node
/**
 * `capacity` (npx capacity, npm run ops --): the command line of scripts/ops.ts, which is TypeScript for Node 22.
 * Run by Node 22 (npx and npm put node_modules/.bin first on the PATH, where the project's Node 22 is), it
 * loads tsx into this process and runs the command here; run by an older Node, it starts the project's
 * node_modules/.bin/node with tsx as a child, hands SIGINT and SIGTERM on to it and exits with its status,
 * so no inner process outlives it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = fileURLToPath(new URL("../scripts/ops.ts", import.meta.url));
const args = process.argv.slice(2);

if (Number(process.versions.node.split(".")[0]) >= 22) {
  // node:sqlite is experimental in Node 22; its one-time warning is noise for a command line.
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
    if (type !== "ExperimentalWarning") emitWarning.call(process, warning, ...rest);
  };
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(entry).href);
} else {
  const node = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  const child = spawn(node, ["--disable-warning=ExperimentalWarning", "--import", "tsx", entry, ...args], {
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => {
    process.stderr.write(`capacity: cannot start ${node} (${error.message}); run npm ci in the project first.\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
