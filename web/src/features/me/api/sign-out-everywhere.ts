import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

/** Ends every session of the caller: access tokens issued before now are refused from here on. */
export async function signOutEverywhere(api: ApiClient): Promise<void> {
  await api.request('/me/sign-out', z.undefined(), { method: 'POST' });
}
