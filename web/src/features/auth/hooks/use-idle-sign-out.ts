import { useCallback, useEffect, useRef, useState } from 'react';

import {
  ACTIVITY_KEY,
  idleOnArrival,
  idleState,
  noteActivity,
  readActivity,
} from '@/features/auth/utils/idle';
import type { IdleState } from '@/features/auth/utils/idle';
import { sharedStorage } from '@/features/auth/utils/shared-storage';

/** What counts as the person being there. */
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;
/** Activity is written for the other tabs at most this often. */
const WRITE_EVERY_MS = 5_000;

/**
 * Calls `onIdle` once nobody has used any tab of the app for `timeoutMs` (null: never), and says
 * when a warning is due; `stay` counts as activity (the warning's "Stay signed in").
 */
export function useIdleSignOut(timeoutMs: number | null, onIdle: () => void) {
  const [state, setState] = useState<IdleState>({ kind: 'active' });
  const last = useRef(Date.now());
  const written = useRef(0);
  const idle = useRef(onIdle);
  idle.current = onIdle;

  const note = useCallback((now: number) => {
    last.current = now;
    if (now - written.current < WRITE_EVERY_MS) return;
    written.current = now;
    noteActivity(sharedStorage(), now);
  }, []);

  useEffect(() => {
    if (timeoutMs === null) return;
    const start = Date.now();
    // Before this tab notes its own arrival: a session left alone for the whole timeout with
    // every tab closed (or discarded by the browser) ends now, not a timeout from now.
    if (idleOnArrival(sharedStorage(), start, timeoutMs)) {
      idle.current();
      return;
    }
    note(start);
    const onActivity = () => note(Date.now());
    const onStorage = (event: StorageEvent) => {
      if (event.key === ACTIVITY_KEY) last.current = Math.max(last.current, readActivity(sharedStorage(), 0));
    };
    for (const name of ACTIVITY_EVENTS) window.addEventListener(name, onActivity, { passive: true });
    window.addEventListener('storage', onStorage);
    let ended = false;
    const timer = window.setInterval(() => {
      const now = Date.now();
      const shared = Math.max(last.current, readActivity(sharedStorage(), 0));
      const next = idleState(shared, now, timeoutMs);
      setState((previous) =>
        previous.kind === next.kind &&
        (next.kind !== 'warning' ||
          (previous.kind === 'warning' && previous.secondsLeft === next.secondsLeft))
          ? previous
          : next,
      );
      if (next.kind === 'expired' && !ended) {
        ended = true;
        idle.current();
      }
    }, 1_000);
    return () => {
      window.clearInterval(timer);
      for (const name of ACTIVITY_EVENTS) window.removeEventListener(name, onActivity);
      window.removeEventListener('storage', onStorage);
    };
  }, [timeoutMs, note]);

  const stay = useCallback(() => {
    // Written at once, so the other tabs see it too.
    written.current = 0;
    note(Date.now());
    setState({ kind: 'active' });
  }, [note]);

  return { state, stay };
}
