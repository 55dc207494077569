import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import SettlementLayer from "./SettlementLayer.js";

/**
 * The whole system: the settlement layer (Consortium, SettlementToken, FiatGateway) plus the licence and
 * machine registries and the usage meter, each registered with the Consortium so that its obligations
 * (active licences, listings not retired, open orders and unsettled charges) block a member's exit. Parameters are those of the SettlementLayer module.
 */
export default buildModule("CapacityMarket", (m) => {
  const { consortium, token, gateway } = m.useModule(SettlementLayer);

  const licenseRegistry = m.contract("LicenseRegistry", [consortium]);
  const machineRegistry = m.contract("MachineRegistry", [consortium, licenseRegistry]);
  const meterLedger = m.library("MeterLedger");
  const usageMeter = m.contract("UsageMeter", [consortium, token, machineRegistry], {
    libraries: { MeterLedger: meterLedger },
  });
  const readingVerifier = m.contract("ReadingVerifier", [usageMeter, machineRegistry]);

  m.call(consortium, "registerContract", [licenseRegistry], { id: "registerLicenseRegistry" });
  m.call(consortium, "registerContract", [machineRegistry], { id: "registerMachineRegistry" });
  m.call(consortium, "registerContract", [usageMeter], { id: "registerUsageMeter" });

  return { consortium, token, gateway, licenseRegistry, machineRegistry, meterLedger, usageMeter, readingVerifier };
});
