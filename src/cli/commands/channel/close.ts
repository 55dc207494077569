import { closeChannel, type ChannelClosing } from "../../../ops/channels.js";
import { signedCommand } from "../../command.js";
import { renderChannelClosing } from "../../render/orders.js";
import { CHANNEL_OPTIONS, channelRef, type ChannelOptions } from "./ref.js";

export default signedCommand<ChannelOptions, ChannelClosing>({
  name: "close",
  summary: "start closing a channel alone: the payee may claim for the challenge period, then settle (payer)",
  options: CHANNEL_OPTIONS,
  job: (ops, wallet, options) => closeChannel(ops, wallet, channelRef(options)),
  render: renderChannelClosing,
});
