import { describe, expect, it } from 'vitest';

import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
} from '../errors';
import { PROBLEM_TYPE, problemFor, type ProblemBody } from './problem';

/** A server-side domain error: its message is for logs, not clients. */
class LedgerCorruptedError extends DomainError {
  readonly status = 500;
  readonly slug = 'ledger-corrupted';
  readonly title = 'Ledger unavailable';
}

const bodyOf = (result: { body: string }) => JSON.parse(result.body) as ProblemBody;

describe('problemFor', () => {
  it('shows a client error with its status, type, title, message and request id', () => {
    // Act
    const result = problemFor(new ForbiddenError('Your role does not allow this.'), 'req-1');

    // Assess
    expect(result.statusCode).toBe(403);
    expect(result.headers).toEqual({ 'Content-Type': PROBLEM_TYPE });
    expect(bodyOf(result)).toEqual({
      type: 'urn:parley:problem:forbidden',
      title: 'Not allowed',
      status: 403,
      detail: 'Your role does not allow this.',
      requestId: 'req-1',
    });
  });

  it('lists the field problems of a validation error', () => {
    const error = new ValidationError([
      { path: 'body.title', message: 'must not be empty' },
      { path: 'query.limit', message: 'too big' },
    ]);

    const body = bodyOf(problemFor(error, 'req-2'));

    expect(body.status).toBe(400);
    expect(body.detail).toBe('2 fields are not valid');
    expect(body.errors).toEqual([
      { path: 'body.title', message: 'must not be empty' },
      { path: 'query.limit', message: 'too big' },
    ]);
  });

  it('names the Bearer scheme on a 401 (RFC 6750), and on no other answer', () => {
    const refused = problemFor(new UnauthorizedError('The access token was revoked; sign in again.'), 'r');
    const forbidden = problemFor(new ForbiddenError('Not allowed.'), 'r');

    expect(refused.headers?.['WWW-Authenticate']).toBe('Bearer realm="parley"');
    expect(forbidden.headers?.['WWW-Authenticate']).toBeUndefined();
  });

  it('sends no errors list for other client errors', () => {
    const body = bodyOf(problemFor(new NotFoundError('No such conversation.'), 'req-3'));

    expect(body).not.toHaveProperty('errors');
  });

  it('hides the message of a server-side domain error behind its title', () => {
    const result = problemFor(new LedgerCorruptedError('row 42 of table ledger on db-7 is corrupt'), 'req-4');

    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).detail).toBe('Ledger unavailable');
    expect(result.body).not.toContain('db-7');
  });

  it('shows a 503 message (written for clients) and rounds Retry-After up to whole seconds', () => {
    const result = problemFor(new ServiceUnavailableError('The model is unavailable.', 2.1), 'req-5');

    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('3');
    expect(bodyOf(result).detail).toBe('The model is unavailable.');
  });

  it('sends Retry-After on 429', () => {
    const result = problemFor(new RateLimitedError('Slow down.', 30), 'req-6');

    expect(result.statusCode).toBe(429);
    expect(result.headers?.['Retry-After']).toBe('30');
  });

  it('sends no Retry-After for errors without one', () => {
    const result = problemFor(new ForbiddenError('no'), 'req-7');

    expect(result.headers).not.toHaveProperty('Retry-After');
  });

  it.each([
    ['a plain Error', new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'hunter2')")],
    ['a thrown string', 'hunter2'],
    ['a thrown object', { secret: 'hunter2' }],
    ['undefined', undefined],
  ])('turns %s into a generic 500 that says nothing of the cause', (_case, thrown) => {
    const result = problemFor(thrown, 'req-8');

    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({
      type: 'urn:parley:problem:internal',
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side. Quote the request id if you contact support.',
      requestId: 'req-8',
    });
    expect(result.body).not.toContain('hunter2');
  });
});
