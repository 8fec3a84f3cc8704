// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { HomePage } from '@/app/home-page';
import type { Me } from '@/features/me/api/get-me';

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

function me(displayName: string | null): Me {
  return {
    id: 'u1',
    email: 'someone@example.com',
    displayName,
    role: null,
    mfaEnabled: false,
    quota: { monthlyTokens: 1_000, usedTokens: 0 },
  };
}

function greetingHeading(displayName: string | null): HTMLHeadingElement {
  act(() => root.render(createElement(HomePage, { meState: { status: 'ready', me: me(displayName) } })));
  const heading = document.querySelector('h1');
  if (!heading) throw new Error('no heading');
  return heading;
}

describe('HomePage greeting', () => {
  it.each([
    ['Hebrew', 'דוד לוי'],
    ['Arabic', 'ليلى 2'],
    ['Latin', 'Ada Lovelace'],
  ])('isolates the name (%s), so its direction cannot reorder the sentence around it', (_script, name) => {
    // Act
    const heading = greetingHeading(name);

    // Assess: the name alone in its own bidirectional isolate (<bdi>), the words around it outside
    const isolates = heading.querySelectorAll('bdi');
    expect(isolates).toHaveLength(1);
    expect(isolates[0]?.textContent).toBe(name);
    expect(heading.textContent).toBe(`Hello, ${name}`);
  });

  it('says hello without a name, with nothing to isolate', () => {
    const heading = greetingHeading(null);

    expect(heading.textContent).toBe('Hello');
    expect(heading.querySelector('bdi')).toBeNull();
  });

  it('names the browser tab after the page', () => {
    greetingHeading('Ada Lovelace');

    expect(document.title).toBe('Your account – Parley');
  });
});
