import { describe, expect, it } from 'vitest';

import { actorLabel, targetLabel } from './audit-people';

const people = {
  actorId: 'admin-1',
  actorEmail: 'admin@example.test',
  action: 'user.disable',
  details: {},
  targetType: 'user',
  targetId: 'u-2',
  targetEmail: 'ada@example.test',
};

describe('actorLabel', () => {
  it('names the actor by e-mail, the id behind it', () => {
    expect(actorLabel(people)).toEqual({ text: 'admin@example.test', muted: false, id: 'admin-1' });
  });

  it('says "erased user" for an actor whose row is gone, keeping the id', () => {
    expect(actorLabel({ ...people, actorEmail: null })).toEqual({
      text: 'erased user',
      muted: true,
      id: 'admin-1',
    });
  });

  it('says "system" for an event of the system itself, with no actor', () => {
    for (const action of ['retention.purge', 'user.role-change'])
      expect(actorLabel({ ...people, actorId: null, actorEmail: null, action })).toEqual({
        text: 'system',
        muted: true,
      });
  });

  it('shows an outsider’s sign-in event (no account) as unknown, with the name as typed', () => {
    const outsider = { ...people, actorId: null, actorEmail: null };
    expect(
      actorLabel({
        ...outsider,
        action: 'auth.sign-in-blocked',
        details: { reason: 'locked', username: 'eve@x.test' },
      }),
    ).toEqual({ text: 'unknown (typed: eve@x.test)', muted: true });
    expect(
      actorLabel({ ...outsider, action: 'auth.sign-in-activity', details: { eventType: 'SignIn' } }),
    ).toEqual({
      text: 'unknown',
      muted: true,
    });
    // A name that is no text is not shown as one.
    expect(
      actorLabel({ ...outsider, action: 'auth.account-locked', details: { username: { x: 1 } } }).text,
    ).toBe('unknown');
  });
});

describe('targetLabel', () => {
  it('names a user target by e-mail, "erased user" once gone, anything else by its id', () => {
    expect(targetLabel(people)).toEqual({ text: 'ada@example.test', muted: false, id: 'u-2' });
    expect(targetLabel({ ...people, targetEmail: null })).toEqual({
      text: 'erased user',
      muted: true,
      id: 'u-2',
    });
    expect(
      targetLabel({ ...people, targetType: 'conversation', targetId: 'c-1', targetEmail: null }),
    ).toEqual({
      text: 'c-1',
      muted: false,
    });
  });

  it('is null for an event without a target', () => {
    expect(targetLabel({ ...people, targetType: null, targetId: null, targetEmail: null })).toBeNull();
  });
});
