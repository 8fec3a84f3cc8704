import { RateLimitedError } from '#shared/errors';

/**
 * Downloads one person may have in flight at once. A download holds a function instance for as
 * long as its client takes to read it (up to the streaming integration's 5 minutes), so without
 * a bound one person's scripts, or a client that opens downloads and reads nothing, could take
 * every instance the exports function may run and keep everyone else's exports waiting. Three
 * leave room for both formats of a conversation and one more.
 */
export const DOWNLOADS_IN_FLIGHT_PER_OWNER = 3;

/**
 * 429: the owner has as many downloads in flight as they may. Its problem type is
 * `rate-limited`, as every 429's: the detail says which limit.
 */
export class DownloadsInFlightError extends RateLimitedError {
  constructor(limit: number) {
    super(
      `You have reached the limit of ${limit} downloads at once; wait for one to end, then download again.`,
      5,
    );
  }
}
