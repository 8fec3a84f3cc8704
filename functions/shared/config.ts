import * as z from './zod';
import type { Role } from './domain/roles';
import { hasControlCharacters } from './domain/text';

/**
 * Every environment variable Parley reads, in one schema, read once at cold start.
 * A missing or malformed value stops start-up with a message naming the variable.
 */
const splitCsv = z.pipe(
  z.string(),
  z.transform((s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
);

const csv = z.pipe(
  splitCsv,
  z
    .array(z.string().check(z.minLength(1)))
    .check(z.minLength(1, 'expected at least one comma-separated value')),
);

/** The longest CHAT_SYSTEM_PROMPT in UTF-8 bytes: with every other variable it stays in Lambda's 4 KB. */
export const SYSTEM_PROMPT_MAX = 2_000;

const optionalUrl = z.optional(z.url({ message: 'expected a URL' }));

/**
 * A whole number between min and max, written in decimal digits and nothing else. Not
 * z.coerce.number: Number('') and Number('  ') are 0, so an empty CONVERSATION_PURGE_DAYS would
 * erase every deleted conversation at once and an empty quota would allow no tokens; and '1e3',
 * '0x10' or ' 30' are typos more likely than meanings. Like every other variable here, an empty
 * value is refused, not taken as unset.
 */
const wholeNumber = (unit: string | undefined, min: number, max: number) =>
  z.pipe(
    z.pipe(
      z
        .string()
        .check(z.regex(/^[0-9]+$/, `expected a whole number${unit ? ` of ${unit}` : ''} written in digits`)),
      z.transform(Number),
    ),
    z.number().check(z.gte(min), z.lte(max)),
  );

// Nothing in a Lambda outlives its 15-minute limit.
const milliseconds = wholeNumber('milliseconds', 100, 15 * 60 * 1000);

/** A monthly token budget: `users.monthly_token_quota` is a 32-bit integer. */
const monthlyTokens = wholeNumber('tokens', 0, 2_000_000_000);

const booleanFlag = z.pipe(
  z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }),
  z.transform((v: 'true' | 'false' | '1' | '0') => v === 'true' || v === '1'),
);

/** The Region of the AWS services called (set by Lambda itself). */
export const awsRegion = z._default(z.string().check(z.minLength(1)), 'eu-west-1');

/** The database through the Data API: the API's functions read these, and the migrator these alone. */
export const dataApiDatabase = {
  DB_DRIVER: z.literal('data-api'),
  DB_CLUSTER_ARN: z.string().check(z.startsWith('arn:', 'expected the Aurora cluster ARN')),
  DB_SECRET_ARN: z.string().check(z.startsWith('arn:', 'expected the database secret ARN')),
  DB_NAME: z.string().check(z.regex(/^[a-z_][a-z0-9_]*$/, 'expected a database name')),
};

