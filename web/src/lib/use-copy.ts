import { useCallback, useEffect, useState } from 'react';

export type CopyState = 'idle' | 'copied' | 'failed';

/** Copies text to the clipboard and says how it went for two seconds (then `idle` again). */
export function useCopy(): { readonly state: CopyState; copy(text: string): Promise<void> } {
  const [state, setState] = useState<CopyState>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 2_000);
    return () => window.clearTimeout(timer);
  }, [state]);

  const copy = useCallback(async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // No clipboard permission, or an insecure page: say so rather than pretend.
      setState('failed');
    }
  }, []);

  return { state, copy };
}

/** A copy button's text for its state. */
export const copyLabel = (state: CopyState): string =>
  state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy';
