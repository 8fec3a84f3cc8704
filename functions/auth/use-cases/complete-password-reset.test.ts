import { describe, expect, it } from 'vitest';

import { fakeEvents, fakeSessions, fakeUsers } from '#test/support/fakes/auth';
import { makeCompletePasswordReset } from './complete-password-reset';

const at = new Date('2026-12-02T05:30:00.000Z');

function setUp() {
  const users = fakeUsers([{ id: 'sub-1', email: 'ada@example.com', role: 'members', status: 'active' }]);
  const events = fakeEvents();
  const sessions = fakeSessions();
  const forgotten: string[] = [];
  const complete = makeCompletePasswordReset({
    users,
    events,
    sessions,
    forgetStanding: async (id) => {
      forgotten.push(id);
    },
    now: () => at,
  });
  return { users, events, sessions, forgotten, complete };
}

describe('completePasswordReset', () => {
  it("ends the user's earlier sessions: refresh tokens at Cognito, access tokens at the API; audited", async () => {
    const { users, events, sessions, forgotten, complete } = setUp();

    await complete({ sub: 'sub-1', email: 'ada@example.com', username: 'cognito-name-1' });

    expect(users.revoked.get('sub-1')).toEqual(at);
    expect(forgotten).toEqual(['sub-1']);
    expect(sessions.state.signedOut).toEqual(['cognito-name-1']);
    expect(events.audited).toEqual([
      { actorId: 'sub-1', action: 'auth.password-reset', targetType: 'user', targetId: 'sub-1' },
    ]);
  });

  it('provisions the row of a user the database did not know yet, and ends their sessions too', async () => {
    const { users, events, sessions, complete } = setUp();
    await complete({ sub: 'sub-2', email: 'bob@example.com', username: 'sub-2' });
    expect(users.rows.get('sub-2')).toMatchObject({ email: 'bob@example.com', status: 'active' });
    expect(users.revoked.has('sub-2')).toBe(true);
    expect(sessions.state.signedOut).toEqual(['sub-2']);
    expect(events.audited.map((e) => e.action)).toEqual(['user.provisioned', 'auth.password-reset']);
  });

  it('fails, unaudited, when Cognito cannot end the sessions (the API refuses the old access tokens already)', async () => {
    const { users, events, sessions, complete } = setUp();
    sessions.state.failing = true;
    await expect(
      complete({ sub: 'sub-1', email: 'ada@example.com', username: 'sub-1' }),
    ).rejects.toMatchObject({
      name: 'TooManyRequestsException',
    });
    expect(users.revoked.get('sub-1')).toEqual(at);
    expect(events.audited).toEqual([]);
  });
});
