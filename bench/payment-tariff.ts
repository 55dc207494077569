import { parseEuro } from "../src/core/money.js";
import { benchTariff } from "./gas.js";

/** The tariff both sides of the payment latency benchmark price increments with: every part costs something. */
export const LATENCY_TARIFF = { ...benchTariff(parseEuro("48"), []), minimumCharge: 0n };
