/**
 * The machine owner's usage insight: how often, how long and for which capabilities each of its listings
 * was used, and what it earned, from the reports the meter recorded (src/contracts/usage.ts reads them,
 * src/core/insight.ts aggregates them).
 */
import { machineRegistryAbi } from "../generated/abis.js";
import { usageInsight, type InsightWindow, type MachineInsight } from "../core/insight.js";
import { usageRecords } from "../contracts/usage.js";
import { clients, OpsInputError, type Ops } from "./context.js";

export interface OwnerInsight {
  memberId: bigint;
  /** The listings looked at: the one asked for, or every listing of the member. */
  machineIds: bigint[];
  window?: InsightWindow;
  /** Per listing with usage, busiest first. */
  machines: MachineInsight[];
}

/** The insight over the member's listings (or one of them), optionally within a window of Unix seconds. */
export async function ownerInsight(
  ops: Ops,
  input: { memberId: bigint; machineId?: bigint; window?: InsightWindow },
): Promise<OwnerInsight> {
  if (input.window !== undefined && !(input.window.to > input.window.from)) {
    throw new OpsInputError(
      `The window must end after it starts (from ${new Date(input.window.from * 1000).toISOString()} ` +
        `to ${new Date(input.window.to * 1000).toISOString()}).`,
      { code: "insight.window", input: { name: "--to", value: String(input.window.to) } },
    );
  }
  const owned = [
    ...(await ops.chain.publicClient.readContract({
      address: ops.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "machinesOf",
      args: [input.memberId],
    })),
  ];
  let machineIds = owned;
  if (input.machineId !== undefined) {
    if (!owned.includes(input.machineId)) {
      const listing = await clients(ops)
        .market.listing(input.machineId)
        .catch(() => undefined);
      throw new OpsInputError(
        listing === undefined
          ? `There is no listing ${input.machineId}.`
          : `Listing ${input.machineId} belongs to member ${listing.provider}, not to member ${input.memberId}.`,
        {
          code: "insight.notOwner",
          input: { name: "--machine", value: input.machineId.toString() },
          hint: "The insight shows a member its own listings; name one of them, or leave --machine out for all.",
        },
      );
    }
    machineIds = [input.machineId];
  }
  const records = (
    await Promise.all(
      machineIds.map((machineId) =>
        usageRecords(ops.chain.publicClient, ops.addresses.usageMeter, { machineId, fromBlock: ops.fromBlock }),
      ),
    )
  ).flat();
  return { memberId: input.memberId, machineIds, window: input.window, machines: usageInsight(records, input.window) };
}
