import { describe, expect, it } from 'vitest';

import { passwordPolicyViolations } from './password-policy';

describe('passwordPolicyViolations', () => {
  it('accepts a password that meets every rule', () => {
    expect(passwordPolicyViolations('Correct-Horse-42')).toEqual([]);
  });

  it('names every rule a weak password breaks', () => {
    expect(passwordPolicyViolations('abc')).toEqual([
      'Password not long enough (minimum 12)',
      'Password must have uppercase characters',
      'Password must have numeric characters',
      'Password must have symbol characters',
    ]);
    expect(passwordPolicyViolations('ALLUPPERCASE12!')).toEqual(['Password must have lowercase characters']);
  });

  it('follows the policy it is given', () => {
    const lax = {
      minLength: 3,
      requireUppercase: false,
      requireLowercase: true,
      requireDigits: false,
      requireSymbols: false,
      tempPasswordValidityDays: 1,
    };
    expect(passwordPolicyViolations('abc', lax)).toEqual([]);
  });
});
