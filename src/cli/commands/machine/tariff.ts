import { publishTariff, type TariffPublished } from "../../../ops/listings.js";
import { signedCommand } from "../../command.js";
import { machineOption, tariffOf, TARIFF_OPTIONS, type TariffOptions } from "../../options.js";
import { renderTariffPublished } from "../../render/listings.js";

export default signedCommand<TariffOptions & { machine: bigint }, TariffPublished>({
  name: "tariff",
  summary: "publish a new tariff on a listing; running orders keep the one they booked (provider)",
  options: [machineOption, ...TARIFF_OPTIONS],
  job: (ops, wallet, options) => publishTariff(ops, wallet, options.machine, tariffOf(options)),
  render: renderTariffPublished,
});
