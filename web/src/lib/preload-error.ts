/**
 * A lazy chunk that failed to load (`vite:preloadError`): after a deploy, a tab opened before it
 * may ask for a chunk of the release it started with. The site keeps those (lib/stacks/web-stack.ts),
 * but an edge may still answer from a cached error, or the network may have dropped the request.
 * Reloading fetches the current index.html, which names the current chunks; the drafts live in
 * sessionStorage and survive it.
 */

/** sessionStorage key: when this tab last reloaded itself for a chunk that did not load. */
export const PRELOAD_RELOAD_KEY = 'parley:preload-reload-at';

/**
 * A failure within this long after such a reload is not reloaded again, so a chunk that is truly
 * gone (or a network that is down) ends at the error page instead of reloading for ever.
 */
export const PRELOAD_RELOAD_WINDOW_MS = 60_000;

export interface PreloadErrorDeps {
  readonly storage: Pick<Storage, 'getItem' | 'setItem'>;
  readonly now: () => number;
  readonly reload: () => void;
}

/**
 * Decides on one failed chunk load: reloads the page unless this tab did so within
 * PRELOAD_RELOAD_WINDOW_MS. Returns whether it reloaded; the caller then keeps the error from
 * being thrown (the page is going away), and otherwise lets the error boundary show it.
 */
export function reloadOnceForPreloadError({ storage, now, reload }: PreloadErrorDeps): boolean {
  const at = now();
  try {
    const last = Number(storage.getItem(PRELOAD_RELOAD_KEY));
    if (last > 0 && at - last >= 0 && at - last < PRELOAD_RELOAD_WINDOW_MS) return false;
    storage.setItem(PRELOAD_RELOAD_KEY, String(at));
  } catch {
    // No storage (full, or refused): without the marker a reload could repeat for ever.
    return false;
  }
  reload();
  return true;
}

/**
 * A lazy page's module, as its import resolved. When its chunk failed and the page is reloading
 * for it (`reloadOnceForPreloadError`: Vite's import then resolves to nothing), a wait that never
 * ends, so the page's placeholder stays until the reload instead of the error page flashing.
 */
export function unlessReloading<T>(module: T | undefined): Promise<T> {
  return module === undefined ? new Promise<T>(() => undefined) : Promise.resolve(module);
}
