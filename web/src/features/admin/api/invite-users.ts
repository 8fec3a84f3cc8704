import { ApiError, apiErrorMessage } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import type { AdminRole, AdminUser } from '@/features/admin/api/admin-user-schema';
import { inviteUser } from '@/features/admin/api/invite-user';

export type InviteOutcome =
  | { readonly email: string; readonly status: 'invited'; readonly user: AdminUser }
  | { readonly email: string; readonly status: 'failed'; readonly message: string }
  /** Not sent: an earlier refusal applies to every address (limit, rate, session). */
  | { readonly email: string; readonly status: 'not-tried' };

/**
 * Refusals that would meet every address after this one: Cognito's e-mail limit or an
 * unreachable Cognito (503), the API's rate (429), a session that ended (401).
 */
const stopsTheBatch = (error: unknown) => error instanceof ApiError && [401, 429, 503].includes(error.status);

/**
 * Invites each address in the role, one request after the other, telling `onOutcome` as each one
 * ends. An address already in use or refused on its own is reported and the next one goes on; a
 * refusal that would meet them all stops there and leaves the rest `not-tried`.
 */
export async function inviteEach(
  api: ApiClient,
  addresses: readonly string[],
  role: AdminRole,
  onOutcome: (outcome: InviteOutcome, index: number) => void = () => undefined,
): Promise<InviteOutcome[]> {
  const outcomes: InviteOutcome[] = [];
  let stopped = false;
  for (const [index, email] of addresses.entries()) {
    let outcome: InviteOutcome;
    if (stopped) {
      outcome = { email, status: 'not-tried' };
    } else {
      try {
        outcome = { email, status: 'invited', user: await inviteUser(api, { email, role }) };
      } catch (error) {
        outcome = { email, status: 'failed', message: apiErrorMessage(error) };
        stopped = stopsTheBatch(error);
      }
    }
    outcomes.push(outcome);
    onOutcome(outcome, index);
  }
  return outcomes;
}
