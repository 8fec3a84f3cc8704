import { describe, expect, it } from 'vitest';

import { greetingName } from '@/features/me/utils/greeting-name';

describe('greetingName', () => {
  it('greets by the display name when the person has one', () => {
    expect(greetingName({ displayName: 'Ada Lovelace', email: 'ada@example.com' })).toBe('Ada Lovelace');
    expect(greetingName({ displayName: ' Ada ', email: 'al@example.com' })).toBe('Ada');
  });

  it('does not greet by the e-mail local part the API uses when there is no name', () => {
    expect(greetingName({ displayName: 'aud', email: 'aud@example.com' })).toBeNull();
  });

  it('greets by no name without any name, or with the whole e-mail as the name', () => {
    expect(greetingName({ displayName: null, email: 'x@example.com' })).toBeNull();
    expect(greetingName({ displayName: '  ', email: 'x@example.com' })).toBeNull();
    expect(greetingName({ displayName: 'x@example.com', email: 'x@example.com' })).toBeNull();
  });
});
