import { describe, expect, it } from 'vitest';

import { displayNameFor } from '#shared/domain/display-name';
import { isRole } from '#shared/domain/roles';
import { roleFromGroups, SIGN_IN_BLOCKED_MESSAGE, SignInBlockedError, tokenGroups } from './sign-in';

describe('roleFromGroups', () => {
  it('returns the only role group', () => {
    expect(roleFromGroups(['members', 'beta-testers'])).toBe('members');
  });
  it('returns null when no group or several role groups', () => {
    expect(roleFromGroups(undefined)).toBeNull();
    expect(roleFromGroups([])).toBeNull();
    expect(roleFromGroups(['admins', 'members'])).toBeNull();
  });
});

describe('tokenGroups', () => {
  it('uses users.role over the Cognito groups', () => {
    expect(tokenGroups('auditors', ['admins', 'members'])).toEqual(['auditors']);
  });
  it('falls back to the one role the groups imply, else none', () => {
    expect(tokenGroups(null, ['members'])).toEqual(['members']);
    expect(tokenGroups(null, ['admins', 'members'])).toEqual([]);
  });
});

describe('displayNameFor', () => {
  it('prefers the name attribute, else the local part of the e-mail', () => {
    expect(displayNameFor('ada@example.com', ' Ada Lovelace ')).toBe('Ada Lovelace');
    expect(displayNameFor('ada@example.com', '')).toBe('ada');
    expect(displayNameFor('ada@example.com')).toBe('ada');
  });

  it('keeps at most 200 characters, never half an emoji', () => {
    expect(displayNameFor('ada@example.com', 'a'.repeat(300))).toBe('a'.repeat(200));
    expect(displayNameFor('ada@example.com', `${'a'.repeat(199)}\u{1F600}`)).toBe('a'.repeat(199));
  });
});

describe('SignInBlockedError', () => {
  it('shows one generic message whatever the reason', () => {
    expect(new SignInBlockedError('disabled').message).toBe(SIGN_IN_BLOCKED_MESSAGE);
    expect(new SignInBlockedError('locked').message).toBe(SIGN_IN_BLOCKED_MESSAGE);
    expect(isRole('admins')).toBe(true);
    expect(isRole('root')).toBe(false);
  });
});
