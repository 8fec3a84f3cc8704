import { afterEach, describe, expect, it } from 'vitest';

import { ConfigError, getConfig, parseConfig, resetConfig, roleQuota, SYSTEM_PROMPT_MAX } from './config';

const PASSWORD = 'hunter2-Sup3rSecret';

const pgEnv = (): Record<string, string | undefined> => ({
  STAGE: 'test',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  COGNITO_CLIENT_IDS: 'spa-client, machine-client',
  WEB_ORIGIN: 'https://chat.example.com',
  DB_DRIVER: 'pg',
  DATABASE_URL: `postgres://parley:${PASSWORD}@db.internal:5432/parley`,
});

const dataApiEnv = (): Record<string, string | undefined> => ({
  STAGE: 'prod',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  COGNITO_CLIENT_IDS: 'spa-client',
  WEB_ORIGIN: 'https://chat.example.com',
  DB_DRIVER: 'data-api',
  DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db',
  DB_NAME: 'parley',
});

/** The ConfigError parseConfig throws for this environment (fails the test when it parses). */
function configErrorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected parseConfig to throw a ConfigError');
}

describe('parseConfig', () => {
  it('makes admins and auditors need TOTP on AWS, nobody by default elsewhere, and takes a list', () => {
    expect(parseConfig(dataApiEnv()).MFA_REQUIRED_ROLES).toEqual(['admins', 'auditors']);
    expect(parseConfig(pgEnv()).MFA_REQUIRED_ROLES).toEqual([]);
    expect(parseConfig({ ...pgEnv(), MFA_REQUIRED_ROLES: 'admins, auditors' }).MFA_REQUIRED_ROLES).toEqual([
      'admins',
      'auditors',
    ]);
    expect(configErrorFor({ ...pgEnv(), MFA_REQUIRED_ROLES: 'root' }).message).toContain(
      'MFA_REQUIRED_ROLES',
    );
  });

  it.each(['dev', 'staging', 'prod'])(
    'refuses on %s what only the local emulator and tests may set: another token issuer, or admins or auditors without TOTP',
    (stage) => {
      const emulator = configErrorFor({
        ...dataApiEnv(),
        STAGE: stage,
        COGNITO_ENDPOINT: 'http://10.0.0.9:9229',
      });
      const noMfa = configErrorFor({ ...dataApiEnv(), STAGE: stage, MFA_REQUIRED_ROLES: '' });
      const adminsOnly = configErrorFor({ ...dataApiEnv(), STAGE: stage, MFA_REQUIRED_ROLES: 'admins' });

      expect(emulator.problems).toEqual([
        'COGNITO_ENDPOINT: only for the local Cognito emulator; must not be set on dev, staging or prod',
      ]);
      for (const error of [noMfa, adminsOnly])
        expect(error.problems).toEqual([
          'MFA_REQUIRED_ROLES: must include admins and auditors on dev, staging or prod',
        ]);
      expect(
        parseConfig({ ...dataApiEnv(), STAGE: stage, MFA_REQUIRED_ROLES: 'auditors,admins,members' })
          .MFA_REQUIRED_ROLES,
      ).toEqual(['auditors', 'admins', 'members']);
    },
  );

  it('takes the emulator and an empty MFA list locally and in tests', () => {
    for (const STAGE of ['local', 'test'])
      expect(
        parseConfig({ ...pgEnv(), STAGE, COGNITO_ENDPOINT: 'http://127.0.0.1:9229', MFA_REQUIRED_ROLES: '' }),
      ).toMatchObject({ COGNITO_ENDPOINT: 'http://127.0.0.1:9229', MFA_REQUIRED_ROLES: [] });
  });

  it('parses a full pg environment and applies the defaults', () => {
    // Prepare
    const env = pgEnv();

    // Act
    const config = parseConfig(env);

    // Assess
    expect(config).toMatchObject({
      STAGE: 'test',
      DB_DRIVER: 'pg',
      DATABASE_URL: env.DATABASE_URL,
      COGNITO_CLIENT_IDS: ['spa-client', 'machine-client'],
      AWS_REGION: 'eu-west-1',
      MAX_BODY_BYTES: 64 * 1024,
      DB_POOL_MAX: 10,
      OPENAI_MODEL: 'gpt-4o-mini',
      OPENAI_MODELS: ['gpt-4o-mini'],
      OPENAI_FIRST_TOKEN_TIMEOUT_MS: 15_000,
      OPENAI_IDLE_TIMEOUT_MS: 15_000,
      OPENAI_TOTAL_TIMEOUT_MS: 120_000,
      OPENAI_MAX_ATTEMPTS: 3,
      OPENAI_CIRCUIT_FAILURES: 5,
      OPENAI_CIRCUIT_OPEN_MS: 30_000,
      OFFLINE_MODEL_DELAY_MS: 20,
    });
  });

  describe('the model allow-list', () => {
    it('allows only OPENAI_MODEL when OPENAI_MODELS is not set', () => {
      const config = parseConfig({ ...pgEnv(), OPENAI_MODEL: 'gpt-4.1' });

      expect(config.OPENAI_MODEL).toBe('gpt-4.1');
      expect(config.OPENAI_MODELS).toEqual(['gpt-4.1']);
    });

    it('takes the first of OPENAI_MODELS as the default when OPENAI_MODEL is not set', () => {
      const config = parseConfig({ ...pgEnv(), OPENAI_MODELS: 'gpt-4.1, gpt-4o-mini' });

      expect(config.OPENAI_MODEL).toBe('gpt-4.1');
      expect(config.OPENAI_MODELS).toEqual(['gpt-4.1', 'gpt-4o-mini']);
    });

    it('puts OPENAI_MODEL first and never lists a model twice', () => {
      const config = parseConfig({
        ...pgEnv(),
        OPENAI_MODEL: 'gpt-4o-mini',
        OPENAI_MODELS: 'gpt-4.1,gpt-4o-mini',
      });

      expect(config.OPENAI_MODELS).toEqual(['gpt-4o-mini', 'gpt-4.1']);
    });
  });

  it('coerces the model call settings from their string form', () => {
    const config = parseConfig({
      ...pgEnv(),
      OPENAI_FIRST_TOKEN_TIMEOUT_MS: '5000',
      OPENAI_IDLE_TIMEOUT_MS: '2500',
      OPENAI_TOTAL_TIMEOUT_MS: '60000',
      OPENAI_MAX_ATTEMPTS: '1',
      OPENAI_CIRCUIT_FAILURES: '10',
      OPENAI_CIRCUIT_OPEN_MS: '1000',
      OFFLINE_MODEL_DELAY_MS: '0',
      CHAT_MAX_REPLY_TOKENS: '4096',
    });

    expect(config).toMatchObject({
      OPENAI_FIRST_TOKEN_TIMEOUT_MS: 5000,
      OPENAI_IDLE_TIMEOUT_MS: 2500,
      OPENAI_TOTAL_TIMEOUT_MS: 60_000,
      OPENAI_MAX_ATTEMPTS: 1,
      OPENAI_CIRCUIT_FAILURES: 10,
      OPENAI_CIRCUIT_OPEN_MS: 1000,
      OFFLINE_MODEL_DELAY_MS: 0,
      CHAT_MAX_REPLY_TOKENS: 4096,
    });
    // No limit of ours unless one is set: the model's own applies.
    expect(parseConfig(pgEnv()).CHAT_MAX_REPLY_TOKENS).toBeUndefined();
  });

  it('keeps deleted conversations 30 days and the rest for ever by default, and takes whole days', () => {
    const defaults = parseConfig(pgEnv());
    expect(defaults.CONVERSATION_PURGE_DAYS).toBe(30);
    expect(defaults.CONVERSATION_RETENTION_DAYS).toBeUndefined();
    expect(
      parseConfig({ ...pgEnv(), CONVERSATION_PURGE_DAYS: '0', CONVERSATION_RETENTION_DAYS: '365' }),
    ).toMatchObject({ CONVERSATION_PURGE_DAYS: 0, CONVERSATION_RETENTION_DAYS: 365 });
    for (const [name, value] of [
      ['CONVERSATION_PURGE_DAYS', '-1'],
      ['CONVERSATION_PURGE_DAYS', '366'],
      ['CONVERSATION_PURGE_DAYS', '1.5'],
      ['CONVERSATION_RETENTION_DAYS', '0'],
      ['CONVERSATION_RETENTION_DAYS', 'forever'],
      ['CONVERSATION_RETENTION_DAYS', '36501'],
    ] as const)
      expect(configErrorFor({ ...pgEnv(), [name]: value }).message, `${name}=${value}`).toContain(name);
  });

  it('keeps at most 10,000 live conversations a person by default, and takes a whole number from 1', () => {
    expect(parseConfig(pgEnv()).CONVERSATIONS_MAX_PER_PERSON).toBe(10_000);
    expect(parseConfig({ ...pgEnv(), CONVERSATIONS_MAX_PER_PERSON: '3' }).CONVERSATIONS_MAX_PER_PERSON).toBe(
      3,
    );
    for (const value of ['0', '-1', '2.5', '1000001', ''])
      expect(configErrorFor({ ...pgEnv(), CONVERSATIONS_MAX_PER_PERSON: value }).message, value).toContain(
        'CONVERSATIONS_MAX_PER_PERSON',
      );
  });

  describe('CHAT_SYSTEM_PROMPT', () => {
    it('is unset by default, and kept trimmed with its newlines and tabs when set', () => {
      expect(parseConfig(pgEnv()).CHAT_SYSTEM_PROMPT).toBeUndefined();
      const prompt = "You are Acme's assistant.\n\tNever share customer data. ‮ 日本語 😀";
      expect(parseConfig({ ...pgEnv(), CHAT_SYSTEM_PROMPT: `  ${prompt}\n` }).CHAT_SYSTEM_PROMPT).toBe(
        prompt,
      );
      for (const longest of ['x'.repeat(SYSTEM_PROMPT_MAX), '日'.repeat(666), 'ü'.repeat(1000)])
        expect(parseConfig({ ...pgEnv(), CHAT_SYSTEM_PROMPT: longest }).CHAT_SYSTEM_PROMPT).toBe(longest);
    });

    it.each([
      ['', /CHAT_SYSTEM_PROMPT: must not be empty/],
      ['   \n ', /CHAT_SYSTEM_PROMPT: must not be empty/],
      ['x'.repeat(SYSTEM_PROMPT_MAX + 1), /CHAT_SYSTEM_PROMPT: must be at most 2000 bytes in UTF-8/],
      ['日'.repeat(667), /CHAT_SYSTEM_PROMPT: must be at most 2000 bytes in UTF-8/],
      ['Be kind\u0000', /CHAT_SYSTEM_PROMPT: must hold no control characters/],
      ['Be \u001b[31mred', /CHAT_SYSTEM_PROMPT: must hold no control characters/],
    ])('refuses %j, naming the variable', (value, message) => {
      expect(configErrorFor({ ...pgEnv(), CHAT_SYSTEM_PROMPT: value }).message).toMatch(message);
    });
  });

  it('parses a data-api environment', () => {
    const config = parseConfig(dataApiEnv());

    expect(config.DB_DRIVER).toBe('data-api');
    if (config.DB_DRIVER !== 'data-api') return;
    expect(config.DB_CLUSTER_ARN).toBe('arn:aws:rds:eu-west-1:123456789012:cluster:parley');
    expect(config.DB_NAME).toBe('parley');
  });

  it('coerces numbers and boolean flags from their string form', () => {
    const config = parseConfig({ ...pgEnv(), MAX_BODY_BYTES: '2048', DB_SSL: '1', DB_POOL_MAX: '3' });

    expect(config).toMatchObject({ MAX_BODY_BYTES: 2048, DB_SSL: true, DB_POOL_MAX: 3 });
  });

  it.each([
    ['STAGE', pgEnv],
    ['COGNITO_USER_POOL_ID', pgEnv],
    ['COGNITO_CLIENT_IDS', pgEnv],
    ['WEB_ORIGIN', pgEnv],
    ['DATABASE_URL', pgEnv],
    ['DB_DRIVER', pgEnv],
    ['DB_CLUSTER_ARN', dataApiEnv],
    ['DB_SECRET_ARN', dataApiEnv],
    ['DB_NAME', dataApiEnv],
  ])('names %s when it is missing', (name, env) => {
    // Prepare
    const incomplete = { ...env(), [name]: undefined };

    // Act
    const error = configErrorFor(incomplete);

    // Assess
    expect(error.name).toBe('ConfigError');
    expect(error.problems.some((p) => p.startsWith(name))).toBe(true);
    expect(error.message).toContain(name);
  });

  it('says a missing variable "is required" rather than describing a type', () => {
    const error = configErrorFor({ ...pgEnv(), DATABASE_URL: undefined });

    expect(error.problems).toEqual(['DATABASE_URL is required']);
  });

  it('lists every bad variable at once', () => {
    const error = configErrorFor({ ...pgEnv(), WEB_ORIGIN: 'nope', COGNITO_USER_POOL_ID: 'no pool' });

    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('WEB_ORIGIN');
    expect(error.message).toContain('COGNITO_USER_POOL_ID');
  });

  it.each([
    ['WEB_ORIGIN', 'not a url'],
    ['COGNITO_ENDPOINT', 'localhost-without-scheme'],
    ['OPENAI_BASE_URL', 'api.openai.com'],
    ['COGNITO_USER_POOL_ID', 'no-underscore-pool'],
    ['COGNITO_CLIENT_IDS', ' , ,'],
    ['MAX_BODY_BYTES', String(6 * 1024 * 1024 + 1)],
    ['MAX_BODY_BYTES', '1023'],
    ['MAX_BODY_BYTES', 'lots'],
    ['DB_DRIVER', 'mysql'],
    ['STAGE', 'qa'],
    ['DB_SSL', 'yes'],
    ['DB_POOL_MAX', '0'],
    ['CACHE_ENDPOINT', 'cache.example.com'],
    ['DATABASE_URL', 'mysql://db.internal/parley'],
    ['OPENAI_MODELS', ' , '],
    ['OPENAI_FIRST_TOKEN_TIMEOUT_MS', '99'],
    ['OPENAI_IDLE_TIMEOUT_MS', 'soon'],
    ['OPENAI_TOTAL_TIMEOUT_MS', String(15 * 60 * 1000 + 1)],
    ['OPENAI_MAX_ATTEMPTS', '0'],
    ['OPENAI_MAX_ATTEMPTS', '11'],
    ['OPENAI_CIRCUIT_FAILURES', '1.5'],
    ['OPENAI_CIRCUIT_OPEN_MS', '-1'],
    ['OFFLINE_MODEL_DELAY_MS', '1001'],
    ['CHAT_MAX_REPLY_TOKENS', '0'],
    ['CHAT_MAX_REPLY_TOKENS', '4k'],
    ['CHAT_MAX_REPLY_TOKENS', '1000001'],
  ])('names %s when its value (%j) is malformed', (name, value) => {
    const error = configErrorFor({ ...pgEnv(), [name]: value });

    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems.every((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  // Number('') and Number('  ') are 0: an empty CONVERSATION_PURGE_DAYS once meant "erase every
  // deleted conversation now" and an empty quota meant no tokens at all.
  it.each([
    ['CONVERSATION_PURGE_DAYS', ''],
    ['CONVERSATION_PURGE_DAYS', '   '],
    ['CONVERSATION_RETENTION_DAYS', ''],
    ['DEFAULT_MONTHLY_TOKENS', ' '],
    ['DEFAULT_MONTHLY_TOKENS', ''],
    ['CHAT_QUOTA_MEMBERS', ''],
    ['CHAT_QUOTA_ADMINS', '\t'],
    ['OFFLINE_MODEL_DELAY_MS', ''],
    ['MAX_BODY_BYTES', ' '],
    ['DB_POOL_MAX', ''],
  ])('refuses an empty or blank %s (%j) instead of reading it as 0, naming it', (name, value) => {
    // Act
    const error = configErrorFor({ ...pgEnv(), [name]: value });

    // Assess
    expect(error.message).toContain(name);
    expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^${name}: .*digits`))]);
  });

  // A number is written in decimal digits only, as stages and operators write it: an exponent, a
  // hexadecimal prefix, a sign, a decimal point or padding is a typo more likely than a meaning.
  it.each(['1e3', '0x10', '0b11', '12abc', '+30', '30.0', ' 30', '30 ', '1_000', 'Infinity'])(
    'refuses %j as CONVERSATION_PURGE_DAYS and as DEFAULT_MONTHLY_TOKENS: it is not plain digits',
    (value) => {
      // Act
      const error = configErrorFor({
        ...pgEnv(),
        CONVERSATION_PURGE_DAYS: value,
        DEFAULT_MONTHLY_TOKENS: value,
      });

      // Assess
      expect(error.problems).toEqual([
        expect.stringMatching(/^CONVERSATION_PURGE_DAYS: .*digits/),
        expect.stringMatching(/^DEFAULT_MONTHLY_TOKENS: .*digits/),
      ]);
    },
  );

  it('reads plain digits, leading zeros included, as a decimal whole number', () => {
    // Act
    const config = parseConfig({
      ...pgEnv(),
      CONVERSATION_PURGE_DAYS: '010',
      DEFAULT_MONTHLY_TOKENS: '2000000000',
      CHAT_QUOTA_MEMBERS: '0',
    });

    // Assess
    expect(config).toMatchObject({
      CONVERSATION_PURGE_DAYS: 10,
      DEFAULT_MONTHLY_TOKENS: 2_000_000_000,
      CHAT_QUOTA_MEMBERS: 0,
    });
  });

  it('accepts MAX_BODY_BYTES at exactly the 6 MB Lambda payload limit', () => {
    const config = parseConfig({ ...pgEnv(), MAX_BODY_BYTES: String(6 * 1024 * 1024) });

    expect(config.MAX_BODY_BYTES).toBe(6 * 1024 * 1024);
  });

  it('refuses a pg environment that only carries data-api variables', () => {
    const env = { ...pgEnv(), DATABASE_URL: undefined, DB_CLUSTER_ARN: dataApiEnv().DB_CLUSTER_ARN };

    const error = configErrorFor(env);

    expect(error.problems).toEqual(['DATABASE_URL is required']);
  });

  describe('never echoes a secret', () => {
    it.each([
      [
        'DATABASE_URL with a password but the wrong scheme',
        { DATABASE_URL: `mysql://parley:${PASSWORD}@db/parley` },
      ],
      ['DATABASE_URL that is no URL at all', { DATABASE_URL: `parley:${PASSWORD}@db` }],
      ['REDIS_URL that is no URL', { REDIS_URL: `:${PASSWORD}@cache` }],
      ['OPENAI_SECRET_ARN that is a key, not an ARN', { OPENAI_SECRET_ARN: `sk-${PASSWORD}` }],
      ['DB_SECRET_ARN that is a password', { ...dataApiEnv(), DB_SECRET_ARN: PASSWORD }],
    ])('%s', (_case, overrides) => {
      const error = configErrorFor({ ...pgEnv(), ...overrides });

      expect(error.message).not.toContain(PASSWORD);
      expect(error.problems.join('\n')).not.toContain(PASSWORD);
      expect(JSON.stringify(error)).not.toContain(PASSWORD);
    });

    it('an empty OPENAI_API_KEY is named without a value', () => {
      const error = configErrorFor({ ...pgEnv(), OPENAI_API_KEY: '' });

      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(/^OPENAI_API_KEY: /);
    });

    it('a valid OPENAI_API_KEY stays out of the message when another variable is bad', () => {
      const error = configErrorFor({ ...pgEnv(), OPENAI_API_KEY: `sk-${PASSWORD}`, STAGE: 'qa' });

      expect(error.message).not.toContain(PASSWORD);
    });
  });

  // An http:// value would pass start-up and the cache would then talk Redis to a web server.
  it('refuses a REDIS_URL that is not redis:// or rediss://', () => {
    const error = configErrorFor({ ...pgEnv(), REDIS_URL: 'http://cache.internal:6379' });

    expect(error.problems[0]).toMatch(/^REDIS_URL: /);
  });

  // CORS compares WEB_ORIGIN byte for byte with the browser's Origin header (scheme://host[:port]),
  // so `https://chat.example.com/` would silently disable CORS for the web app.
  it.each(['https://chat.example.com/', 'https://chat.example.com/app', 'javascript:alert(1)'])(
    'refuses a WEB_ORIGIN that is not a bare http(s) origin (%s)',
    (value) => {
      const error = configErrorFor({ ...pgEnv(), WEB_ORIGIN: value });

      expect(error.problems[0]).toMatch(/^WEB_ORIGIN: /);
    },
  );
});

describe('getConfig', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key);
    Object.assign(process.env, saved);
    resetConfig();
  });

  it('reads the environment once and keeps it until reset', () => {
    // Prepare
    resetConfig();
    Object.assign(process.env, pgEnv(), { STAGE: 'dev' });

    // Act
    const first = getConfig();
    process.env.STAGE = 'prod';
    const second = getConfig();
    resetConfig();
    const third = getConfig();

    // Assess
    expect(second).toBe(first);
    expect(first.STAGE).toBe('dev');
    expect(third.STAGE).toBe('prod');
  });

  it('throws ConfigError at first use when the environment is invalid', () => {
    resetConfig();
    Object.assign(process.env, pgEnv());
    delete process.env.WEB_ORIGIN;

    expect(() => getConfig()).toThrow(ConfigError);
  });
});

describe('roleQuota', () => {
  it("answers a role's CHAT_QUOTA_<ROLE>, else DEFAULT_MONTHLY_TOKENS (also for no role)", () => {
    const config = parseConfig({
      ...pgEnv(),
      CHAT_QUOTA_MEMBERS: '7000',
      CHAT_QUOTA_ADMINS: '0',
      DEFAULT_MONTHLY_TOKENS: '300',
    });

    expect(roleQuota(config, 'members')).toBe(7000);
    expect(roleQuota(config, 'admins')).toBe(0);
    expect(roleQuota(config, 'auditors')).toBe(300);
    expect(roleQuota(config, null)).toBe(300);
  });

  it('defaults every role to 200,000 tokens', () => {
    const config = parseConfig(pgEnv());

    expect(roleQuota(config, 'members')).toBe(200_000);
    expect(roleQuota(config, null)).toBe(200_000);
  });

  it.each(['-1', '1.5', 'lots', '3000000000'])('refuses CHAT_QUOTA_MEMBERS=%s, naming it', (value) => {
    const error = configErrorFor({ ...pgEnv(), CHAT_QUOTA_MEMBERS: value });

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^CHAT_QUOTA_MEMBERS: /);
  });
});
