/**
 * How the app looks again at a reply the server is still writing after the app stopped listening
 * (a reload, a lost connection, another tab's send): every second for the first minute, when most
 * replies end, then every 5 seconds. It goes on for 7 minutes, past the moment the server calls a
 * reply whose writer died interrupted (6 minutes without a save, REPLY_ABANDONED_AFTER_MINUTES in
 * the API), so a view left open never stays "being written" with its composer held.
 */
export const REPLY_POLL_FAST_MS = 1_000;
export const REPLY_POLL_FAST_FOR_MS = 60_000;
export const REPLY_POLL_SLOW_MS = 5_000;
export const REPLY_POLL_FOR_MS = 7 * 60_000;

/** The wait before poll number `polls + 1` (`polls` made so far), or null when it is time to give up. */
export function nextReplyPoll(polls: number): number | null {
  const fast = REPLY_POLL_FAST_FOR_MS / REPLY_POLL_FAST_MS;
  if (!Number.isSafeInteger(polls) || polls < 0) return null;
  if (polls < fast) return REPLY_POLL_FAST_MS;
  const slow = (REPLY_POLL_FOR_MS - REPLY_POLL_FAST_FOR_MS) / REPLY_POLL_SLOW_MS;
  return polls < fast + slow ? REPLY_POLL_SLOW_MS : null;
}
