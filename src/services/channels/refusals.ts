/**
 * Which failures of a payment the payee's machine stops on, and which it asks again after: a refusal that
 * asking again cannot change (a wrong device key, numbers out of step with the payer, a voucher that is not the
 * payer's) ends the process with exit status 2 instead of a loop for ever; the rest (the payer unreachable or
 * failing, a cap period not over, a deposit to top up) are asked again after a growing pause.
 */
import { PaymentRefused, type RefusalCode } from "./protocol.js";

/** A voucher the payee will not accept; the machine must not go on. */
export class VoucherRejected extends Error {
  override name = "VoucherRejected";
  constructor(
    message: string,
    /** Whether waiting cannot change it (false: a top-up may, say). */
    readonly permanent = true,
  ) {
    super(message);
  }
}

/** Refusals of the payer that asking again cannot change (the rest may pass later: a cap period, a top-up). */
const PERMANENT_REFUSALS: ReadonlySet<RefusalCode> = new Set<RefusalCode>([
  "malformed",
  "unsupported-media-type",
  "too-large",
  "unknown-channel",
  "out-of-sequence",
  "already-paid-otherwise",
  "bad-device",
  "price-mismatch",
]);

/**
 * Whether a failed payment cannot succeed by asking again (a wrong device key, numbers out of step with the
 * payer, a voucher that is not the payer's): the machine then stops instead of asking for ever.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof PaymentRefused) return PERMANENT_REFUSALS.has(error.code);
  return error instanceof VoucherRejected && error.permanent;
}
