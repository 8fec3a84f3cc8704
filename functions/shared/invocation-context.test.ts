import type {
  CloudWatchLogsEvent,
  PostAuthenticationTriggerEvent,
  PostConfirmationTriggerEvent,
  PreAuthenticationTriggerEvent,
  PreTokenGenerationTriggerEvent,
} from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// The loggers read their level once, when made: INFO here, so their lines can be read.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { logger, withInvocationContext } = await import('./powertools');
const { lambdaContext } = await import('#test/support/lambda-context');
const { dataApiError, whatTheRuntimeWrites } = await import('#test/support/lambda-runtime');
const { resetConfig } = await import('./config');
const { closeSql } = await import('./db/sql-database');
const { resetTriggerDependencies } = await import('#auth/triggers/dependencies');
const { SIGN_IN_UNAVAILABLE_MESSAGE } = await import('#auth/domain/sign-in');
const { handler: preAuthentication } = await import('#auth/triggers/pre-authentication');
const { handler: postAuthentication } = await import('#auth/triggers/post-authentication');
const { handler: postConfirmation } = await import('#auth/triggers/post-confirmation');
const { handler: preTokenGeneration } = await import('#auth/triggers/pre-token-generation');
const { handler: signInActivity } = await import('#auth/activity/handler');
const { handler: migrate } = await import('../migrations/handlers/migrate');

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly function_request_id?: string;
  readonly function_name?: string;
  readonly cold_start?: boolean;
  readonly [key: string]: unknown;
}

let lines: LogLine[];
beforeEach(() => {
  lines = [];
  // Warnings and errors go to stderr, the rest to stdout.
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('withInvocationContext', () => {
  it("names the invocation's request id and function on every line it logs", async () => {
    // Prepare
    const handler = withInvocationContext(async (event: { n: number }) => {
      logger.info(`working on ${event.n}`);
      return event.n * 2;
    });
    const context = lambdaContext({ functionName: 'parley-trigger', awsRequestId: 'invocation-1' });

    // Act
    const result = await handler({ n: 21 }, context);

    // Assess
    expect(result).toBe(42);
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'working on 21',
        function_request_id: 'invocation-1',
        function_name: 'parley-trigger',
        function_arn: context.invokedFunctionArn,
      }),
    ]);
  });

  it('keeps invocations served at once apart, and names none after them', async () => {
    // Prepare
    const handler = withInvocationContext(async (event: { id: string; ms: number }) => {
      await sleep(event.ms);
      logger.info(`line of ${event.id}`);
    });
    const calls = Array.from({ length: 20 }, (_, i) => ({ id: `call-${i}`, ms: (i * 7) % 11 }));

    // Act
    await Promise.all(calls.map((c) => handler(c, lambdaContext({ awsRequestId: c.id }))));
    logger.info('after all of them');

    // Assess
    const named = lines.filter((l) => l.message.startsWith('line of '));
    expect(named).toHaveLength(20);
    expect(named.filter((l) => l.message !== `line of ${l.function_request_id}`)).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ message: 'after all of them' });
    expect(lines.at(-1)?.function_request_id).toBeUndefined();
  });

  it('fails as the handler failed, with its name, code and cleaned message, and logs without a context when called without one', async () => {
    // Prepare
    const failure = Object.assign(new Error('the work failed'), { code: 'EWORK' });
    const handler = withInvocationContext(async () => {
      logger.info('about to fail');
      throw failure;
    });

    // Act
    const error = await handler(undefined).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'Error', message: 'the work failed', code: 'EWORK', cause: failure });
    expect(lines).toEqual([expect.objectContaining({ message: 'about to fail' })]);
    expect(lines[0]?.function_request_id).toBeUndefined();
  });

  it("lets the Lambda runtime write none of a database error's row or key, only what a log line holds", async () => {
    // Prepare: the runtime writes a thrown error with its raw message, stack and every enumerable
    // field; a Data API error's message holds the server's Detail (here an e-mail address)
    const marker = 'marker@example.com';
    const failure = Object.assign(dataApiError(marker), { detail: `Key (lower(email))=(${marker})` });
    const handler = withInvocationContext(() => Promise.reject(failure));

    // Act
    const error = await handler(undefined, lambdaContext()).catch((e: unknown) => e);

    // Assess: still a failure, named as before, saying which constraint refused; no address
    expect(whatTheRuntimeWrites(error)).not.toContain(marker);
    expect(error).toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('users_email_lower_key') as unknown as string,
    });
    expect((error as Error).stack).toMatch(/^DatabaseErrorException: ERROR: duplicate key[^]*\n\s+at /);
    expect((error as Error).cause).toBe(failure);
  });
});

