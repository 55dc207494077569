import { listingStatusCommand } from "./status.js";

export default listingStatusCommand("resume", "resume a paused listing: bookable again (provider)");
