import { useCallback, useLayoutEffect, useMemo, useRef } from 'react';
import type { RefObject } from 'react';

/** How close to the bottom still counts as "at the bottom", in pixels. */
const SLACK = 48;

export interface AutoScroll {
  readonly ref: RefObject<HTMLDivElement | null>;
  onScroll(): void;
  /** Follow the bottom again, e.g. after the user sends a message. */
  follow(): void;
  /** Stop following, e.g. while a linked message is shown. */
  release(): void;
}

/**
 * Keeps a scroll container at its bottom as content arrives, until the user scrolls up to read;
 * scrolling back down resumes it.
 */
export function useAutoScroll(content: unknown): AutoScroll {
  const ref = useRef<HTMLDivElement | null>(null);
  const following = useRef(true);

  const onScroll = useCallback(() => {
    const element = ref.current;
    if (!element) return;
    following.current = element.scrollHeight - element.scrollTop - element.clientHeight <= SLACK;
  }, []);

  useLayoutEffect(() => {
    const element = ref.current;
    if (element && following.current) element.scrollTop = element.scrollHeight;
  }, [content]);

  const follow = useCallback(() => {
    following.current = true;
    const element = ref.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, []);

  const release = useCallback(() => {
    following.current = false;
  }, []);

  return useMemo(() => ({ ref, onScroll, follow, release }), [onScroll, follow, release]);
}