const base = z.object({
  STAGE: z.enum(['local', 'test', 'dev', 'staging', 'prod'], {
    message: 'expected local, test, dev, staging or prod',
  }),
  AWS_REGION: awsRegion,
  /** Cognito user pool that issues the access tokens. */
  COGNITO_USER_POOL_ID: z
    .string()
    .check(z.regex(/^[\w-]+_[0-9A-Za-z]+$/, 'expected a user pool id like eu-west-1_AbC123')),
  /** App clients whose access tokens are accepted (the SPA and the machine client). */
  COGNITO_CLIENT_IDS: csv,
  /** Only for the local emulator: tokens are then checked against its JWKS and issuer. Refused on dev, staging and prod. */
  COGNITO_ENDPOINT: optionalUrl,
  /**
   * The user pool domain's OAuth 2.0 token endpoint, where machine clients get tokens: the health
   * function names it in the OpenAPI document it serves. @default none (locally there is none)
   */
  OAUTH_TOKEN_URL: optionalUrl,
  /**
   * Roles the API refuses (403 mfa-required) until their TOTP is on; on dev, staging and prod it
   * must include admins and auditors. @default admins and auditors on AWS (dev, staging, prod:
   * whatever the pool's MFA setting, they always need it); none locally and in tests (the local
   * Cognito requires MFA of everyone unless told otherwise)
   */
  MFA_REQUIRED_ROLES: z.optional(
    z.pipe(
      splitCsv,
      z.array(z.enum(['admins', 'auditors', 'members'], { message: 'expected admins, auditors or members' })),
    ),
  ),
  REDIS_URL: z.optional(z.url({ protocol: /^rediss?$/, message: 'expected a redis:// or rediss:// URL' })),
  /** ElastiCache Serverless endpoint (host:port), reached with TLS and IAM auth. */
  CACHE_ENDPOINT: z.optional(z.string().check(z.regex(/^[\w.-]+:\d+$/, 'expected host:port'))),
  CACHE_USER: z.optional(z.string()),
  CACHE_NAME: z.optional(z.string()),
  OPENAI_API_KEY: z.optional(z.string().check(z.minLength(1))),
  OPENAI_SECRET_ARN: z.optional(z.string().check(z.startsWith('arn:', 'expected a Secrets Manager ARN'))),
  OPENAI_BASE_URL: optionalUrl,
  /** The default model. @default the first of OPENAI_MODELS, else gpt-4o-mini */
  OPENAI_MODEL: z.optional(z.string().check(z.minLength(1))),
  /** Models a user may pick (an allow-list: each costs differently). @default OPENAI_MODEL alone */
  OPENAI_MODELS: z.optional(csv),
  /** From sending the request to the first chunk: connecting, queueing and time to first token. */
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: z._default(milliseconds, 15_000),
  /** Longest silence between two chunks once the reply has started. */
  OPENAI_IDLE_TIMEOUT_MS: z._default(milliseconds, 15_000),
  /** The whole call, retries included; Lambda's own limit (15 min) is far above it. */
  OPENAI_TOTAL_TIMEOUT_MS: z._default(milliseconds, 120_000),
  /**
   * The most a reply answered in one piece (a request without Accept: text/event-stream) may take:
   * CloudFront cuts an origin that sends no byte for 60 s. Past it the reply ends `failed` with
   * what it wrote (503, saying to ask for server-sent events). Streamed replies keep
   * OPENAI_TOTAL_TIMEOUT_MS.
   */
  BUFFERED_REPLY_TIMEOUT_MS: z._default(milliseconds, 50_000),
  /** Calls per reply, the first included; retries happen only before the first token. */
  OPENAI_MAX_ATTEMPTS: z._default(wholeNumber(undefined, 1, 10), 3),
  /** Consecutive failed calls that open the circuit. */
  OPENAI_CIRCUIT_FAILURES: z._default(wholeNumber(undefined, 1, 100), 5),
  /** How long an open circuit refuses calls before one probe may go through. */
  OPENAI_CIRCUIT_OPEN_MS: z._default(milliseconds, 30_000),
  /** Messages a user may send a minute (shared through Valkey; per instance without it). */
  CHAT_RATE_LIMIT_PER_MINUTE: z._default(wholeNumber(undefined, 1, 10_000), 20),
  /**
   * Multiplies every route budget (functions/shared/http/route-budgets.ts: searches, new,
   * deleted and restored conversations, exports a caller may make a minute). 1 in every stage;
   * load tests and suites that act as a few people making many requests raise it.
   */
  ROUTE_BUDGET_MULTIPLIER: z._default(wholeNumber(undefined, 1, 10_000), 1),
  /**
   * Replies one person (or machine client) may have being written at once, across conversations.
   * The month's quota is checked before a reply and charged after it, so this bounds how far
   * replies started together can go past it.
   */
  CHAT_MAX_REPLIES_IN_FLIGHT: z._default(wholeNumber(undefined, 1, 100), 3),
  /**
   * The organisation's instructions to the model, sent first with every message (its name, its
   * rules, the tone it wants). @default a general assistant's (functions/chat/wiring.ts)
   */
  CHAT_SYSTEM_PROMPT: z.optional(
    z.string().check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.refine(
        (text) => new TextEncoder().encode(text).length <= SYSTEM_PROMPT_MAX,
        `must be at most ${SYSTEM_PROMPT_MAX} bytes in UTF-8`,
      ),
      z.refine(
        (text) => !hasControlCharacters(text),
        'must hold no control characters but tabs and newlines',
      ),
    ),
  ),
  /**
   * Live (not deleted) conversations one person may have: creating or restoring one more answers
   * 409 `conversation-limit`, asking them to delete some. It bounds what one member can make the
   * database store (empty conversations are kept until deleted) and what their title filter scans.
   */
  CONVERSATIONS_MAX_PER_PERSON: z._default(wholeNumber(undefined, 1, 1_000_000), 10_000),
  /** Days a deleted conversation's messages are kept before the retention run erases them. */
  CONVERSATION_PURGE_DAYS: z._default(wholeNumber('days', 0, 365), 30),
  /**
   * Days without a new message after which the retention run erases a conversation.
   * @default unset: conversations are kept until their owners delete them
   */
  CONVERSATION_RETENTION_DAYS: z.optional(wholeNumber('days', 1, 36_500)),
  /**
   * The most tokens a reply may have (OpenAI's `max_completion_tokens`; reasoning tokens count);
   * the model ends a longer one there, and it is kept marked as cut short. Set it below what the
   * model writes in OPENAI_TOTAL_TIMEOUT_MS, so a long answer ends whole rather than timed out.
   * @default unset: the model's own limit
   */
  CHAT_MAX_REPLY_TOKENS: z.optional(wholeNumber('tokens', 1, 1_000_000)),
  /**
   * Tokens of earlier messages sent with each new one (the rest of the window is the reply's),
   * counted at four bytes of UTF-8 a token: about right for English, more than enough for other
   * scripts, and at most four times as many real tokens whatever the text.
   */
  CHAT_CONTEXT_TOKENS: z._default(wholeNumber('tokens', 500, 1_000_000), 12_000),
  /** Pause between the offline model's deltas, so the UI shows it streaming. */
  OFFLINE_MODEL_DELAY_MS: z._default(wholeNumber('milliseconds', 0, 1000), 20),
  /** Compared byte for byte with the browser's Origin header, so it must be a bare origin. */
  WEB_ORIGIN: z
    .url({ protocol: /^https?$/, message: 'expected the web app origin, e.g. https://chat.example.com' })
    .check(
      z.refine((value: string) => {
        try {
          return new URL(value).origin === value;
        } catch {
          return false;
        }
      }, 'expected a bare origin: scheme://host[:port] with no path or trailing slash'),
    ),
  // Lambda's synchronous payload limit is 6 MB.
  MAX_BODY_BYTES: z._default(wholeNumber('bytes', 1024, 6 * 1024 * 1024), 64 * 1024),
  /** Monthly tokens of a user whose quota is the default and whose role has none of its own. */
  DEFAULT_MONTHLY_TOKENS: z._default(monthlyTokens, 200_000),
  /** A role's default monthly tokens (users without an override). @default DEFAULT_MONTHLY_TOKENS */
  CHAT_QUOTA_MEMBERS: z.optional(monthlyTokens),
  /** @default DEFAULT_MONTHLY_TOKENS */
  CHAT_QUOTA_ADMINS: z.optional(monthlyTokens),
  /** Auditors do not chat; `/api/me` still shows them a quota. @default DEFAULT_MONTHLY_TOKENS */
  CHAT_QUOTA_AUDITORS: z.optional(monthlyTokens),
  DB_SSL: z.optional(booleanFlag),
});

