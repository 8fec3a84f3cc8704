import { useCallback, useEffect, useRef, useState } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { saveFile } from '@/lib/save-file';

const countFormat = new Intl.NumberFormat('en-GB');

export type CsvDownloadState =
  | { readonly status: 'idle' }
  | { readonly status: 'running'; readonly count: number }
  | { readonly status: 'done'; readonly count: number; readonly complete: boolean }
  | { readonly status: 'error'; readonly message: string };

/** What a download read: the file, how many rows it holds, and whether that was all of them. */
export interface CsvFile {
  readonly csv: string;
  readonly fileName: string;
  readonly count: number;
  readonly complete: boolean;
}

/**
 * A console page's CSV download of everything its filters match: one at a time (a new one aborts
 * the one running, as leaving the page does), with its progress, then saved as a file.
 */
export function useCsvDownload() {
  const [state, setState] = useState<CsvDownloadState>({ status: 'idle' });
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);

  const start = useCallback(
    async (read: (signal: AbortSignal, onProgress: (count: number) => void) => Promise<CsvFile>) => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      setState({ status: 'running', count: 0 });
      try {
        const file = await read(controller.signal, (count) => setState({ status: 'running', count }));
        saveFile(new Blob([file.csv], { type: 'text/csv;charset=utf-8' }), file.fileName);
        setState({ status: 'done', count: file.count, complete: file.complete });
      } catch (caught) {
        if (controller.signal.aborted) return;
        setState({ status: 'error', message: apiErrorMessage(caught) });
      } finally {
        if (running.current === controller) running.current = null;
      }
    },
    [],
  );

  return { state, start };
}

/** "Download CSV", counting the rows read while it runs. */
export function CsvDownloadButton({ state, onClick }: { state: CsvDownloadState; onClick(): void }) {
  return (
    <button
      type="button"
      className="button-secondary button-small"
      // aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus.
      onClick={() => {
        if (state.status !== 'running') onClick();
      }}
      aria-disabled={state.status === 'running' || undefined}
    >
      {state.status === 'running' ? `Downloading… ${countFormat.format(state.count)}` : 'Download CSV'}
    </button>
  );
}

export interface CsvDownloadStatusProps {
  readonly state: CsvDownloadState;
  /** The row's name, one and many: `['event', 'events']`. */
  readonly noun: readonly [string, string];
  /** What failed to download, as a sentence's subject: "The audit log". */
  readonly what: string;
  /** The most rows a file holds. */
  readonly max: number;
  readonly testId: string;
}

/** How the last download went: what it holds, whether the filters matched more, or why it failed. */
export function CsvDownloadStatus({ state, noun, what, max, testId }: CsvDownloadStatusProps) {
  const [one, many] = noun;
  return (
    <div aria-live="polite" data-testid={testId}>
      {state.status === 'done' &&
        (state.complete ? (
          <p className="muted">
            Downloaded {countFormat.format(state.count)} {state.count === 1 ? one : many} (the filters above
            apply).
          </p>
        ) : (
          <p className="muted">
            Downloaded the newest {countFormat.format(state.count)} {many}: the filters match more, so narrow
            the dates for the rest (at most {countFormat.format(max)} a file).
          </p>
        ))}
      {state.status === 'error' && (
        <p className="error" role="alert">
          {what} could not be downloaded. {state.message}
        </p>
      )}
    </div>
  );
}
