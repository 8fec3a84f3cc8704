import { describe, expect, it } from 'vitest';
import { cleanError, loggableError, loggableErrors, loggableMessage } from './loggable-error';

describe('loggableError', () => {
  it('ends a cycle of causes after a few steps', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    Object.assign(first, { cause: second });

    const logged = loggableError(first);

    expect(JSON.stringify(logged).match(/"message"/g)).toHaveLength(5);
  });

  it("names an AggregateError's errors (a refused connection tries each address)", () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });

    const logged = loggableError(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')], ''));

    expect(logged.errors).toEqual([
      expect.objectContaining({ message: 'connect ECONNREFUSED ::1:5432', code: 'ECONNREFUSED' }),
      expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' }),
    ]);
  });

  it("keeps an AWS answer's status and request id, and the stack's frames under the cleaned message", () => {
    const error = Object.assign(new Error('password=hunter2'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403, requestId: 'aws-req-1', attempts: 1 },
    });

    const logged = loggableError(error);

    expect(logged).toMatchObject({
      name: 'AccessDeniedException',
      httpStatusCode: 403,
      awsRequestId: 'aws-req-1',
    });
    expect(logged.stack?.split('\n')[0]).toBe('AccessDeniedException: password=…');
    expect(logged.stack?.split('\n')[1]).toMatch(/^\s+at /);
    expect(logged.location).toMatch(/loggable-error\.test\.ts:\d+$/);
  });

  it("holds none of the text a JSON parser's error quotes (a secret, a body)", () => {
    let parseError: unknown;
    try {
      JSON.parse('{"apiKey": planted-secret-value}');
    } catch (error) {
      parseError = error;
    }

    const logged = loggableError(new Error('could not read the answer', { cause: parseError }));

    expect(JSON.stringify(logged)).not.toContain('planted');
    expect(logged.cause).toMatchObject({ name: 'SyntaxError', message: expect.stringContaining('JSON') });
  });

  it('writes something that is no object as text', () => {
    expect(loggableError('disk full')).toEqual({ name: 'string', message: 'disk full' });
  });
});

describe('loggableMessage', () => {
  it("keeps the names a constraint's message quotes, and cuts the values a data error quotes", () => {
    expect(loggableMessage('duplicate key value violates unique constraint "users_email_key"', '23505')).toBe(
      'duplicate key value violates unique constraint "users_email_key"',
    );
    expect(loggableMessage('value "99999999999" is out of range for type integer', '22003')).toBe(
      'value "…" is out of range for type integer',
    );
    expect(loggableMessage('ERROR: invalid input value for enum role: "x"; SQLState: 22P02')).toBe(
      'ERROR: invalid input value for enum role: "…"; SQLState: 22P02',
    );
  });
});

describe('loggableErrors', () => {
  it('replaces errors only, leaving other values to the logger', () => {
    expect(loggableErrors('error', new Error('x'))).toMatchObject({ name: 'Error', message: 'x' });
    expect(loggableErrors('count', 3)).toBe(3);
  });
});

describe('cleanError', () => {
  it("keeps a node-postgres error's name, code and frames, with its fields only in the cause", () => {
    // Prepare: node-postgres puts the colliding key in an enumerable field
    const failure = Object.assign(
      new Error('duplicate key value violates unique constraint "users_email_key"'),
      {
        name: 'DatabaseError',
        code: '23505',
        detail: 'Key (email)=(ada@example.test) already exists.',
        constraint: 'users_email_key',
      },
    );

    // Act
    const clean = cleanError(failure);

    // Assess: only the code is an own enumerable field; the original is the cause, not enumerable
    expect(clean).toBeInstanceOf(Error);
    expect({ ...clean }).toEqual({ code: '23505' });
    expect(clean).toMatchObject({ name: 'DatabaseError', message: failure.message, cause: failure });
    expect(Object.getOwnPropertyDescriptor(clean, 'cause')?.enumerable).toBe(false);
    expect(clean.stack?.split('\n').slice(1)).toEqual(failure.stack?.split('\n').slice(1));
  });

  it('makes an Error of a thrown value that is none, its text cleaned', () => {
    const clean = cleanError('password=hunter2 refused');

    expect(clean).toMatchObject({ name: 'string', message: 'password=… refused' });
  });
});
