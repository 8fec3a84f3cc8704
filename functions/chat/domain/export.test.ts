import fc from 'fast-check';
import { Marked, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { exportFileName, jsonExport, markdownExport, type MessagePages } from './export';
import type { Message } from './message';

const message = (overrides: Partial<Message>): Message => ({
  id: 'm1',
  conversationId: 'c1',
  role: 'user',
  content: 'Hello',
  status: 'complete',
  model: null,
  usage: { promptTokens: 0, completionTokens: 0 },
  error: null,
  stopped: false,
  truncated: false,
  createdAt: '2026-12-01T08:00:00.000Z',
  ...overrides,
});

describe('exportFileName', () => {
  it('keeps letters, digits and dashes of the title, lower-cased', () => {
    expect(exportFileName('Q3 Offsite: Plan & Budget!', 'markdown')).toBe('q3-offsite-plan-budget.md');
    expect(exportFileName('Café_menu', 'json')).toBe('cafe-menu.json');
  });

  it('joins words with one dash, however many spaces and dashes were between them', () => {
    expect(exportFileName('Q&A - notes', 'markdown')).toBe('qa-notes.md');
    expect(exportFileName('  --  Notes  --  ', 'json')).toBe('notes.json');
  });

  it('falls back to "conversation" when nothing of the title is left', () => {
    expect(exportFileName('???', 'json')).toBe('conversation.json');
    expect(exportFileName('', 'markdown')).toBe('conversation.md');
  });

  it('keeps names to 60 characters, without a dangling dash', () => {
    const name = exportFileName(`${'a'.repeat(59)} bcd`, 'markdown');
    expect(name).toBe(`${'a'.repeat(59)}.md`);
  });
});

/** Pages as the repository hands them out, one at a time, empty ones included. */
async function* pagesOf(...pages: (readonly Message[])[]): MessagePages {
  for (const page of pages) yield page;
}

async function text(pieces: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const piece of pieces) all += piece;
  return all;
}

const conversation = { id: 'c1', title: 'Plans', createdAt: '2026-12-01T07:59:00.000Z' };

describe('markdownExport', () => {
  it('writes a heading per message, naming the model, and marks empty, failed and stopped replies', async () => {
    const markdown = await text(
      markdownExport(
        conversation,
        pagesOf(
          [
            message({}),
            message({ id: 'm2', role: 'assistant', content: 'Hi!', model: 'gpt-4o-mini' }),
            message({
              id: 'm3',
              role: 'assistant',
              content: '',
              status: 'failed',
              error: 'The model timed out.',
            }),
          ],
          [],
          [
            message({ id: 'm4', role: 'assistant', content: 'Half', status: 'failed' }),
            message({ id: 'm5', role: 'user', content: 'Tell me all of it' }),
            message({ id: 'm6', role: 'assistant', content: 'Once upon', stopped: true }),
            message({ id: 'm7', role: 'user', content: 'Go on' }),
            message({ id: 'm8', role: 'assistant', content: 'A time there', truncated: true }),
          ],
        ),
      ),
    );
    expect(markdown.split('\n')).toEqual([
      '# Plans',
      '',
      '_Exported from Parley · started 2026-12-01T07:59:00.000Z_',
      '',
      '## You · 2026-12-01T08:00:00.000Z',
      '',
      'Hello',
      '',
      '## Assistant (gpt-4o-mini) · 2026-12-01T08:00:00.000Z',
      '',
      'Hi!',
      '',
      '## Assistant · 2026-12-01T08:00:00.000Z',
      '',
      '_(no text)_',
      '',
      '> This reply failed: The model timed out.',
      '',
      '## Assistant · 2026-12-01T08:00:00.000Z',
      '',
      'Half',
      '',
      '> This reply failed: unknown reason',
      '',
      '## You · 2026-12-01T08:00:00.000Z',
      '',
      'Tell me all of it',
      '',
      '## Assistant · 2026-12-01T08:00:00.000Z',
      '',
      'Once upon',
      '',
      "> Stopped before the end, at its author's request.",
      '',
      '## You · 2026-12-01T08:00:00.000Z',
      '',
      'Go on',
      '',
      '## Assistant · 2026-12-01T08:00:00.000Z',
      '',
      'A time there',
      '',
      '> Cut short: the model wrote as much as it may in one reply.',
      '',
    ]);
  });
});

