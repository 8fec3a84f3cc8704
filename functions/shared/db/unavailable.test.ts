import { describe, expect, it } from 'vitest';
import { DataApiServiceError } from '../aws/data-api-client';
import { problemFor } from '../http/problem';
import { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailable, isDatabaseUnavailable } from './unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (name: string) => Object.assign(new Error('from the Data API'), { name });
/** What our Data API client throws for an answer whose body names no exception type. */
const unnamedAnswer = (status: number) =>
  new DataApiServiceError('UnknownError', `HTTP ${status}: <html>`, status, undefined);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset socket', withCode('read ECONNRESET', 'ECONNRESET')],
    [
      'a server shutting down (57P01)',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    ['a server starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection exception (08006)', withCode('connection failure', '08006')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['a socket closed under a query', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('timeout exceeded when trying to connect')],
    ['Aurora still resuming', named('DatabaseResumingException')],
    ['the Data API unavailable', named('DatabaseUnavailableException')],
    [
      'a transaction the Data API lost (rolled back by a failover, a resume or its 3-minute idle limit)',
      named('TransactionNotFoundException'),
    ],
    ["the Data API's front door answering 502 with a page", unnamedAnswer(502)],
    ['the Data API answering 503 with no body', unnamedAnswer(503)],
    ['the Data API timing out at its gateway (504)', unnamedAnswer(504)],
    [
      'both addresses refused (AggregateError)',
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed'),
    ],
    ['a wrapped cause', new Error('query failed', { cause: withCode('read ECONNRESET', 'ECONNRESET') })],
  ])('says yes for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a syntax error', withCode('syntax error', '42601')],
    ['a unique violation', withCode('duplicate key value', '23505')],
    ['a statement that ran too long', withCode('canceling statement due to statement timeout', '57014')],
    ['a plain bug', new TypeError('x is not a function')],
    ['a Data API answer of 400 with no type', unnamedAnswer(400)],
    ['a Data API answer of 500 with no type', unnamedAnswer(500)],
    [
      'a status that is not a number',
      Object.assign(new Error('odd'), { $metadata: { httpStatusCode: '503' } }),
    ],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('says no for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = a;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});

describe('databaseUnavailable', () => {
  it('is a shown 503 that tells the client when to retry', () => {
    const error = databaseUnavailable();
    expect(error.status).toBe(503);
    expect(error.slug).toBe('service-unavailable');
    expect(error.expose).toBe(true);
    expect(error.retryAfterSeconds).toBe(DATABASE_RETRY_AFTER_SECONDS);
  });
});

describe('problemFor with an unreachable database', () => {
  it('answers 503 service-unavailable with Retry-After, naming nothing of the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });

    const response = problemFor(refused, 'req-7');

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) });
    expect(JSON.parse(response.body)).toMatchObject({
      type: 'urn:parley:problem:service-unavailable',
      requestId: 'req-7',
    });
    expect(response.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.5/);
  });
});