const pg = z.extend(base, {
  DB_DRIVER: z.literal('pg'),
  DATABASE_URL: z.url({ message: 'expected a postgres:// URL' }).check(
    z.refine((u: string) => /^postgres(ql)?:\/\//.test(u), {
      message: 'expected a postgres:// URL',
    }),
  ),
  DB_POOL_MAX: z._default(wholeNumber(undefined, 1, 100), 10),
});

const dataApi = z.extend(base, dataApiDatabase);

const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

export const configSchema = z.pipe(
  z.discriminatedUnion('DB_DRIVER', [pg, dataApi], {
    message: 'expected pg or data-api',
  }),
  // The default model is always allowed and always first: callers take models[0] as the default.
  z.transform((config: z.output<typeof pg> | z.output<typeof dataApi>) => {
    const model = config.OPENAI_MODEL ?? config.OPENAI_MODELS?.[0] ?? DEFAULT_OPENAI_MODEL;
    const deployed = config.STAGE === 'dev' || config.STAGE === 'staging' || config.STAGE === 'prod';
    return {
      ...config,
      MFA_REQUIRED_ROLES:
        config.MFA_REQUIRED_ROLES ?? (deployed ? (['admins', 'auditors'] as const) : ([] as const)),
      OPENAI_MODEL: model,
      OPENAI_MODELS: [...new Set([model, ...(config.OPENAI_MODELS ?? [])])],
    };
  }),
);

