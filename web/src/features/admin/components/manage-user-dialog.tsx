import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { AdminRole, AdminUser } from '@/features/admin/api/admin-user-schema';
import { updateUser } from '@/features/admin/api/update-user';
import type { UserChange } from '@/features/admin/api/update-user';
import { runUserCommand } from '@/features/admin/api/user-commands';
import { eraseUser } from '@/features/admin/api/erase-user';
import type { UserCommand } from '@/features/admin/api/user-commands';
import { ROLE_LABELS, dateTimeFormat, numberFormat } from '@/features/admin/components/labels';
import { decideQuotaChange } from '@/features/admin/utils/quota-change';
import { canResendInvitation } from '@/features/admin/utils/resend-invitation';
// How long the pool lets a temporary password work (the same module configures it).
import { PASSWORD_POLICY } from '../../../../../functions/auth/domain/password-policy';
// How long an access token lives (the same module sets the app clients' validity).
import { ACCESS_TOKEN_MINUTES } from '../../../../../functions/shared/domain/access-token';
import { RoleField } from '@/features/admin/components/role-field';
import { useModalDialog } from '@/lib/use-modal-dialog';
import { FormStatus } from '@/components/form-status';
import { BusyCancelButton } from '@/components/busy-cancel-button';

export interface ManageUserDialogProps {
  readonly user: AdminUser;
  /** The API answered: the user as they are now. */
  onChanged(user: AdminUser): void;
  /** The user was erased: they are gone from the list. */
  onErased(user: AdminUser): void;
  onClose(): void;
}

interface Confirmation {
  readonly question: string;
  readonly consequence: string;
  readonly action: string;
  /** What the admin must type before the action is allowed (what cannot be undone at all). */
  readonly typed?: string;
  run(): Promise<string>;
}

/**
 * The button an action was started from, to give the focus back to once the action (or its
 * question) is over: by its `data-action`, else (gone, e.g. Unlock once done) the account action
 * now at its place, the one that followed it.
 */
interface Origin {
  readonly action: string;
  readonly index: number;
}

const COMMANDS = '.manage__commands button';

/**
 * What a sign-out everywhere changes of the user as the console shows them: a disabled person's
 * tokens are refused from the sign-out on (the API's `disabledAt`), so erasing them waits an hour
 * from now, not from the disable. The API answers 204, so this is the browser's now, taken after
 * the answer: a little after the API's, and its refusal of an erase still names the exact time.
 */
function signedOut(user: AdminUser): Partial<AdminUser> {
  return user.status === 'disabled' ? { disabledAt: new Date().toISOString() } : {};
}

/** Where `button` is among the account actions (-1: not one of them). */
function originOf(button: EventTarget): Origin {
  const element = button as HTMLElement;
  const commands = [...(element.closest('dialog')?.querySelectorAll(COMMANDS) ?? [])];
  return { action: element.dataset.action ?? '', index: commands.indexOf(element) };
}

/**
 * Every admin action on one user, in a modal dialog. What cannot be taken back without the user's
 * help (demotion, disabling, ending their sessions, resetting MFA) asks first; a refusal shows the
 * API's own reason (e.g. "cannot demote yourself").
 */
