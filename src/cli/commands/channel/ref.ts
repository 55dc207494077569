/** How the payer's channel commands name a channel: the payer agent's store and the channel id, or payee and nonce. */
import type { Address, Hex } from "viem";

import { UsageError } from "../../../core/errors.js";
import type { ChannelRef } from "../../../ops/channels.js";
import { option, type OptionDecl } from "../../command.js";
import { address, bytes32, existingFile, uint } from "../../parse.js";

export interface ChannelOptions {
  store?: string;
  channel?: Hex;
  payee?: Address;
  nonce?: bigint;
}

export const CHANNEL_OPTIONS: readonly OptionDecl[] = [
  option("--store <file>", "the channel payer agent's SQLite store", existingFile),
  option("--channel <id>", "the channel id (with --store)", bytes32),
  option("--payee <address>", "or the channel's payee (with --nonce)", address),
  option("--nonce <n>", "and its nonce, from its ChannelOpened event", uint(96)),
];

export function channelRef(options: ChannelOptions): ChannelRef {
  if (options.store !== undefined && options.channel !== undefined)
    return { store: options.store, channelId: options.channel };
  if (options.payee !== undefined && options.nonce !== undefined) return { payee: options.payee, nonce: options.nonce };
  throw new UsageError(
    "Name the channel: --store FILE --channel ID (the payer agent's store), or --payee ADDRESS --nonce N.",
    {
      code: "channel.unnamed",
    },
  );
}
