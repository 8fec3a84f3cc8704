import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { passwordPolicyViolations } from '../../../../../functions/auth/domain/password-policy';
import { passwordRules } from '@/features/auth/utils/password-rules';

const unmet = (password: string) =>
  passwordRules(password)
    .filter((rule) => !rule.met)
    .map((rule) => rule.id);

describe('passwordRules', () => {
  it('lists every rule of the pool policy, each met or not', () => {
    expect(passwordRules('').map((rule) => rule.label)).toEqual([
      'At least 12 characters',
      'A lowercase letter',
      'An uppercase letter',
      'A digit',
      'A symbol, such as ! ? # or -',
    ]);
    expect(unmet('')).toEqual(['length', 'lowercase', 'uppercase', 'digit', 'symbol']);
  });

  it('marks each rule met as the password grows', () => {
    expect(unmet('correct')).toEqual(['length', 'uppercase', 'digit', 'symbol']);
    expect(unmet('Correct')).toEqual(['length', 'digit', 'symbol']);
    expect(unmet('Correct-9')).toEqual(['length']);
    expect(unmet('Correct-Horse-9')).toEqual([]);
  });

  it('agrees with the check the user pool runs, for any password', () => {
    const symbols = fc.constantFrom(...'^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- éß€😀aZ9'.split(''));
    const passwords = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.array(symbols, { maxLength: 16 }).map((chars) => chars.join('')),
    );
    fc.assert(
      fc.property(passwords, (password) => {
        expect(unmet(password).length === 0).toBe(passwordPolicyViolations(password).length === 0);
        expect(unmet(password).length).toBe(passwordPolicyViolations(password).length);
      }),
      { numRuns: 500 },
    );
  });
});
