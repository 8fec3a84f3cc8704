// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { QuotaMeter } from '@/features/me/components/quota-meter';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;

beforeEach(() => {
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
});

function render(usedTokens: number, monthlyTokens = 1_000): void {
  act(() => root.render(createElement(QuotaMeter, { quota: { usedTokens, monthlyTokens } })));
}

/** The polite live region of the meter: there must be exactly one. */
function liveRegion(): HTMLElement {
  const regions = document.querySelectorAll<HTMLElement>('[data-testid="quota"] [role="status"]');
  expect(regions).toHaveLength(1);
  const [region] = regions;
  if (!region) throw new Error('no live region');
  return region;
}

describe('QuotaMeter note', () => {
  it('is a polite live region already on the page before it has anything to say', () => {
    // Prepare: well within the quota
    render(100);
    const region = liveRegion();

    // Assess: there, and silent (a region added with its text is not announced by every reader)
    expect(region.getAttribute('aria-live') ?? 'polite').toBe('polite');
    expect(region.textContent).toBe('');

    // Act: nearly used up, then used up
    render(850);

    // Assess: the same region says so, then says the quota is used up
    expect(liveRegion()).toBe(region);
    expect(region.textContent).toBe('Most of your monthly quota is used.');
    render(1_000);
    expect(liveRegion()).toBe(region);
    expect(region.textContent).toBe('Your monthly quota is used up. Ask an admin for more.');
  });

  it('is not changed, so not announced again, when the numbers move within the same state', () => {
    // Prepare
    render(1_000);
    const region = liveRegion();
    const changes: MutationRecord[] = [];
    const observer = new MutationObserver((records) => changes.push(...records));
    observer.observe(region, { childList: true, characterData: true, subtree: true, attributes: true });

    // Act: more replies, the quota still used up; and a render with nothing new
    render(1_200);
    render(1_200);
    const seen = [...changes, ...observer.takeRecords()];
    observer.disconnect();

    // Assess
    expect(seen).toEqual([]);
    expect(region.textContent).toBe('Your monthly quota is used up. Ask an admin for more.');
  });

  it('falls silent when an admin raises the quota', () => {
    render(1_000);
    const region = liveRegion();

    render(1_000, 10_000);

    expect(liveRegion()).toBe(region);
    expect(region.textContent).toBe('');
  });
});
