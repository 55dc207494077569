/** The settlement token has 6 decimals: 1 token = 1 euro = 1,000,000 base units. */
export const TOKEN_DECIMALS = 6;
const UNIT = 10n ** BigInt(TOKEN_DECIMALS);

/** Parses a euro amount such as "1250", "1250.5" or "0.000001" into base units, refusing anything finer. */
export function parseEuro(text: string): bigint {
  const trimmed = text.trim().replace(/_/g, "");
  const match = /^(\d+)(?:\.(\d+))?$/.exec(trimmed);
  if (match === null) throw new Error(`"${text}" is not a euro amount; write it like 1250 or 1250.50.`);
  const [, whole, fraction = ""] = match;
  if (fraction.length > TOKEN_DECIMALS) {
    throw new Error(`"${text}" has more than ${TOKEN_DECIMALS} decimals; the token counts in millionths of a euro.`);
  }
  return BigInt(whole!) * UNIT + BigInt(fraction.padEnd(TOKEN_DECIMALS, "0"));
}

/** Formats base units as euros with two to six decimals and thousands separators, e.g. "1,250.50". */
export function formatEuro(amount: bigint): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const whole = (abs / UNIT).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let fraction = (abs % UNIT).toString().padStart(TOKEN_DECIMALS, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}