describe('markdownExport and jsonExport', () => {
  const messageArb = fc.record({
    id: fc.uuid(),
    conversationId: fc.constant('c1'),
    role: fc.constantFrom('user' as const, 'assistant' as const),
    // Any text: quotes, backslashes, newlines, lone surrogates, NUL.
    content: fc.string({ unit: 'binary', maxLength: 200 }),
    status: fc.constantFrom('complete' as const, 'failed' as const, 'streaming' as const),
    model: fc.option(fc.string({ maxLength: 20 })),
    usage: fc.record({ promptTokens: fc.nat(), completionTokens: fc.nat() }),
    error: fc.option(fc.string({ maxLength: 50 })),
    stopped: fc.boolean(),
    truncated: fc.boolean(),
    createdAt: fc.constant('2026-12-01T08:00:00.000000Z'),
  });
  const pagesArb = fc.array(fc.array(messageArb, { maxLength: 4 }), { maxLength: 5 });
  const titleArb = fc.string({ unit: 'binary', maxLength: 40 });

  it('writes, page by page, exactly the JSON document of the whole conversation', async () => {
    await fc.assert(
      fc.asyncProperty(titleArb, pagesArb, async (title, pages) => {
        const head = { ...conversation, title };
        const streamed = await text(jsonExport(head, pagesOf(...pages), '2026-12-02T00:00:00.000Z'));
        expect(streamed).toBe(
          JSON.stringify(
            { conversation: head, messages: pages.flat(), exportedAt: '2026-12-02T00:00:00.000Z' },
            null,
            2,
          ),
        );
      }),
    );
  });

  it('writes the same Markdown whatever the pages the messages arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(pagesArb, async (pages) => {
        const paged = await text(markdownExport(conversation, pagesOf(...pages)));
        const whole = await text(markdownExport(conversation, pagesOf(pages.flat())));
        expect(paged).toBe(whole);
        expect(paged.split('\n## ').length - 1).toBeGreaterThanOrEqual(pages.flat().length);
      }),
    );
  });

  it('reads the next page only when the previous one has been taken', async () => {
    const read: number[] = [];
    async function* counted(): MessagePages {
      for (const n of [1, 2, 3]) {
        read.push(n);
        yield [message({ id: `m${n}` })];
      }
    }
    const pieces = jsonExport(conversation, counted(), '2026-12-02T00:00:00.000Z')[Symbol.asyncIterator]();

    await pieces.next(); // the head
    await pieces.next(); // the first page

    expect(read).toEqual([1]);
  });
});

/**
 * The export's own headings (the title's and each message's) a CommonMark reader sees at the top
 * level of the document: an unclosed code fence would turn every later one into code.
 */
function headingsOf(markdown: string): string[] {
  return new Marked({ gfm: false })
    .lexer(markdown)
    .filter((token): token is Tokens.Heading => token.type === 'heading')
    .map((token) => token.text)
    .filter((heading) => heading === conversation.title || /^(You|Assistant) · /.test(heading));
}

/** The kinds of the document's top-level blocks, in order. */
const blocksOf = (markdown: string) =>
  new Marked({ gfm: false })
    .lexer(markdown)
    .filter((token) => token.type !== 'space')
    .map((token) => token.type);

