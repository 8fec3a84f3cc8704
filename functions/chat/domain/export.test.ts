import { describe, expect, it } from 'vitest';
import { exportFileName, toMarkdown } from './export';
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
  createdAt: '2026-12-01T08:00:00.000Z',
  ...overrides,
});

describe('exportFileName', () => {
  it('keeps letters, digits and dashes of the title, lower-cased', () => {
    expect(exportFileName('Q3 Offsite: Plan & Budget!', 'markdown')).toBe('q3-offsite-plan-budget.md');
    expect(exportFileName('Café_menu', 'json')).toBe('cafe-menu.json');
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

describe('toMarkdown', () => {
  it('writes a heading per message, naming the model, and marks empty and failed replies', () => {
    const markdown = toMarkdown({
      conversation: { id: 'c1', title: 'Plans', createdAt: '2026-12-01T07:59:00.000Z' },
      messages: [
        message({}),
        message({ id: 'm2', role: 'assistant', content: 'Hi!', model: 'gpt-4o-mini' }),
        message({
          id: 'm3',
          role: 'assistant',
          content: '',
          status: 'failed',
          error: 'The model timed out.',
        }),
        message({ id: 'm4', role: 'assistant', content: 'Half', status: 'failed' }),
      ],
    });
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
    ]);
  });
});
