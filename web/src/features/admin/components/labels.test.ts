import { describe, expect, it } from 'vitest';
import { utcDateTime } from '@/features/admin/components/labels';

describe('utcDateTime', () => {
  it('shows the instant in UTC, said so, whatever the reader’s time zone', () => {
    // 23:30 UTC is already the next day in most of Europe and Asia, the day before nowhere.
    const shown = utcDateTime('2026-03-10T23:30:00.000Z');

    expect(shown).toMatch(/ UTC$/);
    expect(shown).toMatch(/\b10\b/);
    expect(shown).toMatch(/23:30|11:30/);
    // Not the next day, as a reader east of UTC would see it in their own time.
    expect(shown).not.toMatch(/\b11\b(?!:)/);
  });
});