describe('markdownExport and code fences a message leaves open', () => {
  const exported = async (...messages: Message[]) => text(markdownExport(conversation, pagesOf(messages)));

  it('closes a fence a stopped reply left open, so the note and the next heading stay Markdown', async () => {
    // Prepare
    const stopped = message({ id: 'm1', role: 'assistant', content: '```js\nconst a = 1;', stopped: true });
    const next = message({ id: 'm2', content: 'Thanks' });

    // Act
    const markdown = await exported(stopped, next);

    // Assess
    expect(headingsOf(markdown)).toHaveLength(3);
    expect(blocksOf(markdown)).toEqual([
      'heading',
      'paragraph',
      'heading',
      'code',
      'blockquote',
      'heading',
      'paragraph',
    ]);
    expect(markdown).toContain('```js\nconst a = 1;\n```\n\n> Stopped before the end');
  });

  it('closes a fence of tildes with as many tildes, past shorter and backtick lines inside it', async () => {
    // Prepare
    const failed = message({
      role: 'assistant',
      content: 'Here:\n\n~~~~markdown\n~~~\n```\nstill code',
      status: 'failed',
      error: 'The model timed out.',
    });

    // Act
    const markdown = await exported(failed, message({ id: 'm2' }));

    // Assess
    expect(markdown).toContain('still code\n~~~~\n\n> This reply failed');
    expect(headingsOf(markdown)).toHaveLength(3);
  });

  it.each([
    ['a fence in an indented code block', 'Look:\n\n    ```js\n    const a = 1;'],
    ['a fence indented 4 columns by a tab', 'Look:\n\n\t```js'],
    ['a closed fence', '```js\nconst a = 1;\n```'],
    ['a closed fence whose closing run is longer and indented', '~~~\nx\n   ~~~~~  '],
    ['inline code at the start of a line', '```js``` is inline code'],
    ['a fence in a list item', '1. Install:\n\n   ```sh\n   npm install'],
    ['a fence opened on the list item line', '- ```sh\n  npm install\n  ```\n- and more'],
    ['a fence in a block quote', '> ```sh\n> npm install'],
    ['a fence a list item holds through a lazy line', '- first\nlazy\n  ```sh\n  npm install'],
    ['a fence in a list item after a blank line', '- first\n\n  ```sh\n  npm install'],
  ])('adds nothing after %s', async (_case, content) => {
    // Act
    const markdown = await exported(message({ role: 'assistant', content }), message({ id: 'm2' }));

    // Assess
    expect(markdown).toContain(`${content}\n\n## You`);
    expect(headingsOf(markdown)).toHaveLength(3);
  });

  it('closes a fence left open by a closing run that is shorter, of the other character or with text', async () => {
    for (const content of ['````\nx\n```', '```\nx\n~~~', '```\nx\n```js', '```\r\nx\r\n``` x'])
      expect(headingsOf(await exported(message({ content }), message({ id: 'm2' })))).toHaveLength(3);
  });

  it('closes a fence at the column it opened at', async () => {
    // Act
    const markdown = await exported(
      message({ content: 'Run:\n  ```sh\n  npm install' }),
      message({ id: 'm2' }),
    );

    // Assess
    expect(markdown).toContain('  npm install\n  ```\n\n## You');
    expect(headingsOf(markdown)).toHaveLength(3);
  });

  // Lines on which marked reads CommonMark's lazy continuation as the reference implementation
  // does: it departs from it after a list item on a lone `-` and on inline code opening a line.
  it('keeps one heading per message whatever fences, quotes and list items the messages hold', async () => {
    const line = fc.constantFrom(
      '```',
      '```js',
      '````',
      '~~~',
      '~~~~',
      '  ```',
      '   ~~~',
      '    ```',
      '\t```',
      '- ```',
      '1. ```',
      '> ```',
      '> - ```',
      '  - ```',
      'text',
      '',
      '   ',
      '* * *',
      '- a',
      '1. a',
    );
    const content = fc.array(line, { maxLength: 8 }).map((lines) => lines.join('\n'));
    await fc.assert(
      fc.asyncProperty(fc.array(content, { minLength: 1, maxLength: 4 }), async (contents) => {
        const markdown = await exported(...contents.map((c, i) => message({ id: `m${i}`, content: c })));
        expect(headingsOf(markdown)).toHaveLength(contents.length + 1);
      }),
      { numRuns: 500 },
    );
  });
});

/** The opening words of the notes the export writes under a message. */
const NOTE = /^(?:This reply failed|Stopped before the end|Cut short|Still being written)/i;

