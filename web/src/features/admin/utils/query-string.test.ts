import { describe, expect, it } from 'vitest';

import {
  dayOrUndefined,
  oneOf,
  readFilters,
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
