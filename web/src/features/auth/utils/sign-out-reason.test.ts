import { describe, expect, it } from 'vitest';

import {
  noteSignOutReason,
  SHARED_REASON_KEY,
  sharedSignOutReason,
  takeSignOutReason,
} from '@/features/auth/utils/sign-out-reason';

function memoryStorage() {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
  };
}

const now = 1_700_000_000_000;

describe('sign-out reasons', () => {
  it('are taken once in the tab that signed out', () => {
    // Prepare
    noteSignOutReason('idle', memoryStorage(), now);

    // Act
    const first = takeSignOutReason();
    const second = takeSignOutReason();

    // Assess
    expect(first).toBe('idle');
    expect(second).toBeNull();
  });

  it('explain to the other tabs a sign-out they see just after, as their own did not happen', () => {
    // Prepare
    const storage = memoryStorage();
    noteSignOutReason('signed-out-everywhere', storage, now);
    takeSignOutReason();

    // Act
    const seen = sharedSignOutReason(storage, now + 2_000);

    // Assess
    expect(seen).toBe('signed-out-everywhere');
  });

  it('are not taken for a sign-out long after, nor from anything unexpected in storage', () => {
    const storage = memoryStorage();
    noteSignOutReason('idle', storage, now);
    takeSignOutReason();
    expect(sharedSignOutReason(storage, now + 31_000)).toBeNull();
    expect(sharedSignOutReason(storage, now - 1_000)).toBeNull();
    for (const stored of ['nonsense', '{"reason":"toString","at":1700000000000}', '{"reason":"idle"}', '7']) {
      storage.values.set(SHARED_REASON_KEY, stored);
      expect(sharedSignOutReason(storage, now)).toBeNull();
    }
    expect(sharedSignOutReason(undefined, now)).toBeNull();
  });
});
