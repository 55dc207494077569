/**
 * An error's reason in one line, for messages that wrap it: viem's `shortMessage` (without the request
 * details and docs links its `message` carries), else the plain message.
 */
export function errorReason(error: unknown): string {
  const { shortMessage } = error as { shortMessage?: unknown };
  if (typeof shortMessage === "string") return shortMessage;
  return error instanceof Error ? error.message : String(error);
}
