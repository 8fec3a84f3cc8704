import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';

import { useApiClient } from '@/lib/api-client-context';
import { ROLES, STATUSES } from '@/features/admin/api/admin-user-schema';
import type { AdminUser } from '@/features/admin/api/admin-user-schema';
import { INACTIVE_DAYS, LOCKED_FILTERS, MFA_FILTERS, listUsers } from '@/features/admin/api/list-users';
import type { UserFilters } from '@/features/admin/api/list-users';
import { ConsoleHeader } from '@/features/admin/components/console-header';
import { ListStatus, LoadMore } from '@/features/admin/components/keyset-list-parts';
import { BulkInviteForm } from '@/features/admin/components/bulk-invite-form';
import { InviteForm } from '@/features/admin/components/invite-form';
import { ROLE_LABELS, dateTimeFormat, numberFormat } from '@/features/admin/components/labels';
import { ManageUserDialog } from '@/features/admin/components/manage-user-dialog';
import { useKeysetList } from '@/lib/use-keyset-list';
import {
  describeUserFilters,
  oneOf,
  readUserFilters,
  toQueryString,
} from '@/features/admin/utils/query-string';

/** The empty list's message, naming the filters that left nobody. */
function emptyMessage(filters: UserFilters): string {
  const named = describeUserFilters(filters, (role) => ROLE_LABELS[role]);
  return named ? `No users match these filters: ${named}.` : 'No users match.';
}

