/** The role matrix's rows for LicenseRegistry and MachineRegistry (see fixture.ts). */
import { KeyKind } from "../../src/core/listing.js";
import { Role } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import type { MarketFixture } from "../helpers/fixtures.js";
import {
  LICENCE_TERMS,
  profileArg,
  randomKey,
  registerSampleLicense,
  registerSampleMachine,
  sampleProfile,
  sampleTariff,
  tariffArg,
} from "../helpers/registry.js";
import {
  describeRows,
  memberCheck,
  memberId,
  roleCheck,
  type Caller,
  type Context,
  type Outcome,
  type Row,
} from "./fixture.js";

/** Protective acts on a listing: any account of the owning provider; other members do not own it. */
function ownerCheck(f: MarketFixture, caller: Caller, ctx: Context, event: string): Outcome {
  return memberCheck(
    f,
    caller,
    caller === "provider"
      ? { ok: true, event: [f.machines, event] }
      : { contract: f.machines, error: "MachineRegistryNotOwner", args: [ctx.machineId, memberId(f, caller)] },
  );
}

export const REGISTRY_ROWS: Row[] = [
  // ------------------------------------------------------------------ LicenseRegistry
  {
    fn: "LicenseRegistry.registerLicense",
    call: (f, s) => f.licenses.connect(s).registerLicense(parseEuro("0.35"), LICENCE_TERMS),
    expect: (f, c) => roleCheck(f, c, Role.Licensor, { ok: true, event: [f.licenses, "LicenseRegistered"] }),
  },
  {
    fn: "LicenseRegistry.publishRoyalty",
    setup: async (f) => ({ licenseId: await registerSampleLicense(f) }),
    call: (f, s, ctx) =>
      f.licenses.connect(s).publishRoyalty(ctx.licenseId as number, parseEuro("0.40"), LICENCE_TERMS),
    expect: (f, c) => roleCheck(f, c, Role.Licensor, { ok: true, event: [f.licenses, "RoyaltyPublished"] }),
  },
  {
    fn: "LicenseRegistry.retireLicense",
    setup: async (f) => ({ licenseId: await registerSampleLicense(f) }),
    call: (f, s, ctx) => f.licenses.connect(s).retireLicense(ctx.licenseId as number),
    // Any account of the licensor may retire, whatever its standing; other members do not own the licence.
    expect: (f, c, ctx) =>
      memberCheck(
        f,
        c,
        c === "licensor"
          ? { ok: true, event: [f.licenses, "LicenseRetired"] }
          : { contract: f.licenses, error: "LicenseRegistryNotLicensor", args: [ctx.licenseId, memberId(f, c)] },
      ),
  },
  // ------------------------------------------------------------------ MachineRegistry
  {
    fn: "MachineRegistry.registerMachine",
    call: (f, s) =>
      f.machines.connect(s).registerMachine(profileArg(sampleProfile()), [randomKey()], tariffArg(sampleTariff())),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "MachineRegistered"] }),
  },
  {
    fn: "MachineRegistry.updateMachine",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).updateMachine(ctx.machineId as bigint, profileArg(sampleProfile())),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "MachineUpdated"] }),
  },
  {
    fn: "MachineRegistry.publishTariff",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).publishTariff(ctx.machineId as bigint, tariffArg(sampleTariff())),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "TariffPublished"] }),
  },
  {
    fn: "MachineRegistry.pauseMachine",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).pauseMachine(ctx.machineId as bigint),
    expect: (f, c, ctx) => ownerCheck(f, c, ctx, "MachineStatusChanged"),
  },
  {
    fn: "MachineRegistry.resumeMachine",
    setup: async (f) => {
      const machineId = await registerSampleMachine(f);
      await f.machines.connect(f.provider).pauseMachine(machineId);
      return { machineId };
    },
    call: (f, s, ctx) => f.machines.connect(s).resumeMachine(ctx.machineId as bigint),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "MachineStatusChanged"] }),
  },
  {
    fn: "MachineRegistry.retireMachine",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).retireMachine(ctx.machineId as bigint),
    expect: (f, c, ctx) => ownerCheck(f, c, ctx, "MachineStatusChanged"),
  },
  {
    fn: "MachineRegistry.addKey",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).addKey(ctx.machineId as bigint, randomKey(), KeyKind.Inspector),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "SignerKeyAdded"] }),
  },
  {
    fn: "MachineRegistry.revokeKey",
    setup: async (f) => {
      const key = randomKey();
      return { machineId: await registerSampleMachine(f, { keys: [key] }), key };
    },
    call: (f, s, ctx) => f.machines.connect(s).revokeKey(ctx.machineId as bigint, ctx.key as string),
    expect: (f, c, ctx) => ownerCheck(f, c, ctx, "SignerKeyRevoked"),
  },
  {
    fn: "MachineRegistry.rotateKey",
    setup: async (f) => {
      const key = randomKey();
      return { machineId: await registerSampleMachine(f, { keys: [key] }), key };
    },
    call: (f, s, ctx) => f.machines.connect(s).rotateKey(ctx.machineId as bigint, ctx.key as string, randomKey()),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "SignerKeyRevoked"] }),
  },
];

describeRows(REGISTRY_ROWS);
