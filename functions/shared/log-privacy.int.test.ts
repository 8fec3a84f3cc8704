import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { testSql } from '#test/support/database';
import { sql, type SqlDatabase } from './db/sql';
import type { ApiEvent } from './http/types';
import * as z from './zod';

// The logger reads its level once, when first imported: INFO here, so its lines can be read. And
// an operator has asked Powertools to log every invocation's event.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
const { logger } = await import('./powertools');
const { reportError } = await import('./http/error-handler');
const { setUpApiEnvironment } = await import('#test/support/api');
const { lambdaContext } = await import('#test/support/lambda-context');
// Route handlers read their configuration at cold start: set the environment first.
setUpApiEnvironment();
const { lambdaHandler } = await import('./http/router');
const { routeDefiner } = await import('./http/route');
const { ok } = await import('./http/responses');

const queries = testSql();
const onDataApi = sqlOnDataApi();
const drivers: Record<'pg' | 'data-api', () => SqlDatabase> = {
  pg: () => queries,
  'data-api': () => onDataApi.db(),
};
afterAll(async () => {
  await queries.destroy();
});

let lines: string[];
beforeEach(() => {
  lines = [];
  // Powertools writes ERROR and WARN lines to stderr, the others to stdout.
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The one error line the failure wrote, parsed, and the raw text of everything written. */
function logged(): { readonly entry: Record<string, unknown>; readonly text: string } {
  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const errors = entries.filter((entry) => entry.level === 'ERROR');
  expect(errors).toHaveLength(1);
  return { entry: errors[0] as Record<string, unknown>, text: lines.join('\n') };
}

/** The error a statement fails with (it must fail). */
async function failureOf(db: SqlDatabase, statement: ReturnType<typeof sql>): Promise<unknown> {
  try {
    await db.query(statement);
  } catch (error) {
    return error;
  }
  throw new Error('the statement did not fail');
}

const marker = () => `planted-${randomUUID()}`;

describe.each(Object.keys(drivers) as (keyof typeof drivers)[])(
  "a failed query's error line (%s)",
  (driver) => {
    it("holds no message content from the failing row, and still names the constraint's failure", async () => {
      // Prepare: a message row the database refuses (a negative token count), its content planted.
      const content = marker();
      const failure = await failureOf(
        drivers[driver](),
        sql`insert into messages (conversation_id, owner_id, role, content, prompt_tokens)
            values (${randomUUID()}::uuid, ${'nobody'}, 'user', ${content}, -1)`,
      );

      // Act
      const answer = reportError(failure, 'req-row');

      // Assess: a generic 500 with its request id, a line an operator can act on, no content
      expect(answer.statusCode).toBe(500);
      expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ requestId: 'req-row' });
      const { entry, text } = logged();
      expect(text).not.toContain(content);
      expect(entry).toMatchObject({ message: 'Request failed', requestId: 'req-row' });
      expect(JSON.stringify(entry.error)).toContain('23514');
      expect(JSON.stringify(entry.error)).toContain('messages_prompt_tokens_check');
    });

    it('holds no value a data error quotes, and still says which type refused it', async () => {
      const value = marker();
      const failure = await failureOf(drivers[driver](), sql`select ${value}::uuid as id`);

      reportError(failure, 'req-value');

      const { entry, text } = logged();
      expect(text).not.toContain(value);
      expect(JSON.stringify(entry.error)).toContain('invalid input syntax for type uuid');
      expect(JSON.stringify(entry.error)).toContain('22P02');
    });
  },
);

describe('a unique violation on node-postgres', () => {
  it('holds no e-mail address from the key that collided, and still names the index', async () => {
    // Prepare: two rows with one planted address, the second refused
    const email = `${marker()}@example.test`;
    const insert = () =>
      sql`insert into users (id, email, display_name, role) values (${randomUUID()}, ${email}, 'x', 'members')`;
    await queries.query(insert());
    const failure = await failureOf(queries, insert());

    // Act
    reportError(failure, 'req-unique');

    // Assess
    const { entry, text } = logged();
    expect(text).not.toContain(email);
    expect(JSON.stringify(entry.error)).toContain('23505');
  });
});

