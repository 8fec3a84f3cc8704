import { useCallback, useEffect, useState } from 'react';

import { useApiClient } from '@/lib/api-client-context';
import { getUsage } from '@/features/admin/api/get-usage';
import type { UsageQuery, UsageReport } from '@/features/admin/api/get-usage';

export type UsageState =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly error: unknown }
  | { readonly status: 'ready'; readonly report: UsageReport };

/**
 * The usage report for a range and grouping, read again whenever either changes, or when
 * `retry` is called (after a failure).
 */
export function useUsage({ from, to, groupBy }: UsageQuery): UsageState & { retry(): void } {
  const api = useApiClient();
  const [state, setState] = useState<UsageState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    getUsage(api, { from, to, groupBy }, controller.signal).then(
      (report) => setState({ status: 'ready', report }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [api, from, to, groupBy, attempt]);

  return { ...state, retry };
}
