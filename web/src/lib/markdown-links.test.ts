// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';

import { renderMarkdown } from '@/lib/markdown';

/** A reply's HTML, read back as the DOM the browser builds from it. */
function dom(source: string): HTMLElement {
  const element = document.createElement('div');
  element.innerHTML = renderMarkdown(source)
    .map((block) => block.html)
    .join('');
  return element;
}

/** A link's words as shown, without the visually hidden note that it opens in a new tab. */
function shownWords(link: Element): string | null {
  const copy = link.cloneNode(true) as Element;
  copy.querySelector('.visually-hidden')?.remove();
  return copy.textContent;
}

describe('renderMarkdown, images inside links', () => {
  it('shows a linked image (a badge) as its words, linked where the link goes, with no empty link', () => {
    // Act
    const out = dom(
      '[![Build status](https://ci.example.com/badge.svg)](https://ci.example.com/run/7) passes',
    );

    // Assess: one link, named by the image's words, to the link's address
    const links = [...out.querySelectorAll('a')];
    expect(links.map((a) => [shownWords(a), a.getAttribute('href')])).toEqual([
      ['Build status', 'https://ci.example.com/run/7'],
    ]);
    expect(out.querySelector('img')).toBeNull();
    expect(links[0]?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
  });

  it('names a linked image without words by its address, and keeps the words around it', () => {
    const out = dom('[see ![](https://example.com/a.png) here](https://example.com/page)');

    const links = [...out.querySelectorAll('a')];
    expect(links.map((a) => [shownWords(a), a.getAttribute('href')])).toEqual([
      ['see https://example.com/a.png here', 'https://example.com/page'],
    ]);
  });

  it('escapes the words of a linked image', () => {
    const out = dom('[![<b>x</b> & y](https://example.com/b.png)](https://example.com/)');

    expect(out.querySelector('b')).toBeNull();
    const link = out.querySelector('a');
    expect(link && shownWords(link)).toBe('<b>x</b> & y');
  });
});
