import { listingStatusCommand } from "./status.js";

export default listingStatusCommand("retire", "retire a listing for good: never bookable again (provider)");