/** Users (admins only): search and filters, keyset pages, and each user's actions. */
export function UsersPage() {
  const api = useApiClient();
  const id = useId();
  const search = useSearch();
  const [location, navigate] = useLocation();
  const filters = readUserFilters(search);
  const { q, role, status, inactiveDays, mfa, locked } = filters;
  const [text, setText] = useState(q ?? '');
  const [managing, setManaging] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => setText(q ?? ''), [q]);

  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      listUsers(api, { q, role, status, inactiveDays, mfa, locked }, cursor, signal),
    [api, q, role, status, inactiveDays, mfa, locked],
  );
  const users = useKeysetList<AdminUser>(fetchPage);
  const managed = users.items.find((user) => user.id === managing);
  const tableBody = useRef<HTMLTableSectionElement>(null);
  const searchBox = useRef<HTMLInputElement>(null);
  /**
   * After an erase, where the keyboard focus goes: the dialog would give it back to the erased
   * person's Manage button, gone with their row. The next person's Manage (the one before at the end
   * of the list), or the search box when the list is empty. `undefined`: nothing to do.
   */
  const focusAfterErase = useRef<string | null | undefined>(undefined);

  useEffect(() => {
    const target = focusAfterErase.current;
    if (target === undefined) return;
    focusAfterErase.current = undefined;
    const row = [...(tableBody.current?.rows ?? [])].find((tr) => tr.dataset.userId === target);
    (row?.querySelector('button') ?? searchBox.current)?.focus();
  }, [users.items]);

  const show = (next: UserFilters) => navigate(location + toQueryString({ ...next }));

  function submit(event: FormEvent) {
    event.preventDefault();
    show({ ...filters, q: text });
  }

  return (
    <section className="console" aria-labelledby={`${id}-heading`}>
      <ConsoleHeader id={`${id}-heading`} title="Users" />
      <div className="console__body">
        <p className="success" role="status" data-testid="users-notice" hidden={!notice}>
          {notice}
        </p>
        <InviteForm onInvited={(user) => users.prepend(user)} />
        <BulkInviteForm onInvited={(user) => users.prepend(user)} />

        <form className="toolbar filters" role="search" aria-label="Filter users" onSubmit={submit}>
          <div className="toolbar__grow">
            <label htmlFor={`${id}-q`}>Search</label>
            <input
              ref={searchBox}
              id={`${id}-q`}
              type="search"
              placeholder="Email or name"
              value={text}
              onChange={(event) => setText(event.target.value)}
            />
          </div>
          <div>
            <label htmlFor={`${id}-role`}>Role</label>
            <select
              id={`${id}-role`}
              value={role ?? ''}
              onChange={(event) => show({ ...filters, role: oneOf(event.target.value, ROLES) })}
            >
              <option value="">Any role</option>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {ROLE_LABELS[value]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-status`}>Status</label>
            <select
              id={`${id}-status`}
              value={status ?? ''}
              onChange={(event) => show({ ...filters, status: oneOf(event.target.value, STATUSES) })}
            >
              <option value="">Any status</option>
              <option value="active">Active</option>
              <option value="disabled">Disabled</option>
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-inactive`}>Last sign-in</label>
            <select
              id={`${id}-inactive`}
              value={inactiveDays ?? ''}
              onChange={(event) =>
                show({ ...filters, inactiveDays: oneOf(event.target.value, INACTIVE_DAYS) })
              }
            >
              <option value="">Any time</option>
              {INACTIVE_DAYS.map((days) => (
                <option key={days} value={days}>
                  Not for {days} days
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-mfa`}>Two-factor</label>
            <select
              id={`${id}-mfa`}
              value={mfa ?? ''}
              onChange={(event) => show({ ...filters, mfa: oneOf(event.target.value, MFA_FILTERS) })}
            >
              <option value="">Any</option>
              <option value="on">Set up</option>
              <option value="off">Not set up</option>
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-locked`}>Sign-in lockout</label>
            <select
              id={`${id}-locked`}
              value={locked ?? ''}
              onChange={(event) => show({ ...filters, locked: oneOf(event.target.value, LOCKED_FILTERS) })}
            >
              <option value="">Anyone</option>
              <option value="true">Locked out now</option>
            </select>
          </div>
          <button type="submit">Search</button>
        </form>

        <ListStatus
          list={users}
          loading="Loading users…"
          what="The users"
          empty={emptyMessage(filters)}
          emptyTestId="users-empty"
        />

        {users.items.length > 0 && (
          <div className="table-scroll" role="region" aria-label="Users table" tabIndex={0}>
            <table className="table" data-testid="users-table">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">MFA</th>
                  <th scope="col">Locked</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col" className="table__number">
                    Used / quota
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody ref={tableBody}>
                {users.items.map((user) => (
                  <tr key={user.id} data-testid="user-row" data-user-id={user.id}>
                    <td className="table__strong table__truncate" title={user.email}>
                      {user.email}
                      {user.kind === 'service' && <span className="badge badge--muted">service</span>}
                    </td>
                    {/* The name as people write it: in its own direction, as every text people write. */}
                    <td className="table__truncate" dir="auto">
                      {user.displayName || <span className="muted">—</span>}
                    </td>
                    <td data-testid="user-role">{user.role ? ROLE_LABELS[user.role] : 'No role'}</td>
                    <td>
                      <span
                        className={`badge ${user.status === 'active' ? 'badge--ok' : 'badge--danger'}`}
                        data-testid="user-status"
                      >
                        {user.status === 'active' ? 'Active' : 'Disabled'}
                      </span>
                    </td>
                    <td data-testid="user-mfa">{user.mfaEnabled ? 'On' : 'Off'}</td>
                    <td data-testid="user-locked">
                      {user.locked ? (
                        <span className="badge badge--warning" title={user.lockedUntil ?? undefined}>
                          Locked
                        </span>
                      ) : (
                        <span className="muted">No</span>
                      )}
                    </td>
                    <td className="table__nowrap" data-testid="user-last-sign-in">
                      {user.lastSignInAt ? (
                        <time dateTime={user.lastSignInAt}>
                          {dateTimeFormat.format(new Date(user.lastSignInAt))}
                        </time>
                      ) : (
                        <span className="muted">Never</span>
                      )}
                    </td>
                    <td className="table__number" data-testid="user-usage">
                      {numberFormat.format(user.usedTokens)} / {numberFormat.format(user.monthlyTokens)}
                      {user.quotaIsDefault && <span className="muted"> (role default)</span>}
                    </td>
                    <td className="table__actions">
                      <button
                        type="button"
                        className="button-secondary button-small"
                        aria-label={`Manage ${user.email}`}
                        onClick={() => setManaging(user.id)}
                      >
                        Manage
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}

        <LoadMore list={users} />
      </div>

      {managed && (
        <ManageUserDialog
          user={managed}
          onChanged={(next) =>
            users.replace(
              (user) => user.id === next.id,
              () => next,
            )
          }
          onErased={(erased) => {
            const at = users.items.findIndex((user) => user.id === erased.id);
            focusAfterErase.current = (users.items[at + 1] ?? users.items[at - 1])?.id ?? null;
            users.remove((user) => user.id === erased.id);
            setManaging(null);
            setNotice(`${erased.email} was erased.`);
          }}
          onClose={() => setManaging(null)}
        />
      )}
    </section>
  );
}
