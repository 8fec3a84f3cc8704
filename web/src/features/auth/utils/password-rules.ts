// The one password policy, as the user pool enforces it (lib/stacks/auth-stack.ts and the local
// emulator read the same module): the form checks what Cognito will check, as the person types.
import { PASSWORD_POLICY } from '../../../../../functions/auth/domain/password-policy';
import type { PasswordPolicyValues } from '../../../../../functions/auth/domain/password-policy';

export interface PasswordRule {
  readonly id: 'length' | 'lowercase' | 'uppercase' | 'digit' | 'symbol';
  /** What the rule asks, for a person. */
  readonly label: string;
  readonly met: boolean;
}

/** Cognito's symbol set for password policies. */
const SYMBOL = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/;

/** Each rule of the policy, and whether the password meets it. */
export function passwordRules(
  password: string,
  policy: PasswordPolicyValues = PASSWORD_POLICY,
): PasswordRule[] {
  const rules: PasswordRule[] = [
    {
      id: 'length',
      label: `At least ${policy.minLength} characters`,
      met: password.length >= policy.minLength,
    },
  ];
  if (policy.requireLowercase)
    rules.push({ id: 'lowercase', label: 'A lowercase letter', met: /[a-z]/.test(password) });
  if (policy.requireUppercase)
    rules.push({ id: 'uppercase', label: 'An uppercase letter', met: /[A-Z]/.test(password) });
  if (policy.requireDigits) rules.push({ id: 'digit', label: 'A digit', met: /[0-9]/.test(password) });
  if (policy.requireSymbols) {
    rules.push({ id: 'symbol', label: 'A symbol, such as ! ? # or -', met: SYMBOL.test(password) });
  }
  return rules;
}