export function ManageUserDialog({ user, onChanged, onErased, onClose }: ManageUserDialogProps) {
  const api = useApiClient();
  const id = useId();
  const [role, setRole] = useState<AdminRole>(user.role ?? 'members');
  const [quota, setQuota] = useState(String(user.monthlyTokens));
  const [useDefaultQuota, setUseDefaultQuota] = useState(user.quotaIsDefault);
  const [pending, setPending] = useState(false);
  const dialog = useModalDialog({ busy: pending });
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [typed, setTyped] = useState('');
  const origin = useRef<Origin | null>(null);

  // A question takes the focus (its button, the page's focus, is gone): the address to type, else
  // Cancel, the least harmful answer.
  useEffect(() => {
    if (confirmation) dialog.current?.querySelector<HTMLElement>('.confirm input, .confirm button')?.focus();
  }, [confirmation, dialog]);

  // The question, or the action, is over: the focus, lost with the question (or with a button the
  // action removed), goes back to where it was started, or to the account action now in its place.
  useEffect(() => {
    const element = dialog.current;
    const from = origin.current;
    if (confirmation || pending || !element || !from) return;
    origin.current = null;
    if (document.activeElement && document.activeElement !== document.body) return;
    const commands = element.querySelectorAll<HTMLElement>(COMMANDS);
    const target =
      element.querySelector<HTMLElement>(`[data-action="${from.action}"]`) ??
      (from.index >= 0 ? commands[Math.min(from.index, commands.length - 1)] : undefined);
    target?.focus();
  }, [confirmation, pending, dialog]);

  // The API answered with the user's quota as it is now (a role change moves a default one too).
  useEffect(() => {
    setQuota(String(user.monthlyTokens));
    setUseDefaultQuota(user.quotaIsDefault);
  }, [user.monthlyTokens, user.quotaIsDefault]);

  async function perform(run: () => Promise<string>, from?: EventTarget) {
    if (pending) return;
    if (from) origin.current = originOf(from);
    setPending(true);
    setError(null);
    setDone(null);
    try {
      setDone(await run());
    } catch (caught) {
      setError(apiErrorMessage(caught));
    } finally {
      setPending(false);
      setConfirmation(null);
    }
  }

  const change = (body: UserChange, message: string) => async () => {
    onChanged(await updateUser(api, user.id, body));
    return message;
  };

  /** `next`: what the command changed, or a function that says it once the API has answered. */
  const command =
    (name: UserCommand, next: Partial<AdminUser> | (() => Partial<AdminUser>), message: string) =>
    async () => {
      await runUserCommand(api, user.id, name);
      onChanged({ ...user, ...(typeof next === 'function' ? next() : next) });
      return message;
    };

  /**
   * Asks first (what cannot be taken back), from the button `from`; a click while an action runs
   * does nothing.
   */
  const confirmFirst = (next: Confirmation, from: EventTarget) => {
    if (pending) return;
    origin.current = originOf(from);
    setConfirmation(next);
  };

  /** Asks first, with the address typed for what cannot be undone at all. */
  const ask = (next: Confirmation, from: EventTarget) => {
    if (pending) return;
    setTyped('');
    origin.current = originOf(from);
    setConfirmation(next);
  };

  const erase = async () => {
    await eraseUser(api, user.id);
    onErased(user);
    return 'User erased.';
  };

  const quotaDecision = decideQuotaChange(user, { useDefault: useDefaultQuota, tokens: quota });

  const quotaUnchanged = !quotaDecision.send && quotaDecision.reason === 'unchanged';

  function saveQuota(event: FormEvent) {
    event.preventDefault();
    // Enter in the field submits the form whatever its button says: nothing while an action runs.
    if (pending) return;
    if (quotaDecision.send) {
      const message =
        quotaDecision.monthlyTokens === null ? "Quota set to the role's default." : 'Quota saved.';
      void perform(change({ monthlyTokens: quotaDecision.monthlyTokens }, message));
    } else if (quotaDecision.reason === 'invalid') {
      setDone(null);
      setError('Enter the quota as a whole number of tokens, 0 or more.');
    }
  }

  function changeRole(event: FormEvent) {
    event.preventDefault();
    if (pending || role === user.role) return;
    origin.current = { action: 'role', index: -1 };
    setConfirmation({
      question: `Make ${user.email} ${ROLE_LABELS[role].toLowerCase()}?`,
      consequence: 'Their current sessions end, and they sign in again with the new role.',
      action: 'Change role',
      run: change({ role }, `Role changed to ${ROLE_LABELS[role]}.`),
    });
  }

  const isService = user.kind === 'service';
  // Erasing waits until the last access token issued before the disable has expired.
  const disabledAt = user.status === 'disabled' && user.disabledAt ? Date.parse(user.disabledAt) : NaN;
  // Shown to the minute, so the first whole minute at or after it: the minute it falls in would
  // still be refused.
  const erasableAt =
    !isService && Number.isFinite(disabledAt)
      ? new Date(Math.ceil((disabledAt + ACCESS_TOKEN_MINUTES * 60_000) / 60_000) * 60_000)
      : null;

  return (
    <dialog ref={dialog} className="dialog dialog--wide" aria-labelledby={`${id}-heading`} onClose={onClose}>
      <h2 id={`${id}-heading`}>
        Manage <span className="dialog__subject">{user.email}</span>
      </h2>

      {confirmation ? (
        // Keyed, as is the other branch: else React would make the question's elements over into the
        // dialog's (its button, with the focus, becoming whichever action is in its place).
        <div key="confirm" className="confirm" role="group" aria-labelledby={`${id}-confirm`}>
          <p id={`${id}-confirm`} className="confirm__question">
            {confirmation.question}
          </p>
          <p className="muted">{confirmation.consequence}</p>
          {confirmation.typed !== undefined && (
            <div className="confirm__typed">
              <label htmlFor={`${id}-typed`}>Type {confirmation.typed} to confirm</label>
              <input
                id={`${id}-typed`}
                autoComplete="off"
                spellCheck={false}
                value={typed}
                onChange={(event) => setTyped(event.target.value)}
                data-testid="confirm-typed"
              />
            </div>
          )}
          <div className="actions dialog__actions">
            <BusyCancelButton busy={pending} onCancel={() => setConfirmation(null)} />
            {/* aria-disabled while the action runs, so the focus stays here; disabled (out of the tab
                order) only until the address is typed. */}
            <button
              type="button"
              className="button-danger"
              onClick={() => void perform(confirmation.run)}
              aria-disabled={pending || undefined}
              disabled={!pending && confirmation.typed !== undefined && typed.trim() !== confirmation.typed}
            >
              {pending ? 'Working…' : confirmation.action}
            </button>
          </div>
        </div>
      ) : (
        <div key="manage" className="manage">
          {/* The dialog's buttons are aria-disabled, not disabled, while an action runs (and those of
              a form while it has nothing to send): a disabled button loses the keyboard focus, so
              the person would lose their place while it runs, or once it is done. A click does
              nothing meanwhile. */}
          <form className="manage__row" onSubmit={changeRole}>
            <RoleField id={`${id}-role`} className="toolbar__grow" value={role} onChange={setRole} />
            <button
              type="submit"
              className="button-secondary"
              data-action="role"
              aria-disabled={pending || role === user.role || undefined}
            >
              Change role
            </button>
          </form>

          <form className="manage__row" onSubmit={saveQuota}>
            <div className="toolbar__grow">
              <label htmlFor={`${id}-quota`}>Monthly token quota</label>
              <input
                id={`${id}-quota`}
                type="number"
                inputMode="numeric"
                min={0}
                step={1}
                required
                disabled={useDefaultQuota}
                aria-describedby={`${id}-quota-hint`}
                value={quota}
                onChange={(event) => setQuota(event.target.value)}
              />
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={useDefaultQuota}
                  onChange={(event) => setUseDefaultQuota(event.target.checked)}
                />
                {"Use the role's default"}
              </label>
              <p className="hint" id={`${id}-quota-hint`} data-testid="quota-hint">
                {user.quotaIsDefault && `${numberFormat.format(user.monthlyTokens)} (role default). `}
                {numberFormat.format(user.usedTokens)} used this month.
              </p>
            </div>
            <button
              type="submit"
              className="button-secondary"
              aria-disabled={pending || quotaUnchanged || undefined}
            >
              Save quota
            </button>
          </form>

          {erasableAt && (
            <p className="hint" data-testid="erasable-from">
              Disabled since {dateTimeFormat.format(new Date(user.disabledAt ?? ''))}; can be erased from{' '}
              {dateTimeFormat.format(erasableAt)}, when their last sign-in token has expired.
            </p>
          )}
          <div className="manage__commands" role="group" aria-label="Account actions">
            {user.status === 'active' ? (
              <button
                type="button"
                className="button-danger"
                data-action="status"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  confirmFirst(
                    {
                      question: `Disable ${user.email}?`,
                      consequence: 'They are signed out everywhere and cannot sign in until enabled again.',
                      action: 'Disable',
                      run: change({ status: 'disabled' }, 'User disabled.'),
                    },
                    event.currentTarget,
                  )
                }
              >
                Disable
              </button>
            ) : (
              <button
                type="button"
                data-action="status"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  void perform(change({ status: 'active' }, 'User enabled.'), event.currentTarget)
                }
              >
                Enable
              </button>
            )}
            {user.locked && (
              <button
                type="button"
                className="button-secondary"
                data-action="unlock"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  void perform(
                    command('unlock', { locked: false, lockedUntil: null }, 'User unlocked.'),
                    event.currentTarget,
                  )
                }
              >
                Unlock
              </button>
            )}
            {!isService && (
              <button
                type="button"
                className="button-secondary"
                data-action="sign-out"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  confirmFirst(
                    {
                      question: `Sign ${user.email} out everywhere?`,
                      consequence:
                        user.status === 'disabled'
                          ? `Every session they have, on every device, ends now; erasing them then waits ${ACCESS_TOKEN_MINUTES} minutes from now, until their last sign-in token has expired.`
                          : 'Every session they have, on every device, ends now.',
                      action: 'Sign out everywhere',
                      run: command('sign-out', () => signedOut(user), 'Signed out everywhere.'),
                    },
                    event.currentTarget,
                  )
                }
              >
                Sign out everywhere
              </button>
            )}
            {/* Only for a person who never signed in: Cognito answers 409 for anyone else. */}
            {canResendInvitation(user) && (
              <button
                type="button"
                className="button-secondary"
                data-action="resend-invitation"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  confirmFirst(
                    {
                      question: `Send the invitation to ${user.email} again?`,
                      consequence: `They get a new temporary password by email, valid for ${PASSWORD_POLICY.tempPasswordValidityDays} days; the old one stops working. Only for someone who has not signed in yet.`,
                      action: 'Send again',
                      run: command('resend-invitation', {}, 'Invitation sent again.'),
                    },
                    event.currentTarget,
                  )
                }
              >
                Resend invitation
              </button>
            )}
            {!isService && user.mfaEnabled && (
              <button
                type="button"
                className="button-secondary"
                data-action="reset-mfa"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  confirmFirst(
                    {
                      question: `Reset two-factor sign-in for ${user.email}?`,
                      consequence:
                        'Their authenticator stops working; they set up a new one at their next sign-in.',
                      action: 'Reset MFA',
                      run: command('reset-mfa', { mfaEnabled: false }, 'Two-factor sign-in reset.'),
                    },
                    event.currentTarget,
                  )
                }
              >
                Reset MFA
              </button>
            )}
            {!isService && user.status === 'disabled' && (
              <button
                type="button"
                className="button-danger"
                data-action="erase"
                aria-disabled={pending || undefined}
                onClick={(event) =>
                  ask(
                    {
                      question: `Erase ${user.email} and everything theirs?`,
                      consequence:
                        'Their account, conversations, messages and feedback are deleted for good; their usage stays in the usage reports, as an erased user’s, and the audit log keeps a record with counts only. Possible from an hour after the disable. This cannot be undone.',
                      action: 'Erase for good',
                      typed: user.email,
                      run: erase,
                    },
                    event.currentTarget,
                  )
                }
              >
                Erase…
              </button>
            )}
          </div>
        </div>
      )}

      <FormStatus error={error} done={done} />

      {!confirmation && (
        <div className="actions dialog__actions">
          {/* Waits while an action runs, so its outcome (or the API's refusal) is seen. */}
          <BusyCancelButton busy={pending} label="Close" onCancel={onClose} />
        </div>
      )}
    </dialog>
  );
}
