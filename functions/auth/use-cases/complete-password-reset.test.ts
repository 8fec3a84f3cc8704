import { describe, expect, it } from 'vitest';

import { fakeEvents, fakeSessions, fakeUsers } from '#test/support/fakes/auth';
import { makeCompletePasswordReset } from './complete-password-reset';

function setUp() {
  const users = fakeUsers([{ id: 'sub-1', email: 'ada@example.com', role: 'members', status: 'active' }]);
  const events = fakeEvents();
  const sessions = fakeSessions();
  /** Whose access tokens were revoked, in order, and what Cognito had been asked by then. */
  const revoked: { id: string; signedOutBefore: string[] }[] = [];
  const complete = makeCompletePasswordReset({
    users,
    events,
    sessions,
    revocations: {
      async revokeTokens(id) {
        revoked.push({ id, signedOutBefore: [...sessions.state.signedOut] });
      },
    },
  });
  return { users, events, sessions, revoked, complete };
}

describe('completePasswordReset', () => {
  it("ends the user's earlier sessions: access tokens at the API, then refresh tokens at Cognito; audited", async () => {
    const { events, sessions, revoked, complete } = setUp();

    await complete({ sub: 'sub-1', email: 'ada@example.com', username: 'cognito-name-1' });

    expect(revoked).toEqual([{ id: 'sub-1', signedOutBefore: [] }]);
    expect(sessions.state.signedOut).toEqual(['cognito-name-1']);
    expect(events.audited).toEqual([
      { actorId: 'sub-1', action: 'auth.password-reset', targetType: 'user', targetId: 'sub-1' },
    ]);
  });

  it('provisions the row of a user the database did not know yet, and ends their sessions too', async () => {
    const { users, events, sessions, revoked, complete } = setUp();
    await complete({ sub: 'sub-2', email: 'bob@example.com', username: 'sub-2' });
    expect(users.rows.get('sub-2')).toMatchObject({ email: 'bob@example.com', status: 'active' });
    expect(revoked.map((r) => r.id)).toEqual(['sub-2']);
    expect(sessions.state.signedOut).toEqual(['sub-2']);
    expect(events.audited.map((e) => e.action)).toEqual(['user.provisioned', 'auth.password-reset']);
  });

  it('fails, unaudited, when Cognito cannot end the sessions (the API refuses the old access tokens already)', async () => {
    const { events, sessions, revoked, complete } = setUp();
    sessions.state.failing = true;
    await expect(
      complete({ sub: 'sub-1', email: 'ada@example.com', username: 'sub-1' }),
    ).rejects.toMatchObject({
      name: 'TooManyRequestsException',
    });
    expect(revoked.map((r) => r.id)).toEqual(['sub-1']);
    expect(events.audited).toEqual([]);
  });
});
