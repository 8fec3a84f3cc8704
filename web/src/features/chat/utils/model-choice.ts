/** Where the browser keeps the model a person last picked (a name, nothing personal). */
export const MODEL_CHOICE_KEY = 'parley.model';

/**
 * The model to offer first: the one picked last, while the deployment still allows it, else the
 * deployment's default (the first). undefined when there is nothing to pick between.
 */
export function chosenModel(stored: string | null, models: readonly string[]): string | undefined {
  if (models.length < 2) return undefined;
  return stored !== null && models.includes(stored) ? stored : models[0];
}

/** The stored choice, or null where storage is unavailable (a private window, a policy). */
export function readModelChoice(storage: Pick<Storage, 'getItem'> | undefined): string | null {
  try {
    return storage?.getItem(MODEL_CHOICE_KEY) ?? null;
  } catch {
    return null;
  }
}

/** Keeps the choice for the next visit; a storage that refuses only loses the memory of it. */
export function saveModelChoice(storage: Pick<Storage, 'setItem'> | undefined, model: string): void {
  try {
    storage?.setItem(MODEL_CHOICE_KEY, model);
  } catch {
    // Nothing to do: the choice still applies on this page.
  }
}
