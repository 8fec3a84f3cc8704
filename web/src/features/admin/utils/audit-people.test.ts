import { describe, expect, it } from 'vitest';

import { actorLabel, targetLabel } from './audit-people';

const people = {
  actorId: 'admin-1',
  actorEmail: 'admin@example.test',
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
