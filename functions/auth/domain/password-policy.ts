/**
 * The one password policy. The Cognito user pool (lib/stacks/auth-stack.ts), the local
 * Cognito emulator set-up and the check below all read it, so a laptop refuses exactly the passwords AWS refuses.
 */
export interface PasswordPolicyValues {
  readonly minLength: number;
  readonly requireUppercase: boolean;
  readonly requireLowercase: boolean;
  readonly requireDigits: boolean;
  readonly requireSymbols: boolean;
  /** How long an invitation's temporary password stays valid. */
  readonly tempPasswordValidityDays: number;
}

export const PASSWORD_POLICY: PasswordPolicyValues = Object.freeze({
  minLength: 12,
  requireUppercase: true,
  requireLowercase: true,
  requireDigits: true,
  requireSymbols: true,
  tempPasswordValidityDays: 3,
});

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
