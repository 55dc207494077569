import { listingStatusCommand } from "./status.js";

export default listingStatusCommand("pause", "pause a listing: no new orders; running orders go on (provider)");
