import { useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';

import { apiErrorMessage } from '@/lib/api-client';
import type { GroupBy } from '@/features/admin/api/get-usage';
import { ConsoleHeader } from '@/features/admin/components/console-header';
import { numberFormat } from '@/features/admin/components/labels';
import { UsageChart } from '@/features/admin/components/usage-chart';
import { usageCsv, usageFileName } from '@/features/admin/utils/usage-csv';
import { usageRowLabel } from '@/features/admin/utils/usage-row-label';
import { saveFile } from '@/lib/save-file';
import { useUsage } from '@/features/admin/hooks/use-usage';
import {
  dayOrUndefined,
  oneOf,
  readFilters,
  thisMonth,
  toQueryString,
} from '@/features/admin/utils/query-string';

const GROUPS = ['user', 'day'] as const;
const costFormat = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

/** Tokens, requests and estimated cost per user or per day (admins and auditors). */
export function UsagePage() {
  const id = useId();
  const search = useSearch();
  const [location, navigate] = useLocation();
  const raw = readFilters(search, ['from', 'to', 'groupBy']);
  const month = thisMonth(new Date());
  const from = dayOrUndefined(raw.from) ?? month.from;
  const to = dayOrUndefined(raw.to) ?? month.to;
  const groupBy: GroupBy = oneOf(raw.groupBy, GROUPS) ?? 'user';
  const [draft, setDraft] = useState({ from, to });
  const usage = useUsage({ from, to, groupBy });

  useEffect(() => setDraft({ from, to }), [from, to]);

  const show = (next: { from: string; to: string; groupBy: GroupBy }) =>
    navigate(location + toQueryString(next));

  function submit(event: FormEvent) {
    event.preventDefault();
    show({ ...draft, groupBy });
  }

  const keyHeading = groupBy === 'user' ? 'User' : 'Day';

  return (
    <section className="console" aria-labelledby={`${id}-heading`}>
      <ConsoleHeader id={`${id}-heading`} title="Usage">
        {usage.status === 'ready' && (
          <div className="export" role="group" aria-label="Download the usage report">
            <button
              type="button"
              className="button-secondary button-small"
              onClick={() =>
                saveFile(
                  new Blob([usageCsv(usage.report)], { type: 'text/csv;charset=utf-8' }),
                  usageFileName(usage.report),
                )
              }
            >
              Download CSV
            </button>
          </div>
        )}
      </ConsoleHeader>
      <div className="console__body">
        <form className="toolbar filters" aria-label="Usage period" onSubmit={submit}>
          <div>
            <label htmlFor={`${id}-from`}>From (UTC)</label>
            <input
              id={`${id}-from`}
              type="date"
              required
              value={draft.from}
              onChange={(event) => setDraft((previous) => ({ ...previous, from: event.target.value }))}
            />
          </div>
          <div>
            <label htmlFor={`${id}-to`}>To (UTC)</label>
            <input
              id={`${id}-to`}
              type="date"
              required
              value={draft.to}
              onChange={(event) => setDraft((previous) => ({ ...previous, to: event.target.value }))}
            />
          </div>
          <div>
            <label htmlFor={`${id}-group`}>Group by</label>
            <select
              id={`${id}-group`}
              value={groupBy}
              onChange={(event) => show({ from, to, groupBy: oneOf(event.target.value, GROUPS) ?? 'user' })}
            >
              <option value="user">User</option>
              <option value="day">Day</option>
            </select>
          </div>
          <button type="submit">Show</button>
        </form>

        <div aria-live="polite" aria-busy={usage.status === 'loading'}>
          {usage.status === 'loading' && <p className="muted">Loading usage…</p>}
          {usage.status === 'error' && (
            <div className="error" role="alert">
              <p>The usage could not be loaded. {apiErrorMessage(usage.error)}</p>
              <button type="button" className="button-small" onClick={usage.retry}>
                Try again
              </button>
            </div>
          )}
        </div>

        {usage.status === 'ready' && (
          <>
            <dl className="stats" data-testid="usage-totals">
              <div className="card stats__item">
                <dt>Tokens</dt>
                <dd>{numberFormat.format(usage.report.totals.totalTokens)}</dd>
              </div>
              <div className="card stats__item">
                <dt>Requests</dt>
                <dd>{numberFormat.format(usage.report.totals.requests)}</dd>
              </div>
              <div className="card stats__item">
                <dt>Estimated cost</dt>
                <dd>{costFormat.format(usage.report.totals.costUsd)}</dd>
              </div>
            </dl>

            {usage.report.items.length === 0 ? (
              <p className="muted" data-testid="usage-empty">
                No usage from {usage.report.from} to {usage.report.to}.
              </p>
            ) : (
              <>
                <div className="card usage-chart__frame" role="region" aria-label="Usage chart" tabIndex={0}>
                  <UsageChart rows={usage.report.items} labelOf={usageRowLabel} />
                </div>
                <div className="table-scroll" role="region" aria-label="Usage table" tabIndex={0}>
                  <table className="table" data-testid="usage-table">
                    <thead>
                      <tr>
                        <th scope="col">{keyHeading}</th>
                        <th scope="col" className="table__number">
                          Requests
                        </th>
                        <th scope="col" className="table__number">
                          Prompt tokens
                        </th>
                        <th scope="col" className="table__number">
                          Completion tokens
                        </th>
                        <th scope="col" className="table__number">
                          Total tokens
                        </th>
                        <th scope="col" className="table__number">
                          Estimated cost
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {usage.report.items.map((row) => (
                        <tr key={row.key} data-testid="usage-row">
                          <td className="table__strong table__truncate">{usageRowLabel(row)}</td>
                          <td className="table__number">{numberFormat.format(row.requests)}</td>
                          <td className="table__number">{numberFormat.format(row.promptTokens)}</td>
                          <td className="table__number">{numberFormat.format(row.completionTokens)}</td>
                          <td className="table__number">{numberFormat.format(row.totalTokens)}</td>
                          <td className="table__number">{costFormat.format(row.costUsd)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </div>
    </section>
  );
}
