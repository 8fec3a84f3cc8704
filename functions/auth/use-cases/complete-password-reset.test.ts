import { describe, expect, it } from 'vitest';

import { fakeEvents, fakeSessions, fakeUsers } from '#test/support/fakes/auth';
import { SessionsNotEndedError } from '../domain/identity-drift';
import { makeCompletePasswordReset } from './complete-password-reset';

function setUp() {
  const users = fakeUsers([{ id: 'sub-1', email: 'ada@example.com', role: 'members', status: 'active' }]);
  const events = fakeEvents();
  const sessions = fakeSessions();
  /** What was asked of Cognito and of the revocation list, in order (asked, not necessarily done). */
  const calls: string[] = [];
  const complete = makeCompletePasswordReset({
    users,
    events,
    sessions: {
      async signOutEverywhere(username) {
        calls.push(`sign out ${username}`);
        await sessions.signOutEverywhere(username);
      },
    },
    revocations: {
      async revokeTokens(id) {
        calls.push(`revoke ${id}`);
      },
    },
  });
  return { users, events, sessions, calls, complete };
}

describe('completePasswordReset', () => {
  it("ends the user's earlier sessions: refresh tokens at Cognito, then access tokens at the API; audited", async () => {
    // Prepare
    const { events, sessions, calls, complete } = setUp();

    // Act
    await complete({ sub: 'sub-1', email: 'ada@example.com', username: 'cognito-name-1' });

    // Assess: the revocation's instant follows the sign-out, so a token refreshed meanwhile is refused too.
    expect(calls).toEqual(['sign out cognito-name-1', 'revoke sub-1']);
    expect(sessions.state.signedOut).toEqual(['cognito-name-1']);
    expect(events.audited).toEqual([
      { actorId: 'sub-1', action: 'auth.password-reset', targetType: 'user', targetId: 'sub-1' },
    ]);
  });

  it('provisions the row of a user the database did not know yet, and ends their sessions too', async () => {
    const { users, events, sessions, calls, complete } = setUp();
    await complete({ sub: 'sub-2', email: 'bob@example.com', username: 'sub-2' });
    expect(users.rows.get('sub-2')).toMatchObject({ email: 'bob@example.com', status: 'active' });
    expect(calls).toEqual(['sign out sub-2', 'revoke sub-2']);
    expect(sessions.state.signedOut).toEqual(['sub-2']);
    expect(events.audited.map((e) => e.action)).toEqual(['user.provisioned', 'auth.password-reset']);
  });

  it('still refuses the old access tokens when Cognito cannot end the sessions, and fails unaudited as identity drift', async () => {
    // Prepare
    const { events, sessions, calls, complete } = setUp();
    sessions.state.failing = true;

    // Act
    const error = await complete({ sub: 'sub-1', email: 'ada@example.com', username: 'sub-1' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(calls).toEqual(['sign out sub-1', 'revoke sub-1']);
    expect(error).toBeInstanceOf(SessionsNotEndedError);
    expect(error).toMatchObject({ ids: { userId: 'sub-1' }, cause: { name: 'TooManyRequestsException' } });
    expect(events.audited).toEqual([]);
  });
});
