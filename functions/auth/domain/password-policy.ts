import { PASSWORD_POLICY, type PasswordPolicyValues } from '../../../lib/config/password-policy';

/** Cognito's symbol set for password policies. */
const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/;

/**
 * The rules of the policy a password breaks, in Cognito's words; empty when it conforms. The local
 * stack enforces the policy with it (the emulator enforces none).
 */
export function passwordPolicyViolations(
  password: string,
  policy: PasswordPolicyValues = PASSWORD_POLICY,
): string[] {
  const problems: string[] = [];
  if (password.length < policy.minLength)
    problems.push(`Password not long enough (minimum ${policy.minLength})`);
  if (policy.requireLowercase && !/[a-z]/.test(password))
    problems.push('Password must have lowercase characters');
  if (policy.requireUppercase && !/[A-Z]/.test(password))
    problems.push('Password must have uppercase characters');
  if (policy.requireDigits && !/[0-9]/.test(password)) problems.push('Password must have numeric characters');
  if (policy.requireSymbols && !SYMBOLS.test(password)) problems.push('Password must have symbol characters');
  return problems;
}
