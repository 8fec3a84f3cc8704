import { describe, expect, it } from 'vitest';

import { DomainError, ServiceUnavailableError } from '../../shared/errors';
import { ModelStreamError, ModelUnavailableError, type ModelUnavailableReason } from './chat-model';

describe('ModelUnavailableError', () => {
  it('is a 503 DomainError that carries Retry-After seconds and its reason', () => {
    // Act
    const error = new ModelUnavailableError('circuit-open', 12, { attempts: 0 });

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(12);
    expect(error.reason).toBe('circuit-open');
    expect(error.details.attempts).toBe(0);
    expect(error.name).toBe('ModelUnavailableError');
  });

  it.each([
    [0, 1],
    [0.2, 1],
    [1.2, 2],
    [-5, 1],
  ])('turns %s seconds into a whole Retry-After of at least one second (%s)', (given, expected) => {
    expect(new ModelUnavailableError('network', given).retryAfterSeconds).toBe(expected);
  });

  it.each<ModelUnavailableReason>(['circuit-open', 'rate-limited', 'server-error', 'network', 'timeout'])(
    'has a message fit to show for %s',
    (reason) => {
      const error = new ModelUnavailableError(reason, 5);

      expect(error.expose).toBe(true);
      expect(error.message).toMatch(/^The AI model .*try again/);
    },
  );
});

describe('ModelStreamError', () => {
  it('is a plain Error (the reply has started, so no HTTP status applies) with its reason', () => {
    const error = new ModelStreamError('cut');

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error.reason).toBe('cut');
    expect(error.name).toBe('ModelStreamError');
    expect(error.message).toContain('cut');
  });
});
