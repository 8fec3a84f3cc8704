import { useState } from 'react';

import { PasswordChecklist } from '@/features/auth/components/password-checklist';
import { passwordRules } from '@/features/auth/utils/password-rules';

type NewPasswordField = 'password' | 'confirmation';

/** What is wrong with a new password and its repetition: a sentence, and the field it is about. */
function findProblem(
  password: string,
  confirmation: string,
): { readonly message: string; readonly field: NewPasswordField } | null {
  const missing = passwordRules(password).filter((rule) => !rule.met);
  if (missing.length > 0)
    return {
      message: `The password needs: ${missing.map((rule) => rule.label.toLowerCase()).join(', ')}.`,
      field: 'password',
    };
  if (password !== confirmation)
    return { message: 'The two passwords are not the same.', field: 'confirmation' };
  return null;
}

/** What is wrong with a new password and its repetition, in a sentence; null when nothing is. */
export function newPasswordProblem(password: string, confirmation: string): string | null {
  return findProblem(password, confirmation)?.message ?? null;
}

/**
 * The state of a new password and its repetition: `fields` for NewPasswordFields, `problem` to
 * show (in an element with the id `problemId`, which the field it is about points at), and
 * `accepted()`, which says whether the two may be sent (and shows why not).
 */
export function useNewPassword(id: string) {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problem, setProblem] = useState<ReturnType<typeof findProblem>>(null);
  const problemId = `${id}-problem`;
  return {
    password,
    problem: problem?.message ?? null,
    problemId,
    fields: {
      id,
      password,
      confirmation,
      invalid: problem === null ? null : { field: problem.field, describedBy: problemId },
      onPassword: setPassword,
      onConfirmation: setConfirmation,
    },
    accepted(): boolean {
      const found = findProblem(password, confirmation);
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
  invalid = null,
  onPassword,
  onConfirmation,
}: {
  id: string;
  password: string;
  confirmation: string;
  /** The field a problem shown is about, and the id of the element that says it. */
  invalid?: { readonly field: NewPasswordField; readonly describedBy: string } | null;
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
          aria-invalid={invalid?.field === 'password' || undefined}
          aria-describedby={`${id}-hint ${id}-rules${invalid?.field === 'password' ? ` ${invalid.describedBy}` : ''}`}
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
          aria-invalid={invalid?.field === 'confirmation' || undefined}
          aria-describedby={invalid?.field === 'confirmation' ? invalid.describedBy : undefined}
          value={confirmation}
          onChange={(event) => onConfirmation(event.target.value)}
        />
      </div>
    </>
  );
}
