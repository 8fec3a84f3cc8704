import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../shared/errors';
import { assertAllowedModel, estimatePromptTokens, estimateTokens, sleep } from './stream-support';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const started = performance.now();

    await sleep(30);

    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects with the reason as soon as the signal aborts, without waiting the delay out', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('stop');
    const started = performance.now();

    // Act
    const pending = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(reason), 10);

    // Assess
    await expect(pending).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const reason = new Error('already');

    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe('token estimates', () => {
  it('counts about four characters per token, rounding up', () => {
    expect([estimateTokens(''), estimateTokens('abcd'), estimateTokens('abcde')]).toEqual([0, 1, 2]);
  });

  it('adds each message’s framing to the prompt', () => {
    expect(
      estimatePromptTokens([
        { role: 'system', content: 'abcd' },
        { role: 'user', content: '' },
      ]),
    ).toBe(4 + 1 + 4);
  });
});

describe('assertAllowedModel', () => {
  it('accepts a listed model and refuses any other, naming the allowed ones', () => {
    expect(() => assertAllowedModel('a', ['a', 'b'])).not.toThrow();
    expect(() => assertAllowedModel('c', ['a', 'b'])).toThrow(ValidationError);
    expect(() => assertAllowedModel('c', ['a', 'b'])).toThrow('model: expected one of: a, b');
  });
});
