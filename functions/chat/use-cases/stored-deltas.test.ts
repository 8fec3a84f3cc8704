import { describe, expect, it } from 'vitest';
import { StoredDeltas } from './stored-deltas';

describe('StoredDeltas', () => {
  it('emits only text that is saved, coalescing deltas that arrive during a save', async () => {
    // Prepare: a slow save that records what it was given, and what reached the client.
    const saved: string[] = [];
    const emitted: string[] = [];
    const deltas = new StoredDeltas(
      async (content) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        saved.push(content);
      },
      (text) => emitted.push(text),
    );

    // Act
    deltas.push('a');
    deltas.push('b');
    deltas.push('c');
    await deltas.flush();

    // Assess
    expect(saved).toEqual(['a', 'abc']);
    expect(emitted).toEqual(['a', 'bc']);
    expect(deltas.text).toBe('abc');
  });

  it('stops emitting after a failed save, keeps the unsaved text, and reports the failure on flush', async () => {
    const emitted: string[] = [];
    const deltas = new StoredDeltas(
      async () => {
        throw new Error('database gone');
      },
      (text) => emitted.push(text),
    );

    deltas.push('lost?');
    await expect(deltas.flush()).rejects.toThrow('database gone');

    expect(emitted).toEqual([]);
    expect(deltas.text).toBe('lost?');
  });
});
