/** How a download reads a keyset list: one page of at most `limit` items after `cursor`. */
export type PageReader<T> = (
  cursor: string | undefined,
  limit: number,
) => Promise<{ readonly items: readonly T[]; readonly nextCursor: string | null }>;

export interface AllPagesOptions {
  /** The most items read. */
  readonly max: number;
  /** Items asked for a request (the API's largest page). */
  readonly pageSize: number;
  onProgress?(count: number): void;
}

/**
 * Every item a keyset list holds, newest first, page after page (one request at a time, so a
 * download stays far inside the API's rate limits), up to `max`; `complete` is false when there
 * were more.
 */
export async function allPages<T>(
  read: PageReader<T>,
  { max, pageSize, onProgress }: AllPagesOptions,
): Promise<{ readonly items: readonly T[]; readonly complete: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const limit = Math.min(pageSize, max - items.length);
    const page = await read(cursor, limit);
    items.push(...page.items.slice(0, limit));
    onProgress?.(items.length);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < max);
  return { items, complete: cursor === undefined };
}
