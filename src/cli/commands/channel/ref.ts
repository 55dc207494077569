/** How the payer's channel commands name a channel: the payer agent's store and the channel id, or payee and nonce. */
import type { Address, Hex } from "viem";

import { UsageError } from "../../../core/errors.js";
import type { ChannelRef } from "../../../ops/channels.js";
import type { OptionDecl } from "../../command.js";
import { address, bytes32, existingFile, uint } from "../../parse.js";

export interface ChannelOptions {
  store?: string;
  channel?: Hex;
  payee?: Address;
  nonce?: bigint;
}

export const CHANNEL_OPTIONS: readonly OptionDecl[] = [
  { flags: "--store <file>", description: "the channel payer agent's SQLite store", parse: existingFile },
  { flags: "--channel <id>", description: "the channel id (with --store)", parse: bytes32 },
  { flags: "--payee <address>", description: "or the channel's payee (with --nonce)", parse: address },
  { flags: "--nonce <n>", description: "and its nonce, from its ChannelOpened event", parse: uint(96) },
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
