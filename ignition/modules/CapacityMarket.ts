import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import SettlementLayer from "./SettlementLayer.js";

/**
 * The whole system: the settlement layer (Consortium, SettlementToken, FiatGateway) plus the licence and
 * machine registries, the usage meter and the payment channels, each registered with the Consortium so
 * that its obligations (active licences, listings not retired, open orders and unsettled charges, open
 * channels) block a member's exit. Parameters: those of the SettlementLayer module,
 * `CapacityMarket.minChallengePeriod` (seconds, default one hour), the shortest challenge period of a channel,
 * and `CapacityMarket.reportGrace` (seconds, default one hour), how long after an order's expiry reports that
 * ended by it still land before the consumer may close it.
 */
export default buildModule("CapacityMarket", (m) => {
  const { consortium, token, gateway } = m.useModule(SettlementLayer);

  const licenseRegistry = m.contract("LicenseRegistry", [consortium]);
  const machineRegistry = m.contract("MachineRegistry", [consortium, licenseRegistry]);
  const meterLedger = m.library("MeterLedger");
  const reportGrace = m.getParameter("reportGrace", 3600);
  const usageMeter = m.contract("UsageMeter", [consortium, token, machineRegistry, reportGrace], {
    libraries: { MeterLedger: meterLedger },
  });
  const readingVerifier = m.contract("ReadingVerifier", [usageMeter]);
  const minChallengePeriod = m.getParameter("minChallengePeriod", 3600);
  const paymentChannels = m.contract("PaymentChannels", [token, consortium, minChallengePeriod]);

  m.call(consortium, "registerContract", [licenseRegistry], { id: "registerLicenseRegistry" });
  m.call(consortium, "registerContract", [machineRegistry], { id: "registerMachineRegistry" });
  m.call(consortium, "registerContract", [usageMeter], { id: "registerUsageMeter" });
  m.call(consortium, "registerContract", [paymentChannels], { id: "registerPaymentChannels" });

  return {
    consortium,
    token,
    gateway,
    licenseRegistry,
    machineRegistry,
    meterLedger,
    usageMeter,
    readingVerifier,
    paymentChannels,
  };
});
