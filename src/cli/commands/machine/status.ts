/** Pause, resume and retire share their shape: a listing, and the status it should be in. */
import { changeListing, type ListingAction, type ListingChange } from "../../../ops/listings.js";
import { signedCommand, type AnyCommand } from "../../command.js";
import { machineOption } from "../../options.js";
import { renderListingChange } from "../../render/listings.js";

export function listingStatusCommand(action: ListingAction, summary: string): AnyCommand {
  return signedCommand<{ machine: bigint }, ListingChange>({
    name: action,
    summary,
    options: [machineOption],
    job: (ops, wallet, options) => changeListing(ops, wallet, options.machine, action),
    render: renderListingChange,
  });
}