describe("the functions that serve no API route log with their invocation's context", () => {
  const attributes = { sub: 'c0ffee00-0000-4000-8000-000000000001', email: 'ada@example.test' };
  const common = {
    version: '1',
    region: 'local',
    userPoolId: 'local_Triggers1',
    userName: 'ada@example.test',
    callerContext: { awsSdkVersion: 'test', clientId: 'test-client' },
    response: {},
  };
  const triggers = [
    [
      'pre-authentication',
      () =>
        preAuthentication(
          {
            ...common,
            triggerSource: 'PreAuthentication_Authentication',
            request: { userAttributes: attributes, validationData: {} },
          } as unknown as PreAuthenticationTriggerEvent,
          lambdaContext({ awsRequestId: 'pre-authentication-1' }),
        ),
    ],
    [
      'post-authentication',
      () =>
        postAuthentication(
          {
            ...common,
            triggerSource: 'PostAuthentication_Authentication',
            request: { userAttributes: attributes, newDeviceUsed: false },
          } as unknown as PostAuthenticationTriggerEvent,
          lambdaContext({ awsRequestId: 'post-authentication-1' }),
        ),
    ],
    [
      'post-confirmation',
      () =>
        postConfirmation(
          {
            ...common,
            triggerSource: 'PostConfirmation_ConfirmForgotPassword',
            request: { userAttributes: attributes },
          } as unknown as PostConfirmationTriggerEvent,
          lambdaContext({ awsRequestId: 'post-confirmation-1' }),
        ),
    ],
    [
      'pre-token-generation',
      () =>
        preTokenGeneration(
          {
            ...common,
            triggerSource: 'TokenGeneration_Authentication',
            request: { userAttributes: attributes, groupConfiguration: { groupsToOverride: [] } },
          } as unknown as PreTokenGenerationTriggerEvent,
          lambdaContext({ awsRequestId: 'pre-token-generation-1' }),
        ),
    ],
  ] as const;

  beforeAll(() => {
    // A database nobody listens on: every trigger's work fails, and says so in the log.
    vi.stubEnv('STAGE', 'test');
    vi.stubEnv('DB_DRIVER', 'pg');
    vi.stubEnv('DATABASE_URL', 'postgres://parley@127.0.0.1:1/none');
    vi.stubEnv('COGNITO_USER_POOL_ID', 'local_Triggers1');
    vi.stubEnv('COGNITO_CLIENT_IDS', 'test-client');
    vi.stubEnv('WEB_ORIGIN', 'http://localhost:5173');
    resetConfig();
    resetTriggerDependencies();
  });
  afterAll(async () => {
    await closeSql();
    vi.unstubAllEnvs();
    resetConfig();
    resetTriggerDependencies();
  });

  it.each(triggers)(
    'the %s trigger: its failure line names the invocation, and Cognito is shown only the generic text',
    async (name, invoke) => {
      // Act
      const error = await invoke().catch((e: unknown) => e);

      // Assess
      expect((error as Error).message).toBe(SIGN_IN_UNAVAILABLE_MESSAGE);
      expect((error as Error).message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:1\b/);
      const failed = lines.filter((l) => l.message === `${name} failed`);
      expect(failed).toEqual([
        expect.objectContaining({ level: 'ERROR', function_request_id: `${name}-1`, function_name: 'test' }),
      ]);
    },
  );

  it('the sign-in activity subscription: a skipped batch is logged under its invocation', async () => {
    // Act: a payload that is no subscription batch at all.
    const summary = await signInActivity(
      { awslogs: { data: 'not base64 gzip' } } as CloudWatchLogsEvent,
      lambdaContext({ awsRequestId: 'activity-1' }),
    );

    // Assess
    expect(summary.malformed).toBe(1);
    expect(lines.filter((l) => l.message === 'sign-in activity batch skipped')).toEqual([
      expect.objectContaining({ level: 'WARN', function_request_id: 'activity-1' }),
    ]);
  });

  it('the migrations: the line of a Delete names the invocation', async () => {
    // Act
    const result = await migrate({ RequestType: 'Delete' }, lambdaContext({ awsRequestId: 'migrate-1' }));

    // Assess
    expect(result.Data.applied).toBe('');
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'delete request: leaving the schema as it is',
        service: 'parley-migrations',
        function_request_id: 'migrate-1',
      }),
    ]);
  });
});
