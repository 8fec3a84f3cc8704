import { describe, expect, it } from 'vitest';

import { MODEL_CHOICE_KEY, chosenModel, readModelChoice, saveModelChoice } from './model-choice';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

const refusing = {
  getItem: (): string | null => {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem: (): void => {
    throw new DOMException('full', 'QuotaExceededError');
  },
};

describe('chosenModel', () => {
  it('offers no choice when the deployment allows one model or none', () => {
    expect(chosenModel(null, [])).toBeUndefined();
    expect(chosenModel('gpt-4o', ['gpt-4o-mini'])).toBeUndefined();
  });

  it('keeps the last pick while it is allowed, else falls back to the default (the first)', () => {
    const models = ['gpt-4o-mini', 'gpt-4o'];
    expect(chosenModel('gpt-4o', models)).toBe('gpt-4o');
    expect(chosenModel(null, models)).toBe('gpt-4o-mini');
    expect(chosenModel('retired-model', models)).toBe('gpt-4o-mini');
    expect(chosenModel('__proto__', models)).toBe('gpt-4o-mini');
    expect(chosenModel('', models)).toBe('gpt-4o-mini');
  });
});

describe('readModelChoice and saveModelChoice', () => {
  it('round-trips the choice under its key', () => {
    const storage = memoryStorage();
    saveModelChoice(storage, 'gpt-4o');
    expect(storage.items.get(MODEL_CHOICE_KEY)).toBe('gpt-4o');
    expect(readModelChoice(storage)).toBe('gpt-4o');
  });

  it('treats a storage that refuses, or none, as no choice, without throwing', () => {
    expect(readModelChoice(refusing)).toBeNull();
    expect(() => saveModelChoice(refusing, 'gpt-4o')).not.toThrow();
    expect(readModelChoice(undefined)).toBeNull();
    expect(() => saveModelChoice(undefined, 'gpt-4o')).not.toThrow();
  });
});