export type Config = z.output<typeof configSchema>;

/**
 * The monthly tokens of a user whose quota is the role's default (`users.monthly_token_quota` is
 * null): CHAT_QUOTA_<ROLE>, else DEFAULT_MONTHLY_TOKENS (also for a user with no role yet).
 */
export function roleQuota(config: Config, role: Role | null): number {
  const own = {
    members: config.CHAT_QUOTA_MEMBERS,
    admins: config.CHAT_QUOTA_ADMINS,
    auditors: config.CHAT_QUOTA_AUDITORS,
  };
  return (role ? own[role] : undefined) ?? config.DEFAULT_MONTHLY_TOKENS;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming each bad variable (never its value). */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const config = parseEnvironment(configSchema, env);
  // What only the local server and the tests may set, refused where a mistake would let anyone in:
  // tokens of another issuer (the emulator's keys are fetched over plain HTTP), or the console's
  // roles without TOTP.
  if (config.STAGE === 'dev' || config.STAGE === 'staging' || config.STAGE === 'prod') {
    const on = 'on dev, staging or prod';
    const problems = [];
    if (config.COGNITO_ENDPOINT)
      problems.push(`COGNITO_ENDPOINT: only for the local Cognito emulator; must not be set ${on}`);
    const mfa: readonly string[] = config.MFA_REQUIRED_ROLES;
    if (!mfa.includes('admins') || !mfa.includes('auditors'))
      problems.push(`MFA_REQUIRED_ROLES: must include admins and auditors ${on}`);
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return config;
}

/**
 * The environment as `schema` reads it; throws ConfigError naming each bad variable (never its
 * value). The whole configuration's (`parseConfig`), or a part of it (the migrator's).
 */
export function parseEnvironment<T>(schema: z.ZodMiniType<T>, env: Record<string, string | undefined>): T {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  // One line per variable: its first problem is the one to fix. An issue of the whole is the
  // driver's: the configuration is a union on DB_DRIVER.
  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const name = issue.path.join('.') || 'DB_DRIVER';
    const missing = issue.code === 'invalid_type' && env[name] === undefined;
    if (!problems.has(name))
      problems.set(name, missing ? `${name} is required` : `${name}: ${issue.message}`);
  }
  throw new ConfigError([...problems.values()]);
}

let cached: Config | undefined;

/** The configuration of this process, parsed on first use (cold start) and then kept. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** For tests and the local server, which set the environment before the first handler runs. */
export function resetConfig(): void {
  cached = undefined;
}
