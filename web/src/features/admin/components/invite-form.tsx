import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { ApiError, apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { AdminRole, AdminUser } from '@/features/admin/api/admin-user-schema';
import { inviteUser } from '@/features/admin/api/invite-user';
import { RoleField } from '@/features/admin/components/role-field';

/** Invite someone by e-mail in a role; Cognito sends them the invitation. */
export function InviteForm({ onInvited }: { onInvited(user: AdminUser): void }) {
  const api = useApiClient();
  const id = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AdminRole>('members');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The error is about the address (already someone's, or refused as one): it marks the field. */
  const [emailRefused, setEmailRefused] = useState(false);
  const [invited, setInvited] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    // Enter in the field submits the form whatever its button says: nothing while one runs.
    if (pending) return;
    setPending(true);
    setError(null);
    setEmailRefused(false);
    setInvited(null);
    try {
      const user = await inviteUser(api, { email, role });
      onInvited(user);
      setInvited(user.email);
      setEmail('');
    } catch (caught) {
      setError(apiErrorMessage(caught));
      setEmailRefused(caught instanceof ApiError && (caught.status === 409 || caught.status === 400));
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="card invite" aria-labelledby={`${id}-heading`} onSubmit={(event) => void submit(event)}>
      <h2 id={`${id}-heading`}>Invite a user</h2>
      <div className="toolbar">
        <div className="toolbar__grow">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            type="email"
            required
            maxLength={254}
            autoComplete="off"
            value={email}
            aria-invalid={emailRefused || undefined}
            aria-describedby={emailRefused ? `${id}-error` : undefined}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <RoleField id={`${id}-role`} value={role} onChange={setRole} />
        {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Inviting…' : 'Invite'}
        </button>
      </div>
      {error && (
        <p id={`${id}-error`} className="error" role="alert">
          {error}
        </p>
      )}
      {/* In the page from the start, empty until an invitation goes out: a screen reader reads
          the changes of a live region it has already met, not one mounted with its words. */}
      <div role="status">{invited && <p className="success">Invitation sent to {invited}.</p>}</div>
    </form>
  );
}
