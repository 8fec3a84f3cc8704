import { useCallback, useMemo, useState } from 'react';

import { chosenModel, readModelChoice, saveModelChoice } from '@/features/chat/utils/model-choice';

/** The browser's storage, where there is one to reach. */
function localStorageOrUndefined(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * The model the next message asks for, kept in the browser across visits: undefined when the
 * deployment offers no choice (the server's default then applies, and no picker is shown).
 */
export function useModelChoice(models: readonly string[]): {
  readonly model: string | undefined;
  choose(model: string): void;
} {
  const [stored, setStored] = useState(() => readModelChoice(localStorageOrUndefined()));
  const model = useMemo(() => chosenModel(stored, models), [stored, models]);
  const choose = useCallback((next: string) => {
    setStored(next);
    saveModelChoice(localStorageOrUndefined(), next);
  }, []);
  return { model, choose };
}
