// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConsoleHeader } from '@/features/admin/components/console-header';
import { NotAllowed } from '@/features/admin/components/not-allowed';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;

beforeEach(() => {
  document.title = 'Parley';
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
});

describe('the title of a console page', () => {
  it('names the browser tab after the page, so a screen reader says where the link went', () => {
    // Act
    act(() => root.render(createElement(ConsoleHeader, { id: 'usage-heading', title: 'Usage' })));

    // Assess
    expect(document.title).toBe('Usage – Parley');

    // Act and assess: another page of the console
    act(() => root.render(createElement(ConsoleHeader, { id: 'audit-heading', title: 'Audit log' })));
    expect(document.title).toBe('Audit log – Parley');
  });

  it('says so of a page the role may not see', () => {
    act(() => root.render(createElement(NotAllowed)));

    expect(document.title).toBe('Not allowed – Parley');
  });
});
