import { passwordRules } from '@/features/auth/utils/password-rules';

/**
 * The pool's password rules, each ticked as the password meets it. Not a live region: a screen
 * reader hears it as the field's description (what is still missing), not on every key.
 */
export function PasswordChecklist({ id, password }: { id: string; password: string }) {
  const rules = passwordRules(password);
  return (
    <ul id={id} className="password-rules" data-testid="password-rules">
      {rules.map((rule) => (
        <li
          key={rule.id}
          className={rule.met ? 'password-rules__rule password-rules__rule--met' : 'password-rules__rule'}
          data-rule={rule.id}
          data-met={rule.met}
        >
          <span className="password-rules__mark" aria-hidden="true">
            {rule.met ? '✓' : '•'}
          </span>
          {rule.label}
          <span className="visually-hidden">{rule.met ? ' (done)' : ' (still needed)'}</span>
        </li>
      ))}
    </ul>
  );
}
