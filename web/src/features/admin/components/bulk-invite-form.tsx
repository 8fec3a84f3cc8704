import { useId, useMemo, useState } from 'react';
import type { FormEvent } from 'react';

import { useApiClient } from '@/lib/api-client-context';
import type { AdminRole, AdminUser } from '@/features/admin/api/admin-user-schema';
import { inviteEach } from '@/features/admin/api/invite-users';
import type { InviteOutcome } from '@/features/admin/api/invite-users';
import { INVITE_BATCH_MAX, parseAddresses } from '@/features/admin/utils/address-list';
import { RoleField } from '@/features/admin/components/role-field';

const OUTCOME_TEXT: Record<InviteOutcome['status'], string> = {
  invited: 'Invited',
  failed: 'Not invited',
  'not-tried': 'Not sent',
};

/**
 * Invites several people in one role: addresses pasted in any common form, checked before
 * anything is sent, then invited one after the other with each outcome shown. What was not
 * invited stays in the box, to correct or to send again later (after the e-mail limit, say).
 */
export function BulkInviteForm({ onInvited }: { onInvited(user: AdminUser): void }) {
  const api = useApiClient();
  const id = useId();
  const [text, setText] = useState('');
  const [role, setRole] = useState<AdminRole>('members');
  const [running, setRunning] = useState(false);
  const [outcomes, setOutcomes] = useState<readonly InviteOutcome[]>([]);
  const parsed = useMemo(() => parseAddresses(text), [text]);
  const count = parsed.addresses.length;
  const tooMany = count > INVITE_BATCH_MAX;
  const problem =
    parsed.invalid.length > 0
      ? `Not e-mail addresses: ${parsed.invalid.slice(0, 5).join(', ')}${parsed.invalid.length > 5 ? ', …' : ''}`
      : tooMany
        ? `At most ${INVITE_BATCH_MAX} addresses at a time (${count} given).`
        : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (running || count === 0 || problem) return;
    setRunning(true);
    setOutcomes([]);
    const results = await inviteEach(api, parsed.addresses, role, (outcome) => {
      setOutcomes((previous) => [...previous, outcome]);
      if (outcome.status === 'invited') onInvited(outcome.user);
    });
    setText(
      results
        .filter((outcome) => outcome.status !== 'invited')
        .map((outcome) => outcome.email)
        .join('\n'),
    );
    setRunning(false);
  }

  const invited = outcomes.filter((outcome) => outcome.status === 'invited').length;

  return (
    <details className="card invite">
      <summary>Invite several people</summary>
      <form aria-label="Invite several users" onSubmit={(event) => void submit(event)}>
        <label htmlFor={`${id}-addresses`}>Email addresses</label>
        <textarea
          id={`${id}-addresses`}
          rows={5}
          value={text}
          aria-describedby={`${id}-hint`}
          aria-invalid={problem ? true : undefined}
          onChange={(event) => setText(event.target.value)}
        />
        <p id={`${id}-hint`} className="muted invite__hint">
          One a line, or separated by commas: pasted from a mail client is fine. At most {INVITE_BATCH_MAX};
          each gets its own invitation e-mail.
          {parsed.repeated > 0 &&
            ` ${parsed.repeated} repeated ${parsed.repeated === 1 ? 'address is' : 'addresses are'} sent once.`}
        </p>
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <div className="toolbar">
          <RoleField id={`${id}-role`} value={role} onChange={setRole} />
          {/* aria-disabled, not disabled: a disabled button loses the keyboard focus, while the
              invitations go out or once they have (the box then empty, nothing left to send). */}
          <button type="submit" aria-disabled={running || count === 0 || problem !== null || undefined}>
            {running ? `Inviting… ${outcomes.length} of ${count}` : count > 0 ? `Invite ${count}` : 'Invite'}
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {outcomes.length > 0 && !running && (
          <p className={invited === outcomes.length ? 'success' : 'muted'} role="status">
            Invited {invited} of {outcomes.length}.
          </p>
        )}
        {outcomes.length > 0 && (
          <ul className="invite__outcomes" data-testid="invite-outcomes">
            {outcomes.map((outcome) => (
              <li key={outcome.email} data-status={outcome.status}>
                <span className="table__id">{outcome.email}</span> — {OUTCOME_TEXT[outcome.status]}
                {outcome.status === 'failed' && `: ${outcome.message}`}
                {outcome.status === 'not-tried' && ': stopped by the refusal above; try again later.'}
              </li>
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}
