// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';

import { escapeHtml, highlightCode, renderMarkdown, sanitizeHtml } from '@/lib/markdown';

/** Renders the blocks into a detached element, as the app does, and returns it. */
function mount(source: string): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = renderMarkdown(source)
    .map((block) => (block.kind === 'html' ? block.html : `<pre><code>${block.html}</code></pre>`))
    .join('');
  return root;
}

/** Every attribute that could run script or style the page, anywhere in the tree. */
function dangerousAttributes(root: HTMLElement): string[] {
  const found: string[] = [];
  for (const element of root.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on') || name === 'style' || name === 'src' || name === 'srcdoc') found.push(name);
      if (/^\s*(javascript|data|vbscript):/i.test(attribute.value)) found.push(`${name}=${attribute.value}`);
    }
  }
  return found;
}

describe('renderMarkdown', () => {
  it('renders Markdown: headings, emphasis, lists, links and tables', () => {
    const root = mount('# Title\n\nSome **bold** and *em*.\n\n- one\n- two\n\n[docs](https://example.com)');
    expect(root.querySelector('h1')?.textContent).toBe('Title');
    expect(root.querySelector('strong')?.textContent).toBe('bold');
    expect(root.querySelectorAll('li')).toHaveLength(2);
    const link = root.querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.com');
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(link?.getAttribute('target')).toBe('_blank');
  });

  it('says to screen readers, in visually hidden words, that a link opens in a new tab', () => {
    // Act
    const root = mount('See [the guide](https://example.com/guide) and <https://example.com/raw>.');

    // Assess: each link's name ends with the note, which only the visually hidden span holds
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => [a.textContent, a.getAttribute('target')])).toEqual([
      ['the guide (opens in a new tab)', '_blank'],
      ['https://example.com/raw (opens in a new tab)', '_blank'],
    ]);
    for (const link of links) {
      expect(link.lastElementChild?.outerHTML).toBe(
        '<span class="visually-hidden"> (opens in a new tab)</span>',
      );
    }
    expect(dangerousAttributes(root)).toEqual([]);
  });

  it("places a reply's headings under the message's h2 for screen readers, keeping the look of their level", () => {
    // Act: every level a model may write
    const root = mount('# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six');

    // Assess: the tag (and so the look) as written; the level said is two lower, never past 6
    const headings = [...root.querySelectorAll('h1, h2, h3, h4, h5, h6')];
    expect(headings.map((h) => [h.tagName, h.getAttribute('aria-level')])).toEqual([
      ['H1', '3'],
      ['H2', '4'],
      ['H3', '5'],
      ['H4', '6'],
      ['H5', '6'],
      ['H6', '6'],
    ]);
  });

  it('adds no note to a link whose address the sanitiser dropped, which opens nothing', () => {
    const root = mount('[click](javascript:alert(1))');
    expect(root.textContent).not.toContain('opens in a new tab');
  });

  it('shows an img tag with an onerror handler as text, creating no element', () => {
    const root = mount('Look: <img src=x onerror="window.__xss=1"> here');
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror="window.__xss=1">');
    expect(dangerousAttributes(root)).toEqual([]);
  });

  it('shows a script block as text and never creates a script element', () => {
    const root = mount('<script>window.__xss = 1</script>\n\nafter');
    expect(root.querySelector('script')).toBeNull();
    expect(root.textContent).toContain('<script>window.__xss = 1</script>');
  });

  it('drops javascript: and data: link targets', () => {
    const root = mount(
      '[click](javascript:alert(1)) [jsent](&#106;avascript:alert(1)) [data](data:text/html,<script>alert(1)</script>) <javascript:alert(1)>',
    );
    expect(dangerousAttributes(root)).toEqual([]);
    for (const link of root.querySelectorAll('a'))
      expect(link.getAttribute('href') ?? '').toMatch(/^(https?:|$)/);
  });

  it('turns images into links, so nothing is fetched from a third party', () => {
    const root = mount('![a cat](https://tracker.example.com/cat.png)');
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('a')?.textContent).toBe('a cat (opens in a new tab)');
  });

  it('strips dangerous markup even from HTML handed to the sanitiser directly', () => {
    const root = document.createElement('div');
    root.innerHTML = sanitizeHtml(
      '<p style="color:red" onclick="x()">hi</p><img src=x onerror=alert(1)><svg onload=alert(1)></svg><iframe src="https://e.com"></iframe><a href="javascript:alert(1)">x</a><form><input></form>',
    );
    expect(root.querySelectorAll('img, svg, iframe, form, input, script')).toHaveLength(0);
    expect(dangerousAttributes(root)).toEqual([]);
    expect(root.querySelector('p')?.textContent).toBe('hi');
  });

  it('splits fenced code into its own block, highlighted and with its language', () => {
    const blocks = renderMarkdown('Intro\n\n```ts\nconst a: number = 1;\n```\n\nOutro');
    expect(blocks.map((b) => b.kind)).toEqual(['html', 'code', 'html']);
    const code = blocks[1];
    expect(code).toMatchObject({ kind: 'code', language: 'ts', code: 'const a: number = 1;' });
    expect(code?.html).toContain('hljs-keyword');
  });

  it('escapes HTML inside code blocks of an unknown language', () => {
    const blocks = renderMarkdown('```weird\n<img src=x onerror=alert(1)>\n```');
    expect(blocks[0]?.html).toBe('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('keeps a code block still being streamed (no closing fence yet) as code', () => {
    expect(renderMarkdown('```python\nprint("hi")').map((b) => b.kind)).toEqual(['code']);
  });
});

describe('helpers', () => {
  it('escapes the five HTML special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('highlights a known language and escapes an unknown one', () => {
    expect(highlightCode('SELECT 1', 'sql')).toContain('hljs-keyword');
    expect(highlightCode('<b>', '')).toBe('&lt;b&gt;');
  });
});
