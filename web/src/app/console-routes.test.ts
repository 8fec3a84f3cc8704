import { describe, expect, it } from 'vitest';

import { CONSOLE_PAGES, consolePagesFor } from '@/app/console-routes';
import { isConsolePath, paths } from '@/config/paths';

describe('consolePagesFor', () => {
  it('gives admins every console page, feedback among them', () => {
    expect(consolePagesFor('admins').map((page) => page.path)).toEqual([
      paths.adminUsers,
      paths.adminUsage,
      paths.adminAudit,
      paths.adminFeedback,
    ]);
  });

  it('gives auditors usage, the audit log and feedback, but not users', () => {
    expect(consolePagesFor('auditors').map((page) => page.label)).toEqual(['Usage', 'Audit log', 'Feedback']);
  });

  it('gives members, and someone with no role, no console', () => {
    expect(consolePagesFor('members')).toEqual([]);
    expect(consolePagesFor(null)).toEqual([]);
  });

  it('keeps every page under the console prefix, each path once', () => {
    const pagePaths = CONSOLE_PAGES.map((page) => page.path);
    expect(pagePaths.every(isConsolePath)).toBe(true);
    expect(new Set(pagePaths).size).toBe(pagePaths.length);
  });
});
