import { useCallback, useEffect, useRef, useState } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { getMe } from '@/features/me/api/get-me';
import type { Me } from '@/features/me/api/get-me';

export type MeState =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'ready'; readonly me: Me };

export type UseMe = MeState & {
  /** Reads /me again (e.g. the quota after a reply), keeping what is shown until it answers. */
  refresh(): void;
};

export function useMe(): UseMe {
  const api = useApiClient();
  const [state, setState] = useState<MeState>({ status: 'loading' });
  const inFlight = useRef<AbortController | null>(null);

  const load = useCallback(
    (initial: boolean) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      getMe(api, controller.signal).then(
        (me) => setState({ status: 'ready', me }),
        (error: unknown) => {
          // A failed refresh keeps the account shown; only a failed first load is an error.
          if (!controller.signal.aborted && initial) {
            setState({ status: 'error', message: apiErrorMessage(error) });
          }
        },
      );
      return controller;
    },
    [api],
  );

  useEffect(() => {
    const controller = load(true);
    return () => controller.abort();
  }, [load]);

  const refresh = useCallback(() => void load(false), [load]);

  return { ...state, refresh } as UseMe;
}
