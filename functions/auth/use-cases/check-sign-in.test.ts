import { describe, expect, it } from 'vitest';

import { SIGN_IN_BLOCKED_MESSAGE, SignInBlockedError } from '../domain/sign-in';
import { makeCheckSignIn } from './check-sign-in';
import { fakeAttempts, fakeEvents, fakeUsers } from '#test/support/fakes/auth';

const now = new Date('2025-01-01T10:00:00Z');

function setup(status: 'active' | 'disabled' = 'active') {
  const attempts = fakeAttempts();
  const users = fakeUsers([{ id: 'sub-1', email: 'Ada@example.com', role: 'members', status }]);
  const events = fakeEvents();
  const checkSignIn = makeCheckSignIn({ attempts, users, events, now: () => now });
  return { attempts, users, events, checkSignIn };
}

describe('checkSignIn', () => {
  it('counts each attempt under the lower-cased e-mail', async () => {
    const { attempts, checkSignIn } = setup();
    await checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'Ada@example.com' });
    expect(attempts.state.get('ada@example.com')?.failedCount).toBe(1);
  });

  it('locks on the 5th attempt, emits a Lockouts metric and audits it', async () => {
    const { events, checkSignIn } = setup();
    for (let i = 0; i < 5; i++)
      await checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'ada@example.com' });
    expect(events.lockouts).toBe(1);
    expect(events.audited.map((e) => e.action)).toEqual(['auth.account-locked']);
    await expect(checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'ada@example.com' })).rejects.toThrow(
      SIGN_IN_BLOCKED_MESSAGE,
    );
    expect(events.audited.at(-1)).toMatchObject({
      action: 'auth.sign-in-blocked',
      actorId: 'sub-1',
      details: { reason: 'locked' },
    });
  });

  it('lets a disabled user on to the password check, counted and audited like any attempt', async () => {
    const { attempts, events, checkSignIn } = setup('disabled');
    await checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'ada@example.com' });
    expect(attempts.state.get('ada@example.com')?.failedCount).toBe(1);
    expect(events.audited).toEqual([
      {
        actorId: 'sub-1',
        action: 'auth.sign-in-blocked',
        targetType: 'user',
        targetId: 'sub-1',
        details: { reason: 'disabled' },
      },
    ]);
  });

  it('names a known person by id only, never by the address typed (an erasure must leave none in the trail)', async () => {
    const { events, checkSignIn } = setup();
    for (let i = 0; i < 6; i++)
      await checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'Ada@example.com' }).catch(() => undefined);

    expect(events.audited.map((e) => e.action)).toEqual(['auth.account-locked', 'auth.sign-in-blocked']);
    for (const event of events.audited) expect(event.targetId).toBe('sub-1');
    expect(JSON.stringify(events.audited).toLowerCase()).not.toContain('ada@example.com');
  });

  it('locks a disabled account after 5 attempts like any other, then refuses it as locked', async () => {
    const { events, checkSignIn } = setup('disabled');
    for (let i = 0; i < 5; i++)
      await checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'ada@example.com' });
    const error = await checkSignIn({ username: 'sub-1', sub: 'sub-1', email: 'ada@example.com' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignInBlockedError);
    expect((error as SignInBlockedError).reason).toBe('locked');
    expect((error as Error).message).toBe(SIGN_IN_BLOCKED_MESSAGE);
    expect(events.lockouts).toBe(1);
  });

  it('counts and locks names that do not exist, so lockout reveals nothing', async () => {
    const { events, checkSignIn } = setup();
    for (let i = 0; i < 5; i++) await checkSignIn({ username: 'Nobody@Example.com' });
    await expect(checkSignIn({ username: 'nobody@example.com' })).rejects.toThrow(SIGN_IN_BLOCKED_MESSAGE);
    expect(events.audited.at(-1)).toMatchObject({
      actorId: null,
      details: { username: 'nobody@example.com' },
    });
  });
});
