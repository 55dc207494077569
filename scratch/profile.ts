// Attributes the gas of one recorded report in a traced batch to source lines (production build).
import { readFileSync, readdirSync } from "node:fs";

export function profile(
  structLogs: { op: string; gasCost: number; depth: number; pc: number }[],
  contract = "UsageMeter",
  file = "contracts/metering/UsageMeter.sol",
) {
  const art = JSON.parse(readFileSync(`artifacts/${file}/${contract}.json`, "utf8"));
  const out = JSON.parse(readFileSync(`artifacts/build-info/${art.buildInfoId}.output.json`, "utf8")).output;
  const input = JSON.parse(readFileSync(`artifacts/build-info/${art.buildInfoId}.json`, "utf8")).input;
  const key = Object.keys(out.contracts).find((k) => k.endsWith(file))!;
  const evm = out.contracts[key][contract].evm.deployedBytecode;
  const code = Buffer.from(evm.object.replace(/__\$[0-9a-f]{34}\$__/g, "00".repeat(20)), "hex");
  const pcToIdx = new Map<number, number>();
  for (let pc = 0, i = 0; pc < code.length; i++) {
    pcToIdx.set(pc, i);
    const op = code[pc]!;
    pc += op >= 0x60 && op <= 0x7f ? op - 0x5e : 1;
  }
  const idToSrc: Record<number, string> = {};
  for (const [name, s] of Object.entries(out.sources) as [string, { id: number }][]) idToSrc[s.id] = name;
  const entries = evm.sourceMap.split(";");
  let s = 0, l = 0, f = 0;
  const decoded = entries.map((e: string) => {
    const [a, b, c] = e.split(":");
    if (a) s = Number(a);
    if (b) l = Number(b);
    if (c) f = Number(c);
    return { s, l, f };
  });
  const lineOf = (name: string, offset: number) => {
    const text: string = input.sources[name]?.content ?? "";
    const line = text.slice(0, offset).split("\n").length;
    return `${name.split("/").pop()}:${line} ${text.split("\n")[line - 1]?.trim().slice(0, 70)}`;
  };
  // one report: between the 50th and 51st LOG2 at depth 1
  const d1 = structLogs.filter((x) => x.depth === 1);
  const logs = d1.map((x, i) => (x.op === "LOG2" ? i : -1)).filter((i) => i >= 0);
  const seg = d1.slice(logs[49]! + 1, logs[50]! + 1);
  const byLine = new Map<string, number>();
  let total = 0;
  for (const x of seg) {
    const idx = pcToIdx.get(x.pc);
    const m = idx === undefined ? undefined : decoded[idx];
    const where = m && m.f >= 0 && idToSrc[m.f] ? lineOf(idToSrc[m.f]!, m.s) : "generated";
    const gas = x.op === "STATICCALL" ? 0 : x.gasCost;
    byLine.set(where, (byLine.get(where) ?? 0) + gas);
    total += gas;
  }
  console.log("segment instructions", seg.length, "gas (static calls excluded)", total);
  for (const [w, g] of [...byLine.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(String(g).padStart(6), w);
}
