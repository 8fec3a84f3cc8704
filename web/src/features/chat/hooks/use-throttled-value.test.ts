// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useThrottledValue } from '@/features/chat/hooks/use-throttled-value';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Every value the hook gave, render by render. */
let seen: string[];
let root: Root;

function Probe({ value }: { value: string }): null {
  const shown = useThrottledValue(value, 120);
  if (seen.at(-1) !== shown) seen.push(shown);
  return null;
}

function show(value: string) {
  act(() => root.render(createElement(Probe, { value })));
}

beforeEach(() => {
  vi.useFakeTimers();
  seen = [];
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('useThrottledValue', () => {
  it('shows the first change at once, then one value per interval however many come, ending on the last', () => {
    // Prepare
    show('');

    // Act: a reply streaming 200 pieces within one interval
    let reply = '';
    for (let i = 0; i < 200; i++) {
      reply += `word${i} `;
      show(reply);
    }

    // Assess: the first piece at once, none of the 199 that followed yet
    expect(seen).toEqual(['', 'word0 ']);

    // Act and assess: at the interval's end, the latest value, and only it
    act(() => vi.advanceTimersByTime(120));
    expect(seen).toEqual(['', 'word0 ', reply]);
  });

  it('shows a change after a quiet spell at once', () => {
    show('a');
    act(() => vi.advanceTimersByTime(1_000));
    show('ab');
    expect(seen).toEqual(['a', 'ab']);
  });
});
