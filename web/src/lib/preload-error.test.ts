import { describe, expect, it, vi } from 'vitest';

import {
  PRELOAD_RELOAD_KEY,
  PRELOAD_RELOAD_WINDOW_MS,
  reloadOnceForPreloadError,
  unlessReloading,
} from './preload-error';

/** A sessionStorage of one tab. */
function memoryStorage(initial: Record<string, string> = {}): Pick<Storage, 'getItem' | 'setItem'> {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
  };
}

describe('reloadOnceForPreloadError', () => {
  it('reloads the page when a chunk fails to load, noting when', () => {
    // Prepare
    const storage = memoryStorage();
    const reload = vi.fn();

    // Act
    const reloaded = reloadOnceForPreloadError({ storage, now: () => 1_000_000, reload });

    // Assess
    expect(reloaded).toBe(true);
    expect(reload).toHaveBeenCalledOnce();
    expect(storage.getItem(PRELOAD_RELOAD_KEY)).toBe('1000000');
  });

  it('does not reload again when the chunk still fails right after its reload', () => {
    // Prepare: the tab reloaded itself 5 s ago.
    const storage = memoryStorage({ [PRELOAD_RELOAD_KEY]: '1000000' });
    const reload = vi.fn();

    // Act
    const reloaded = reloadOnceForPreloadError({ storage, now: () => 1_005_000, reload });

    // Assess: the error goes on to the error boundary.
    expect(reloaded).toBe(false);
    expect(reload).not.toHaveBeenCalled();
  });

  it('reloads again for a failure long after the last reload (a later deploy)', () => {
    const storage = memoryStorage({ [PRELOAD_RELOAD_KEY]: '1000000' });
    const reload = vi.fn();

    const reloaded = reloadOnceForPreloadError({
      storage,
      now: () => 1_000_000 + PRELOAD_RELOAD_WINDOW_MS,
      reload,
    });

    expect(reloaded).toBe(true);
    expect(reload).toHaveBeenCalledOnce();
  });

  it('does not reload when it cannot note the reload, so it can never loop', () => {
    const storage = {
      getItem: () => null,
      setItem: () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
    };
    const reload = vi.fn();

    expect(reloadOnceForPreloadError({ storage, now: () => 1_000_000, reload })).toBe(false);
    expect(reload).not.toHaveBeenCalled();
  });
});

describe('unlessReloading', () => {
  it('gives the module of an import that loaded', async () => {
    const module = { Page: () => null };

    await expect(unlessReloading(module)).resolves.toBe(module);
  });

  it('never settles for the nothing an import resolves to while the page reloads for its chunk', async () => {
    // Prepare
    const settled = vi.fn();

    // Act
    void unlessReloading(undefined).then(settled, settled);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess: no module and no error: the placeholder stays until the reload
    expect(settled).not.toHaveBeenCalled();
  });
});
