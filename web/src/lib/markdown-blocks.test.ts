// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';

import { renderMarkdown } from '@/lib/markdown';

/** Model replies as people write them: task lists, bare images, code inside lists. */
const html = (source: string) =>
  renderMarkdown(source)
    .map((b) => b.html)
    .join('');

describe('renderMarkdown, less common blocks', () => {
  it('shows task-list items as ticked and unticked boxes, with no form control', () => {
    const out = html('- [x] write tests\n- [ ] ship');
    expect(out).toContain('☑ write tests');
    expect(out).toContain('☐ ship');
    expect(out).not.toContain('<input');
  });

  it('links an image without alt text by its address', () => {
    const out = html('![](https://example.com/cat.png)');
    expect(out).toMatch(
      /<a href="https:\/\/example\.com\/cat\.png"[^>]*>https:\/\/example\.com\/cat\.png<span class="visually-hidden"> \(opens in a new tab\)<\/span><\/a>/,
    );
    expect(out).not.toContain('<img');
  });

  it('highlights code inside a list in place, even without a language', () => {
    const blocks = renderMarkdown('- step:\n\n  ```\n  <b>x</b>\n  ```');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.kind).toBe('html');
    expect(blocks[0]?.html).toContain('<pre><code class="hljs">&lt;b&gt;x&lt;/b&gt;');
  });

  it('takes the first word of a fence info string as the language', () => {
    const [block] = renderMarkdown('```TS title="a.ts"\nconst a = 1;\n```');
    expect(block).toMatchObject({ kind: 'code', language: 'ts', code: 'const a = 1;' });
  });
});

describe('renderMarkdown, text the Markdown reader cannot read', () => {
  it.each(['- a\n  > - \nb', '1. a\n    > - \nb'])(
    'shows %j as plain escaped paragraphs instead of throwing',
    (source) => {
      const blocks = renderMarkdown(`${source}\n\n<script>x</script> & more`);
      expect(blocks).toHaveLength(1);
      const out = blocks[0]?.html ?? '';
      expect(out).toMatch(/^<p>(- |1\. )a<br>/);
      expect(out).toContain('&lt;script&gt;x&lt;/script&gt; &amp; more');
      expect(out).not.toContain('<script');
    },
  );
});
