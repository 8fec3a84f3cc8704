import { useEffect, useRef, useState } from 'react';

/**
 * `value`, changing at most once every `intervalMs`: the first change after a quiet spell shows
 * at once, the ones that follow within the interval give way to the latest, shown at its end. So a
 * view of the value (a streamed reply's Markdown, rendered whole each time) costs one render per
 * interval however fast the value changes, and always comes to show its last value.
 */
export function useThrottledValue<T>(value: T, intervalMs: number): T {
  const [shown, setShown] = useState(value);
  /** When `shown` last changed (0: never, so the first change shows at once). */
  const changedAt = useRef(0);

  useEffect(() => {
    if (Object.is(value, shown)) return;
    const show = () => {
      changedAt.current = Date.now();
      setShown(() => value);
    };
    const wait = changedAt.current + intervalMs - Date.now();
    if (wait <= 0) {
      show();
      return;
    }
    const timer = window.setTimeout(show, wait);
    return () => window.clearTimeout(timer);
  }, [value, shown, intervalMs]);

  return shown;
}
