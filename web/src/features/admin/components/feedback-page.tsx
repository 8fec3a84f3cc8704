import { useCallback, useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';

import { Icon } from '@/components/icons';
import { useApiClient } from '@/lib/api-client-context';
import {
  allFeedback,
  FEEDBACK_DOWNLOAD_MAX,
  FEEDBACK_RATINGS,
  FEEDBACK_REASONS,
  listFeedback,
} from '@/features/admin/api/list-feedback';
import type { FeedbackEntry, FeedbackFilters, FeedbackTotals } from '@/features/admin/api/list-feedback';
import { ConsoleHeader } from '@/features/admin/components/console-header';
import { ListStatus, LoadMore } from '@/features/admin/components/keyset-list-parts';
import {
  CsvDownloadButton,
  CsvDownloadStatus,
  useCsvDownload,
} from '@/features/admin/components/csv-download';
import { RATING_LABELS, REASON_LABELS, utcDateTime } from '@/features/admin/components/labels';
import { useKeysetList } from '@/lib/use-keyset-list';
import { feedbackCsv, feedbackFileName } from '@/features/admin/utils/feedback-csv';
import { dayOrUndefined, oneOf, readFilters, toQueryString } from '@/features/admin/utils/query-string';

const FIELDS = ['rating', 'reason', 'model', 'from', 'to'] as const;

/** What the form holds before it is applied: any text, checked on the way back from the URL. */
type Draft = Partial<Record<(typeof FIELDS)[number], string>>;

const countFormat = new Intl.NumberFormat('en-GB');

function filtersOf(search: string): FeedbackFilters {
  const raw = readFilters(search, FIELDS);
  return {
    rating: oneOf(raw.rating, FEEDBACK_RATINGS),
    reason: oneOf(raw.reason, FEEDBACK_REASONS),
    model: raw.model,
    from: dayOrUndefined(raw.from),
    to: dayOrUndefined(raw.to),
  };
}

/**
 * People's feedback on replies (admins and auditors), newest first, with exact filters kept in
 * the URL and the count of each rating they match. Who, which model, when and what they wrote:
 * never the reply or the conversation (the API does not send them).
 */
export function FeedbackPage() {
  const api = useApiClient();
  const id = useId();
  const search = useSearch();
  const [location, navigate] = useLocation();
  const filters = filtersOf(search);
  const { rating, reason, model, from, to } = filters;
  const [draft, setDraft] = useState<Draft>(filters);

  useEffect(() => setDraft({ rating, reason, model, from, to }), [rating, reason, model, from, to]);

  // Every page carries the totals of the filters; the list keeps the items, this the totals of the
  // answer it last took (an answer to filters since left is aborted, so never shown).
  const [totals, setTotals] = useState<FeedbackTotals | null>(null);
  const fetchPage = useCallback(
    async (cursor: string | undefined, signal: AbortSignal) => {
      const page = await listFeedback(api, { rating, reason, model, from, to }, cursor, signal);
      if (!signal.aborted) setTotals(page.totals);
      return page;
    },
    [api, rating, reason, model, from, to],
  );
  const feedback = useKeysetList<FeedbackEntry>(fetchPage);

  const download = useCsvDownload();

  /** Every row the applied filters match (up to FEEDBACK_DOWNLOAD_MAX) as a CSV file. */
  const downloadCsv = () =>
    download.start(async (signal, onProgress) => {
      const result = await allFeedback(api, { rating, reason, model, from, to }, { signal, onProgress });
      return {
        csv: feedbackCsv(result.entries),
        fileName: feedbackFileName({ from, to }, new Date()),
        count: result.entries.length,
        complete: result.complete,
      };
    });

  function submit(event: FormEvent) {
    event.preventDefault();
    navigate(location + toQueryString({ ...draft }));
  }

  const edit = (field: keyof Draft) => (event: { target: { value: string } }) =>
    setDraft((previous) => ({ ...previous, [field]: event.target.value }));

  const showTotals = totals !== null && (feedback.status === 'ready' || feedback.status === 'loading-more');
  const filtered = Object.values(filters).some((value) => value !== undefined);

  return (
    <section className="console" aria-labelledby={`${id}-heading`}>
      <ConsoleHeader id={`${id}-heading`} title="Feedback">
        <div className="export" role="group" aria-label="Download the feedback">
          <CsvDownloadButton state={download.state} onClick={() => void downloadCsv()} />
        </div>
      </ConsoleHeader>
      <div className="console__body">
        <p className="hint" data-testid="feedback-privacy">
          What people said of replies with the thumbs under them: who, which model, when, and their reason and
          comment. The reply and the conversation are never shown here.
        </p>

        <form className="toolbar filters" role="search" aria-label="Filter the feedback" onSubmit={submit}>
          <div>
            <label htmlFor={`${id}-rating`}>Rating</label>
            <select id={`${id}-rating`} value={draft.rating ?? ''} onChange={edit('rating')}>
              <option value="">Any rating</option>
              {FEEDBACK_RATINGS.map((value) => (
                <option key={value} value={value}>
                  {RATING_LABELS[value]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-reason`}>Reason</label>
            <select id={`${id}-reason`} value={draft.reason ?? ''} onChange={edit('reason')}>
              <option value="">Any reason</option>
              {FEEDBACK_REASONS.map((value) => (
                <option key={value} value={value}>
                  {REASON_LABELS[value]}
                </option>
              ))}
            </select>
          </div>
          <div className="toolbar__grow">
            <label htmlFor={`${id}-model`}>Model</label>
            <input id={`${id}-model`} type="text" value={draft.model ?? ''} onChange={edit('model')} />
          </div>
          <div>
            <label htmlFor={`${id}-from`}>From (UTC)</label>
            <input id={`${id}-from`} type="date" value={draft.from ?? ''} onChange={edit('from')} />
          </div>
          <div>
            <label htmlFor={`${id}-to`}>To (UTC)</label>
            <input id={`${id}-to`} type="date" value={draft.to ?? ''} onChange={edit('to')} />
          </div>
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
          noun={['entry', 'entries']}
          what="The feedback"
          max={FEEDBACK_DOWNLOAD_MAX}
          testId="feedback-download-status"
        />

        <ListStatus
          list={feedback}
          loading="Loading the feedback…"
          what="The feedback"
          empty="No feedback matches."
          emptyTestId="feedback-empty"
        >
          {showTotals && (
            <p className="feedback-totals">
              <span data-testid="feedback-totals">
                {countFormat.format(totals.up)} up · {countFormat.format(totals.down)} down
              </span>{' '}
              <span className="muted">{filtered ? 'for these filters' : 'in all'}</span>
            </p>
          )}
        </ListStatus>

        {feedback.items.length > 0 && (
          <div className="table-scroll" role="region" aria-label="Feedback table" tabIndex={0}>
            <table className="table" data-testid="feedback-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Person</th>
                  <th scope="col">Model</th>
                  <th scope="col">Rating</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Comment</th>
                </tr>
              </thead>
              <tbody>
                {feedback.items.map((entry) => (
                  <tr
                    key={entry.messageId}
                    data-testid="feedback-row"
                    data-rating={entry.rating}
                    data-user-id={entry.userId}
                  >
                    <td className="table__nowrap">
                      <time dateTime={entry.updatedAt}>{utcDateTime(entry.updatedAt)}</time>
                    </td>
                    <td className="table__strong table__truncate" title={entry.email ?? entry.userId}>
                      {entry.email ?? <span className="table__id muted">{entry.userId}</span>}
                    </td>
                    <td className="table__nowrap">{entry.model ?? <span className="muted">—</span>}</td>
                    <td className="table__nowrap" data-testid="feedback-rating">
                      <span className={`badge ${entry.rating === 'up' ? 'badge--ok' : 'badge--danger'}`}>
                        <Icon name={entry.rating === 'up' ? 'thumbsUp' : 'thumbsDown'} />{' '}
                        {RATING_LABELS[entry.rating]}
                      </span>
                    </td>
                    <td className="table__nowrap" data-testid="feedback-reason">
                      {entry.reason ? REASON_LABELS[entry.reason] : <span className="muted">—</span>}
                    </td>
                    {/* Typed by the person: React renders it as text, whatever markup it holds;
                        dir="auto": in the direction of its own words, as every text people write. */}
                    <td className="table__comment" data-testid="feedback-comment" dir="auto">
                      {entry.comment ?? <span className="muted">—</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}

        <LoadMore list={feedback} />
      </div>
    </section>
  );
}
