import { describe, expect, it } from 'vitest';

import {
  dayOrUndefined,
  describeUserFilters,
  oneOf,
  readFilters,
  readUserFilters,
  thisMonth,
  toQueryString,
} from '@/features/admin/utils/query-string';

describe('toQueryString', () => {
  it('keeps the non-empty values, trimmed and encoded', () => {
    expect(toQueryString({ q: ' ann lee ', role: 'members', status: '', cursor: undefined })).toBe(
      '?q=ann+lee&role=members',
    );
  });

  it('is empty when no filter is set', () => {
    expect(toQueryString({ q: '  ', role: undefined })).toBe('');
  });

  it('encodes characters that mean something in a URL', () => {
    expect(toQueryString({ q: 'a&b=c#d' })).toBe('?q=a%26b%3Dc%23d');
  });
});

describe('readFilters', () => {
  it('reads the named values and ignores the rest', () => {
    expect(readFilters('?q=ann&role=members&evil=1', ['q', 'role', 'status'])).toEqual({
      q: 'ann',
      role: 'members',
    });
  });

  it('round-trips what toQueryString wrote', () => {
    const filters = { actor: 'u-1', action: 'user.disable', target: 'a&b' };
    expect(readFilters(toQueryString(filters), ['actor', 'action', 'target'])).toEqual(filters);
  });

  it('drops blank values', () => {
    expect(readFilters('q=%20%20', ['q'])).toEqual({});
  });
});

describe('oneOf', () => {
  it('accepts only the allowed values', () => {
    expect(oneOf('members', ['admins', 'members'])).toBe('members');
    expect(oneOf('root', ['admins', 'members'])).toBeUndefined();
    expect(oneOf(undefined, ['admins'])).toBeUndefined();
  });
});

describe('dayOrUndefined', () => {
  it('accepts real days only', () => {
    expect(dayOrUndefined('2026-02-28')).toBe('2026-02-28');
    expect(dayOrUndefined('2024-02-29')).toBe('2024-02-29');
    expect(dayOrUndefined('2026-02-30')).toBeUndefined();
    expect(dayOrUndefined('2026-13-01')).toBeUndefined();
    expect(dayOrUndefined('yesterday')).toBeUndefined();
    expect(dayOrUndefined(undefined)).toBeUndefined();
  });
});

describe('thisMonth', () => {
  it('runs from the first of the month to today, in UTC', () => {
    expect(thisMonth(new Date('2026-03-17T23:30:00-05:00'))).toEqual({
      from: '2026-03-01',
      to: '2026-03-18',
    });
    expect(thisMonth(new Date('2026-01-01T00:00:00Z'))).toEqual({ from: '2026-01-01', to: '2026-01-01' });
  });
});

describe('readUserFilters', () => {
  it('reads two-factor and lockout beside the other filters of the users page', () => {
    expect(readUserFilters('?q=ann&role=members&status=active&inactiveDays=90&mfa=off&locked=true')).toEqual({
      q: 'ann',
      role: 'members',
      status: 'active',
      inactiveDays: '90',
      mfa: 'off',
      locked: 'true',
    });
  });

  it('drops values the API would refuse, so a hand-edited URL lists everyone instead of failing', () => {
    const filters = readUserFilters('?mfa=yes&locked=false&role=root&inactiveDays=7&__proto__=x');
    expect(Object.values(filters).filter((value) => value !== undefined)).toEqual([]);
    expect(readUserFilters('?mfa=ON&locked=1')).toMatchObject({ mfa: undefined, locked: undefined });
    expect(readUserFilters('?mfa=on%00&locked=true%00')).toMatchObject({ mfa: undefined, locked: undefined });
  });

  it('round-trips what toQueryString wrote, and leaves out the filters not set', () => {
    const filters = { q: 'a&b', role: 'admins', mfa: 'on', locked: 'true' } as const;
    const search = toQueryString(filters);
    expect(search).toBe('?q=a%26b&role=admins&mfa=on&locked=true');
    expect(readUserFilters(search)).toMatchObject(filters);
    expect(toQueryString({ ...readUserFilters(search), mfa: undefined, locked: undefined })).toBe(
      '?q=a%26b&role=admins',
    );
  });
});

describe('describeUserFilters', () => {
  const role = (value: string) => value.toUpperCase();

  it('names every filter set, in the order of the controls', () => {
    expect(
      describeUserFilters(
        { q: 'ann', role: 'members', status: 'disabled', inactiveDays: '30', mfa: 'off', locked: 'true' },
        role,
      ),
    ).toBe(
      'matching “ann”, role MEMBERS, disabled, no sign-in for 30 days, two-factor not set up, locked out now',
    );
    expect(describeUserFilters({ mfa: 'on' }, role)).toBe('two-factor set up');
  });

  it('is empty when no filter is set', () => {
    expect(describeUserFilters({}, role)).toBe('');
  });
});