/** A token's text as a reader sees it rendered: no tags, entities read, spaces as one. */
const shown = (marked: Marked, token: Token) =>
  marked
    .parser([token])
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d{1,7}|#x[\da-f]{1,6}|lt|gt|quot|amp|nbsp);/gi, (_, name: string) => {
      // Read once, as a browser reads them: `&amp;#67;` shows `&#67;`, `&#67;` shows `C`.
      const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', amp: '&', nbsp: ' ' };
      if (!name.startsWith('#')) return named[name.toLowerCase()] ?? '';
      const code = /^#x/i.test(name) ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return String.fromCodePoint(Math.min(code, 0x10ffff));
    })
    .replace(/\s+/g, ' ')
    .trim();

/**
 * What a reader of the rendered document takes for a turn or a note, in order: each heading of
 * level 1 or 2 (at any depth: in a quote or a list it is as large) and each quote that reads as
 * one of the export's notes: its first paragraph opens with a note's words. `gfm` reads as the app does; without it, as CommonMark does.
 */
function turnsAndNotesOf(markdown: string, gfm: boolean): string[] {
  const marked = new Marked({ gfm });
  const seen: string[] = [];
  marked.walkTokens(marked.lexer(markdown), (token) => {
    if (token.type === 'heading' && (token as Tokens.Heading).depth <= 2)
      seen.push(`h${(token as Tokens.Heading).depth} ${shown(marked, token)}`);
    else if (token.type === 'blockquote') {
      // A note is a quote whose text opens with its words (a list in a quote shows its marker).
      const [first] = (token as Tokens.Blockquote).tokens.filter((block) => block.type !== 'space');
      if (first?.type === 'paragraph' && NOTE.test(shown(marked, first)))
        seen.push(`note ${shown(marked, token)}`);
    }
  });
  return seen;
}

