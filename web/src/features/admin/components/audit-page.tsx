import { useCallback, useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';

import { useApiClient } from '@/lib/api-client-context';
import { allAuditEvents, AUDIT_DOWNLOAD_MAX, listAuditEvents } from '@/features/admin/api/list-audit-events';
import type { AuditEvent, AuditFilters } from '@/features/admin/api/list-audit-events';
import { ConsoleHeader } from '@/features/admin/components/console-header';
import { ListStatus, LoadMore } from '@/features/admin/components/keyset-list-parts';
import {
  CsvDownloadButton,
  CsvDownloadStatus,
  useCsvDownload,
} from '@/features/admin/components/csv-download';
import { utcDateTime } from '@/features/admin/components/labels';
import { useKeysetList } from '@/lib/use-keyset-list';
import { auditCsv, auditFileName } from '@/features/admin/utils/audit-csv';
import { actorLabel, targetLabel } from '@/features/admin/utils/audit-people';
import type { PersonLabel } from '@/features/admin/utils/audit-people';
import { dayOrUndefined, readFilters, toQueryString } from '@/features/admin/utils/query-string';

const FIELDS = ['actor', 'action', 'target', 'from', 'to'] as const;
type Field = (typeof FIELDS)[number];

const LABELS: Record<Field, string> = {
  actor: 'Actor (id or e-mail)',
  action: 'Action',
  target: 'Target id',
  from: 'From (UTC)',
  to: 'To (UTC)',
};

function filtersOf(search: string): AuditFilters {
  const raw = readFilters(search, FIELDS);
  return { ...raw, from: dayOrUndefined(raw.from), to: dayOrUndefined(raw.to) };
}

/** An actor or target as actorLabel/targetLabel name them, the id behind a name as its tooltip. */
function Person({ label }: { label: PersonLabel | null }) {
  if (!label) return null;
  const title = label.id === undefined ? undefined : `Id ${label.id}`;
  return label.muted ? (
    <span className="muted" title={title}>
      {label.text}
    </span>
  ) : (
    <span title={title}>{label.text}</span>
  );
}

/** The audit trail (admins and auditors), newest first, with exact filters kept in the URL. */
export function AuditPage({ currentUserId }: { currentUserId: string }) {
  const api = useApiClient();
  const id = useId();
  const search = useSearch();
  const [location, navigate] = useLocation();
  const filters = filtersOf(search);
  const { actor, action, target, from, to } = filters;
  const [draft, setDraft] = useState<AuditFilters>(filters);

  useEffect(() => setDraft({ actor, action, target, from, to }), [actor, action, target, from, to]);

  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      listAuditEvents(api, { actor, action, target, from, to }, cursor, signal),
    [api, actor, action, target, from, to],
  );
  const events = useKeysetList<AuditEvent>(fetchPage);

  const download = useCsvDownload();

  /** Every row the applied filters match (up to AUDIT_DOWNLOAD_MAX) as a CSV file. */
  const downloadCsv = () =>
    download.start(async (signal, onProgress) => {
      const result = await allAuditEvents(api, { actor, action, target, from, to }, { signal, onProgress });
      return {
        csv: auditCsv(result.events),
        fileName: auditFileName({ from, to }, new Date()),
        count: result.events.length,
        complete: result.complete,
      };
    });

  function submit(event: FormEvent) {
    event.preventDefault();
    navigate(location + toQueryString({ ...draft }));
  }

  return (
    <section className="console" aria-labelledby={`${id}-heading`}>
      <ConsoleHeader id={`${id}-heading`} title="Audit log">
        <div className="export" role="group" aria-label="Download the audit log">
          <CsvDownloadButton state={download.state} onClick={() => void downloadCsv()} />
        </div>
      </ConsoleHeader>
      <div className="console__body">
        <form className="toolbar filters" role="search" aria-label="Filter the audit log" onSubmit={submit}>
          {FIELDS.map((field) => (
            <div key={field} className={field === 'from' || field === 'to' ? undefined : 'toolbar__grow'}>
              <label htmlFor={`${id}-${field}`}>{LABELS[field]}</label>
              <input
                id={`${id}-${field}`}
                type={field === 'from' || field === 'to' ? 'date' : 'text'}
                value={draft[field] ?? ''}
                onChange={(event) => setDraft((previous) => ({ ...previous, [field]: event.target.value }))}
              />
            </div>
          ))}
          <button type="submit">Filter</button>
          <button
            type="button"
            className="button-secondary"
            onClick={() => navigate(location)}
            disabled={!search}
          >
            Clear
          </button>
        </form>

        <CsvDownloadStatus
          state={download.state}
          noun={['event', 'events']}
          what="The audit log"
          max={AUDIT_DOWNLOAD_MAX}
          testId="audit-download-status"
        />

        <ListStatus
          list={events}
          loading="Loading the audit log…"
          what="The audit log"
          empty="No events match."
          emptyTestId="audit-empty"
        />

        {events.items.length > 0 && (
          <div className="table-scroll" role="region" aria-label="Audit events table" tabIndex={0}>
            <table className="table" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Source</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {events.items.map((event) => (
                  <tr key={event.id} data-testid="audit-row" data-action={event.action}>
                    <td className="table__nowrap">
                      <time dateTime={event.occurredAt}>{utcDateTime(event.occurredAt)}</time>
                    </td>
                    <td className="table__id" data-testid="audit-actor" data-actor-id={event.actorId ?? ''}>
                      <Person label={actorLabel(event)} />
                      {event.actorId === currentUserId && <span className="muted"> (you)</span>}
                    </td>
                    <td className="table__strong table__nowrap">{event.action}</td>
                    <td className="table__id" data-testid="audit-target">
                      {event.targetType && <span className="muted">{event.targetType} </span>}
                      <Person label={targetLabel(event)} />
                    </td>
                    <td className="table__source" data-testid="audit-source">
                      {event.sourceIp ?? <span className="muted">—</span>}
                      {event.userAgent && (
                        <span className="table__agent muted" title={event.userAgent}>
                          {event.userAgent}
                        </span>
                      )}
                    </td>
                    <td className="table__details">
                      <code title={event.requestId ? `Request ${event.requestId}` : undefined}>
                        {Object.keys(event.details).length > 0 ? JSON.stringify(event.details) : '—'}
                      </code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}

        <LoadMore list={events} />
      </div>
    </section>
  );
}
