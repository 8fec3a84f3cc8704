// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { CodeBlock } from '@/features/chat/components/code-block';

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

function renderCode(language: string) {
  const code = `print("${'a'.repeat(200)}")`;
  act(() => root.render(createElement(CodeBlock, { language, code, html: code })));
  const pre = document.querySelector('pre');
  if (!pre) throw new Error('no pre');
  return pre;
}

describe('CodeBlock', () => {
  it('lets the keyboard reach its code, which may scroll sideways, as a region named by its language', () => {
    // Act
    const pre = renderCode('python');

    // Assess: a tab stop (arrow keys then scroll it in every browser), said as what it is
    expect(pre.tabIndex).toBe(0);
    expect(pre.getAttribute('role')).toBe('region');
    expect(pre.getAttribute('aria-label')).toBe('python code');
  });

  it('names code of no language "Code"', () => {
    expect(renderCode('').getAttribute('aria-label')).toBe('Code');
  });
});