describe('markdownExport and turns or notes a message writes', () => {
  const FORGED = 'Assistant (gpt-4o) · 2026-01-01T00:00:00.000Z';
  const at = '2026-12-01T08:00:00.000Z';
  const exported = async (...messages: Message[]) => text(markdownExport(conversation, pagesOf(messages)));
  /** A message of `role` holding `content`, then a question after it: the turns the file must show. */
  const turnsAfter = async (role: Message['role'], content: string) => {
    const markdown = await exported(
      message({ id: 'm1', role, content, model: role === 'assistant' ? 'gpt-4o-mini' : null }),
      message({ id: 'm2', content: 'Next' }),
    );
    const who = role === 'assistant' ? 'Assistant (gpt-4o-mini)' : 'You';
    return { markdown, expected: ['h1 Plans', `h2 ${who} · ${at}`, `h2 You · ${at}`] };
  };

  it.each([
    ['an ATX heading', `Sure.\n\n## ${FORGED}\n\nForged reply`, `Sure.\n\n\\## ${FORGED}\n\nForged reply`],
    ['a heading of the user', `## You · ${at}\n\nForged question`, `\\## You · ${at}\n\nForged question`],
    ['a level-1 heading, as the title', '# Plans\n\ntext', '\\# Plans\n\ntext'],
    ['a heading indented 3 spaces and closed', `   ## ${FORGED} ##`, `   \\## ${FORGED} ##`],
    ['a heading with a tab after its #s', `##\t${FORGED}`, `\\##\t${FORGED}`],
    ['a heading with a no-break space after its #s', `##\u00a0${FORGED}`, `\\##\u00a0${FORGED}`],
    ['an empty heading', 'a\n\n##\n\nb', 'a\n\n\\##\n\nb'],
    ['a setext heading', `${FORGED}\n---\n\nForged reply`, `${FORGED}\n\\---\n\nForged reply`],
    ['a level-1 setext heading', 'Plans\n===', 'Plans\n\\==='],
    ['a setext heading of two lines', `Forged\n${FORGED}\n  ----  `, `Forged\n${FORGED}\n  \\----  `],
    ['a heading over a line of dashes', `## ${FORGED}\n---`, `\\## ${FORGED}\n\\---`],
    [
      'CRLF line ends',
      `Sure.\r\n\r\n## ${FORGED}\r\nForged\r\n---`,
      `Sure.\r\n\r\n\\## ${FORGED}\r\nForged\r\n\\---`,
    ],
    ['CR line ends', `Sure.\r${FORGED}\r===`, `Sure.\r${FORGED}\r\\===`],
    ['a heading in a block quote', `> ## ${FORGED}`, `> \\## ${FORGED}`],
    ['a heading after a quote marker and a tab', `>\t## ${FORGED}`, `>\t\\## ${FORGED}`],
    ['a heading in a list item', `- ## ${FORGED}`, `- \\## ${FORGED}`],
    ['a setext heading in a list item', `1. ${FORGED}\n   ---`, `1. ${FORGED}\n   \\---`],
    // marked takes a line under a list item in a quote for a list of that item (CommonMark ends
    // the quote there): its heading is one after the list marker (a fast-check counterexample).
    [
      'a heading after a list marker under a quoted item',
      `> - a\n    1. ## ${FORGED}`,
      `> - a\n    1. \\## ${FORGED}`,
    ],
    [
      'a heading after a bullet under a quoted item',
      `> - a\n    - ## ${FORGED}`,
      `> - a\n    - \\## ${FORGED}`,
    ],
    [
      'both, the first a heading itself',
      `> - ## ${FORGED}\n    1. ## ${FORGED}`,
      `> - \\## ${FORGED}\n    1. \\## ${FORGED}`,
    ],
    [
      'the failed note',
      'Done.\n\n> This reply failed: The model timed out.',
      'Done.\n\n\\> This reply failed: The model timed out.',
    ],
    [
      'the stopped note',
      "> Stopped before the end, at its author's request.",
      "\\> Stopped before the end, at its author's request.",
    ],
    [
      'the note of a reply cut short',
      '> Cut short: the model wrote as much as it may in one reply.',
      '\\> Cut short: the model wrote as much as it may in one reply.',
    ],
    [
      'the note of a reply being written',
      '> Still being written when this file was exported.',
      '\\> Still being written when this file was exported.',
    ],
    ['a note right under a paragraph', 'Text\n> This reply failed: x', 'Text\n\\> This reply failed: x'],
    ['a note under an empty quote line', '>\n> This reply failed: x', '>\n\\> This reply failed: x'],
    ['a note split across lines', '> This reply\n> failed: x', '\\> This reply\n> failed: x'],
    // Readers disagree on where a quote's paragraph ends (marked reads `> \t` as indented code).
    ['a note going on with a quote', '> Done.\n> This reply failed: x', '> Done.\n\\> This reply failed: x'],
    [
      'a note in bold',
      "> **Stopped before the end**, at its author's request.",
      "\\> **Stopped before the end**, at its author's request.",
    ],
    ['a note in a quote in a quote', '> > This reply failed: x', '> \\> This reply failed: x'],
    ['a note after a tab', '>\tThis reply failed: x', '\\>\tThis reply failed: x'],
    // A reader sees entities as the characters they name.
    [
      'a note opening with a decimal entity',
      '> &#67;ut short: the model wrote as much as it may in one reply.',
      '\\> &#67;ut short: the model wrote as much as it may in one reply.',
    ],
    [
      'a note opening with a hexadecimal entity',
      "> &#x53;topped before the end, at its author's request.",
      "\\> &#x53;topped before the end, at its author's request.",
    ],
    [
      'a note spaced with a no-break space entity',
      '> This&nbsp;reply failed: The model timed out.',
      '\\> This&nbsp;reply failed: The model timed out.',
    ],
  ])('writes %s as text, from either role', async (_case, content, written) => {
    for (const role of ['user', 'assistant'] as const) {
      // Act
      const { markdown, expected } = await turnsAfter(role, content);

      // Assess: the turns that happened, no other, and the message's text shown as written
      expect(turnsAndNotesOf(markdown, false)).toEqual(expected);
      expect(turnsAndNotesOf(markdown, true)).toEqual(expected);
      expect(markdown).toContain(`\n\n${written}\n\n## You`);
    }
  });

  it.each([
    ['a sub-heading', '### Steps\n\n#### Details'],
    ['a heading in a fenced code block', '```md\n## Assistant · x\n---\n> This reply failed: x\n```'],
    ['a heading in a fence of tildes in a list', '- ~~~\n  # x\n  ~~~'],
    ['indented code', 'Look:\n\n    ## Assistant · x\n    ---'],
    ['code indented by a tab', '\t## Assistant · x'],
    ['a right-to-left mark before ##', '\u200f## Assistant · x'],
    ['hashtags', '#hashtag and ##5 things'],
    ['an escaped heading', '\\## Assistant · x'],
    ['a thematic break after a blank line', 'a\n\n---\n\n***'],
    ['a thematic break of stars under a paragraph', 'a\n***'],
    ['a table', '| a | b |\n| --- | --- |\n| 1 | 2 |'],
    ['lists', '- a\n- b\n\n1. c\n2. d'],
    ['a quote', '> To be or not to be.\n> That is the question.'],
    ['a quote about the reply', '> This reply was great'],
  ])('leaves %s as written', async (_case, content) => {
    for (const role of ['user', 'assistant'] as const) {
      // Act
      const { markdown, expected } = await turnsAfter(role, content);

      // Assess
      expect(markdown).toContain(`\n\n${content}\n\n## You`);
      expect(turnsAndNotesOf(markdown, false)).toEqual(expected);
    }
  });

  it('writes the real notes under a message whose text forged them, and no other', async () => {
    // Act
    const markdown = await exported(
      message({ role: 'assistant', content: '> This reply failed: no', status: 'failed', error: 'Timeout.' }),
      message({
        id: 'm2',
        role: 'assistant',
        content: "> Stopped before the end, at its author's request.",
        stopped: true,
      }),
      message({ id: 'm3', role: 'assistant', content: '> Cut short: by a forger.', truncated: true }),
    );

    // Assess
    expect(turnsAndNotesOf(markdown, true)).toEqual([
      'h1 Plans',
      `h2 Assistant · ${at}`,
      'note This reply failed: Timeout.',
      `h2 Assistant · ${at}`,
      "note Stopped before the end, at its author's request.",
      `h2 Assistant · ${at}`,
      'note Cut short: the model wrote as much as it may in one reply.',
    ]);
  });

  // Lines on which marked reads CommonMark's blocks as the reference implementation does.
  it('shows one heading per message and only the real notes, whatever headings, quotes, code and containers the messages hold', async () => {
    const piece = fc.constantFrom(
      '## You · x',
      '# T',
      '##',
      '### s',
      '---',
      '===',
      '> This reply failed: x',
      'Stopped before the end',
      '> Cut short: x',
      '> ',
      '- ',
      '1. ',
      '```',
      '~~~',
      '    ',
      '  ',
      'text',
    );
    // No tabs: marked counts a tab in or after a container's marker as 4 columns where CommonMark
    // counts to the next multiple of 4 (so code to one is a heading to the other); the tests above
    // hold the cases with tabs. And marked reads an empty list item with spaces after its marker
    // otherwise than CommonMark (the lines after it go in it): no line here ends in a space.
    const line = fc
      .array(piece, { maxLength: 3 })
      .map((pieces) => pieces.join(''))
      .filter((line) => !/\s$/.test(line));
    const content = fc.array(line, { maxLength: 6 }).map((lines) => lines.join('\n'));
    const messageArb = fc.record({
      content,
      role: fc.constantFrom('user' as const, 'assistant' as const),
      stopped: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 3 }), async (messages) => {
        // marked reads the lines after a heading made text under a bullet (a lazy line `\## x` or
        // `\##`, which it cuts at the item's indent to `# x` or `#`) out of the item, as CommonMark
        // does not.
        fc.pre(messages.every((m) => !/^(?:> ?)*- .*\n(?:> ?)*##(?: |$)/m.test(m.content)));
        const markdown = await exported(...messages.map((m, i) => message({ id: `m${i}`, ...m })));
        const expected = ['h1 Plans'];
        for (const m of messages) {
          expected.push(`h2 ${m.role === 'user' ? 'You' : 'Assistant'} · ${at}`);
          if (m.stopped) expected.push("note Stopped before the end, at its author's request.");
        }
        for (const gfm of [false, true]) {
          let seen: string[];
          try {
            seen = turnsAndNotesOf(markdown, gfm);
          } catch {
            // marked 18 throws on a few lists in quotes in lists ('1. a\n    > - \nb').
            fc.pre(false);
            return;
          }
          expect(seen).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});
