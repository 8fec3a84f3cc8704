/**
 * The one password policy. The Cognito user pool (lib/stacks/auth-stack.ts) and the local
 * Cognito emulator set-up both read it, so a laptop refuses exactly the passwords AWS refuses.
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
