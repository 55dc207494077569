import { settleChannel, type ChannelClosing } from "../../../ops/channels.js";
import { signedCommand } from "../../command.js";
import { renderChannelClosing } from "../../render/orders.js";
import { CHANNEL_OPTIONS, channelRef, type ChannelOptions } from "./ref.js";

export default signedCommand<ChannelOptions, ChannelClosing>({
  name: "settle",
  summary: "settle a channel past its deadline: what the payee did not claim comes back (payer, or anyone)",
  options: CHANNEL_OPTIONS,
  job: (ops, wallet, options) => settleChannel(ops, wallet, channelRef(options)),
  render: renderChannelClosing,
});
