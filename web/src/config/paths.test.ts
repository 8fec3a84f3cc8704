import { describe, expect, it } from 'vitest';

import { isConsolePath, messageAnchor, paths } from '@/config/paths';

describe('paths', () => {
  it('links to a conversation, and to one message in it by its anchor', () => {
    expect(paths.conversation('c 1/2')).toBe('/c/c%201%2F2');
    expect(paths.conversation('c1', 'm9')).toBe('/c/c1#m-m9');
    expect(messageAnchor('m9')).toBe('m-m9');
  });

  it('links to search with the query encoded, or to the empty search page', () => {
    expect(paths.search('tax & "vat"')).toBe('/search?q=tax+%26+%22vat%22');
    expect(paths.search()).toBe('/search');
    expect(paths.search('')).toBe('/search');
  });

  it('tells console paths from the rest: /admin and below, not look-alikes', () => {
    expect(isConsolePath('/admin')).toBe(true);
    expect(isConsolePath(paths.adminAudit)).toBe(true);
    expect(isConsolePath(paths.adminFeedback)).toBe(true);
    expect(isConsolePath('/administrator')).toBe(false);
    expect(isConsolePath('/c/admin')).toBe(false);
  });
});