describe("an error's line", () => {
  it('holds no password of a connection URL, in the message, the stack or a cause', () => {
    // Built from parts, so the repository's secret scan does not take the fixture for a leak.
    const secret = marker();
    const url = ['postgres://parley', `${secret}@10.0.0.5:5432/parley`].join(':');
    const failure = new Error(`could not use ${url}`, {
      cause: Object.assign(new Error(`password=${secret} refused`), { code: 'EAUTH' }),
    });

    reportError(failure, 'req-url');

    const { entry, text } = logged();
    expect(text).not.toContain(secret);
    expect(entry.error).toMatchObject({
      name: 'Error',
      message: 'could not use postgres://…@10.0.0.5:5432/parley',
      cause: { message: 'password=… refused', code: 'EAUTH' },
    });
  });

  it("holds none of a client library's extra fields: request headers, bodies, configuration", () => {
    // Prepare: shaped as HTTP clients' errors are (the request they sent, the answer's body)
    const token = marker();
    const failure = Object.assign(new Error('Request failed with status code 400'), {
      status: 400,
      code: 'ERR_BAD_REQUEST',
      headers: { authorization: `Bearer ${token}` },
      config: { headers: { Authorization: `Bearer ${token}` }, data: `{"content":"${token}"}` },
      error: { message: `Invalid request: ${token}` },
      body: `{"messages":[{"content":"${token}"}]}`,
    });

    reportError(failure, 'req-http');

    const { entry, text } = logged();
    expect(text).not.toContain(token);
    expect(entry.error).toMatchObject({ message: 'Request failed with status code 400', status: 400 });
  });

  it('holds no Detail of a Data API answer, whose message carries what the server said', () => {
    const content = marker();
    const failure = Object.assign(
      new Error(
        `ERROR: null value in column "conversation_id" of relation "messages" violates not-null constraint\n  Detail: Failing row contains (${content}, null).; SQLState: 23502`,
      ),
      { name: 'BadRequestException' },
    );

    reportError(failure, 'req-detail');

    const { entry, text } = logged();
    expect(text).not.toContain(content);
    expect(JSON.stringify(entry.error)).toContain('violates not-null constraint');
    expect(JSON.stringify(entry.error)).toContain('SQLState: 23502');
  });

  it('stays one line whatever the text it carries: line breaks, escapes and JSON cannot forge lines or keys', () => {
    // Prepare: text that, written raw, would end the line and start a forged one
    const forged = '\n{"level":"ERROR","message":"forged","requestId":"someone-else"}\u001b[2K\r';
    logger.info('Request refused', { reason: forged });

    // Assess: one line, and the keys are the logger's own
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'INFO', message: 'Request refused', reason: forged });
    expect(entry.requestId).toBeUndefined();
    expect([...(lines[0] ?? '')].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });
});

describe("an API request's lines", () => {
  const echo = routeDefiner<object>('health')(
    {
      id: 'things.echo',
      method: 'POST',
      path: '/api/things',
      summary: 'answers what it was sent',
      access: 'public',
      body: z.strictObject({ content: z.string() }),
      responses: { 200: { description: 'ok' } },
    },
    async ({ requestId }) => ok({ requestId }),
  );

  it('hold neither its bearer token nor its body, even with POWERTOOLS_LOGGER_LOG_EVENT on', async () => {
    // Prepare
    const token = marker();
    const content = marker();
    const event = {
      httpMethod: 'POST',
      resource: '/api/things',
      path: '/api/things',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content }),
      requestContext: { requestId: 'req-event' },
    } as unknown as ApiEvent;

    // Act
    const answer = await lambdaHandler([echo], () => ({}))(
      event,
      lambdaContext({ awsRequestId: 'req-event' }),
    );

    // Assess
    expect(answer.statusCode).toBe(200);
    const text = lines.join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain(content);
  });
});

describe('failed requests served at once', () => {
  const failing = routeDefiner<object>('health')(
    {
      id: 'things.fail',
      method: 'GET',
      path: '/api/things',
      summary: 'fails after a pause, naming its request',
      access: 'public',
      responses: { 200: { description: 'never' } },
    },
    async ({ requestId }) => {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 8)));
      throw new Error(`failed in ${requestId}`);
    },
  );

  it('each log their error line under their own request id, the one their problem and X-Request-Id give', async () => {
    // Prepare
    const handler = lambdaHandler([failing], () => ({}));
    const ids = Array.from({ length: 30 }, () => `req-${randomUUID()}`);
    const eventFor = (requestId: string) =>
      ({
        httpMethod: 'GET',
        resource: '/api/things',
        path: '/api/things',
        headers: {},
        requestContext: { requestId },
      }) as unknown as ApiEvent;

    // Act
    const answers = await Promise.all(
      ids.map((id) => handler(eventFor(id), lambdaContext({ awsRequestId: id }))),
    );

    // Assess: the support desk finds each failure's line by the id the caller was given
    answers.forEach((answer, i) => {
      expect(answer.statusCode).toBe(500);
      expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ requestId: ids[i] });
      expect(answer.headers?.['X-Request-Id']).toBe(ids[i]);
    });
    const errors = lines
      .map((line) => JSON.parse(line) as { level: string; requestId?: string; error?: { message?: string } })
      .filter((entry) => entry.level === 'ERROR');
    expect(errors).toHaveLength(ids.length);
    for (const entry of errors) expect(entry.error?.message).toBe(`failed in ${entry.requestId}`);
    expect(new Set(errors.map((entry) => entry.requestId))).toEqual(new Set(ids));
  });
});
