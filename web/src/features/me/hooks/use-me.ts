import { useEffect, useState } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { getMe } from '@/features/me/api/get-me';
import type { Me } from '@/features/me/api/get-me';

export type MeState =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'ready'; readonly me: Me };

export function useMe(): MeState {
  const api = useApiClient();
  const [state, setState] = useState<MeState>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    getMe(api, controller.signal).then(
      (me) => setState({ status: 'ready', me }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', message: apiErrorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [api]);

  return state;
}
