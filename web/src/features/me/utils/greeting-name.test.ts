import { describe, expect, it } from 'vitest';

import { greeting, greetingName } from '@/features/me/utils/greeting-name';

describe('greetingName', () => {
  it('greets by the display name when the person has one', () => {
    expect(greetingName({ displayName: 'Ada Lovelace', email: 'ada@example.com' })).toBe('Ada Lovelace');
    expect(greeting({ displayName: ' Ada ', email: 'al@example.com' })).toBe('Hello, Ada');
  });

  it('does not greet by the e-mail local part the API uses when there is no name', () => {
    expect(greetingName({ displayName: 'aud', email: 'aud@example.com' })).toBeNull();
    expect(greeting({ displayName: 'aud', email: 'aud@example.com' })).toBe('Hello');
  });

  it('says only hello without any name, or with the whole e-mail as the name', () => {
    expect(greeting({ displayName: null, email: 'x@example.com' })).toBe('Hello');
    expect(greeting({ displayName: '  ', email: 'x@example.com' })).toBe('Hello');
    expect(greeting({ displayName: 'x@example.com', email: 'x@example.com' })).toBe('Hello');
  });
});
