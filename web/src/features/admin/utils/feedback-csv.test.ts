import { describe, expect, it } from 'vitest';

import type { FeedbackEntry } from '@/features/admin/api/list-feedback';
import { FEEDBACK_CSV_COLUMNS, feedbackCsv, feedbackFileName } from './feedback-csv';

const entry = (overrides: Partial<FeedbackEntry> = {}): FeedbackEntry => ({
  messageId: '7b0c2f4e-1d7a-4c1e-9a63-0c8f1f3b9e21',
  rating: 'down',
  reason: 'incomplete',
  comment: 'It left out Sunday.',
  model: 'gpt-4o-mini',
  userId: 'u-1',
  email: 'ann@example.com',
  createdAt: '2026-03-10T11:00:00.000Z',
  updatedAt: '2026-03-10T12:00:00.000Z',
  ...overrides,
});

/** RFC 4180 rows back into fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

describe('feedbackCsv', () => {
  it('writes a header and one row per entry, with a byte-order mark and CRLF lines', () => {
    // Act
    const text = feedbackCsv([
      entry(),
      entry({ rating: 'up', reason: null, comment: null, model: null, email: null }),
    ]);

    // Assess
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual([...FEEDBACK_CSV_COLUMNS]);
    expect(rows[1]).toEqual([
      '2026-03-10T12:00:00.000Z',
      '2026-03-10T11:00:00.000Z',
      'u-1',
      'ann@example.com',
      'gpt-4o-mini',
      'down',
      'incomplete',
      'It left out Sunday.',
      '7b0c2f4e-1d7a-4c1e-9a63-0c8f1f3b9e21',
    ]);
    expect(rows[2]).toEqual([
      '2026-03-10T12:00:00.000Z',
      '2026-03-10T11:00:00.000Z',
      'u-1',
      '',
      '',
      'up',
      '',
      '',
      '7b0c2f4e-1d7a-4c1e-9a63-0c8f1f3b9e21',
    ]);
    expect(rows).toHaveLength(3);
  });

  it('keeps a comment with commas, quotes, line breaks and markup whole, in its own field', () => {
    const comment = 'Wrong, "very" wrong.\nSee <b>not bold</b>\r\nforged,row';
    const rows = parseCsv(feedbackCsv([entry({ comment })]).slice(1));
    expect(rows).toHaveLength(2);
    expect(rows[1]?.[7]).toBe(comment);
    expect(rows[1]?.[8]).toBe('7b0c2f4e-1d7a-4c1e-9a63-0c8f1f3b9e21');
  });

  it('defuses a comment a spreadsheet would run as a formula (OWASP CSV injection)', () => {
    for (const formula of ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tx']) {
      const rows = parseCsv(feedbackCsv([entry({ comment: formula })]).slice(1));
      expect(rows[1]?.[7]).toBe(`'${formula}`);
    }
  });
});

describe('feedbackFileName', () => {
  const today = new Date('2026-03-10T23:59:00Z');

  it('names the days the filters cover, the open ends by the start and today', () => {
    expect(feedbackFileName({}, today)).toBe('parley-feedback-start-to-2026-03-10.csv');
    expect(feedbackFileName({ from: '2026-03-01', to: '2026-03-07' }, today)).toBe(
      'parley-feedback-2026-03-01-to-2026-03-07.csv',
    );
  });

  it('never puts anything but a day in the name', () => {
    expect(feedbackFileName({ from: '../../etc/passwd', to: '2026-03-07\u0000' }, today)).toBe(
      'parley-feedback-start-to-2026-03-10.csv',
    );
  });
});
