import { useCallback } from 'react';

import { useApiClient } from '@/lib/api-client-context';
import { useKeysetList } from '@/lib/use-keyset-list';
import type { KeysetList } from '@/lib/use-keyset-list';
import { searchMessages } from '@/features/search/api/search-messages';
import type { SearchHit } from '@/features/search/api/search-messages';

/** The caller's messages matching `q`, best first (newest first for a Chinese, Japanese or Korean `q`), a page at a time; idle while `q` is empty. */
export function useSearch(q: string): KeysetList<SearchHit> {
  const api = useApiClient();
  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => searchMessages(api, { q, cursor }, signal),
    [api, q],
  );
  return useKeysetList(q ? fetchPage : null);
}
