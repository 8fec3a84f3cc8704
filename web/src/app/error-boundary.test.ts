// @vitest-environment jsdom
import { act, createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ErrorBoundary } from '@/app/error-boundary';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A page whose effect throws, as a malformed link once did. */
function Broken(): null {
  useEffect(() => {
    throw new URIError('URI malformed');
  }, []);
  return null;
}

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

describe('ErrorBoundary', () => {
  it('shows a short message with a way to reload, instead of a blank page, when the app fails', async () => {
    // Prepare
    const console = vi.spyOn(globalThis.console, 'error').mockImplementation(() => undefined);
    const container = document.body.appendChild(document.createElement('div'));
    const root = createRoot(container);

    // Act
    await act(async () => root.render(createElement(ErrorBoundary, null, createElement(Broken))));

    // Assess
    const alert = container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('Something went wrong');
    expect(alert?.textContent).toContain('Reload the page');
    expect(alert?.textContent).not.toContain('URI malformed');
    expect(container.querySelector('button')?.textContent).toBe('Reload');
    expect(console).toHaveBeenCalled();
    act(() => root.unmount());
  });

  it('shows the app itself while nothing fails', async () => {
    // Prepare
    const container = document.body.appendChild(document.createElement('div'));
    const root = createRoot(container);

    // Act
    await act(async () =>
      root.render(createElement(ErrorBoundary, null, createElement('p', null, 'Parley'))),
    );

    // Assess
    expect(container.textContent).toBe('Parley');
    act(() => root.unmount());
  });
});
