import { useState } from 'react';

import { PasswordChecklist } from '@/features/auth/components/password-checklist';
import { passwordRules } from '@/features/auth/utils/password-rules';

/** What is wrong with a new password and its repetition, in a sentence; null when nothing is. */
export function newPasswordProblem(password: string, confirmation: string): string | null {
  const missing = passwordRules(password).filter((rule) => !rule.met);
  if (missing.length > 0)
    return `The password needs: ${missing.map((rule) => rule.label.toLowerCase()).join(', ')}.`;
  if (password !== confirmation) return 'The two passwords are not the same.';
  return null;
}

/**
 * The state of a new password and its repetition: `fields` for NewPasswordFields, `problem` to
 * show, and `accepted()`, which says whether the two may be sent (and shows why not).
 */
export function useNewPassword(id: string) {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return {
    password,
    problem,
    fields: { id, password, confirmation, onPassword: setPassword, onConfirmation: setConfirmation },
    accepted(): boolean {
      const found = newPasswordProblem(password, confirmation);
      setProblem(found);
      return found === null;
    },
  };
}

/** A new password, its rules ticked as it is typed, and its repetition. */
export function NewPasswordFields({
  id,
  password,
  confirmation,
  onPassword,
  onConfirmation,
}: {
  id: string;
  password: string;
  confirmation: string;
  onPassword(value: string): void;
  onConfirmation(value: string): void;
}) {
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-password`}>New password</label>
        <input
          id={`${id}-password`}
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          aria-describedby={`${id}-hint ${id}-rules`}
          value={password}
          onChange={(event) => onPassword(event.target.value)}
        />
        <p id={`${id}-hint`} className="hint">
          A long password you use nowhere else, with:
        </p>
        <PasswordChecklist id={`${id}-rules`} password={password} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-confirmation`}>Repeat the new password</label>
        <input
          id={`${id}-confirmation`}
          name="new-password-confirmation"
          type="password"
          autoComplete="new-password"
          required
          value={confirmation}
          onChange={(event) => onConfirmation(event.target.value)}
        />
      </div>
    </>
  );
}
