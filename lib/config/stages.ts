import * as z from 'zod';

/**
 * Typed, validated per-stage configuration. Everything that differs between dev, staging and
 * prod lives here and nowhere else; stacks read it and never test `stage === 'prod'` themselves.
 */
export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The SES Regions a user pool can send e-mail through besides its own (Cognito developer guide,
 * "Amazon SES email configuration Regions"; the API reference: "in the AWS Region where you created
 * your user pool, and in alternate Regions in some cases").
 */
export const SES_ALTERNATE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;
const SES_REGIONS_FOR_COGNITO = (region: string): readonly string[] => [region, ...SES_ALTERNATE_REGIONS];

/**
 * Regions whose S3 buckets CloudFront's standard logging (legacy) does not deliver to. The web
 * stack's access log bucket is in the stage's region, so a stage cannot be there (AWS Systems
 * Manager runbook "AWSConfigRemediation-EnableCloudFrontAccessLogs": "Buckets in the af-south-1,
 * ap-east-1, eu-south-1, and me-south-1 ... Region are not supported").
 */
export const CLOUDFRONT_LOG_UNSUPPORTED_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'eu-south-1',
  'me-south-1',
] as const;

const stageConfigSchema = z
  .object({
    stage: z.enum(STAGES),
    /** Target account; unset means the account of the credentials running `cdk deploy`. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
      .optional(),
    /**
     * The stage's AWS Region (the edge WAF alone is in us-east-1). Not af-south-1, ap-east-1,
     * eu-south-1 or me-south-1: CloudFront delivers no access logs to buckets there.
     */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1'),
    /** Receives every alarm (SNS email subscription; confirm the e-mail after the first deploy). */
    alarmEmail: z.email(),
    logRetentionDays: z.union([z.literal(30), z.literal(90), z.literal(365)]),
    /** Destroy stateful resources with the stack (dev) or keep/snapshot them (staging, prod). */
    retainData: z.boolean(),
    network: z.object({
      maxAzs: z.number().int().min(2).max(3),
      /**
       * NAT gateways carry the functions' HTTPS calls to the model provider and Cognito. One per
       * AZ (maxAzs) keeps each AZ's way out in that AZ; fewer share one across AZs, which lose it
       * with its AZ. 0 (with the cache off) runs the functions outside the VPC and needs no NAT
       * at all (docs/cost.md). At most maxAzs.
       */
      natGateways: z.number().int().min(0).max(3),
      /** Interface endpoints keep AWS API traffic off the NAT; about $7.30 per endpoint per AZ a month. */
      interfaceEndpoints: z.boolean(),
    }),
    database: z.object({
      /** 0 lets Aurora pause when idle (Aurora PostgreSQL 16.3+); the first query then takes ~15 s. */
      minCapacity: z.number().min(0).max(256),
      maxCapacity: z.number().min(1).max(256),
      /** A reader in a second AZ gives fast failover; it scales with the writer. */
      readers: z.number().int().min(0).max(2),
      backupRetentionDays: z.number().int().min(1).max(35),
      deletionProtection: z.boolean(),
      /** Not 5432: scanners try the default port first (cdk-nag AwsSolutions-RDS11). */
      port: z.number().int().min(1150).max(65535),
    }),
    cache: z.object({
      /**
       * Off: no Valkey, and the functions run outside the VPC; each function instance then keeps
       * its own in-memory cache, so rate limits count per instance (dev only). @default true
       */
      enabled: z.boolean().default(true),
      maxDataStorageGb: z.number().int().min(1).max(5000),
      maxEcpuPerSecond: z.number().int().min(1000).max(15_000_000),
    }),
    auth: z.object({
      mfa: z.enum(['OPTIONAL', 'REQUIRED']),
      /**
       * Cognito threat protection (Plus feature plan, billed per monthly active user): AUDIT_ONLY
       * records risky sign-ins, FULL_FUNCTION also blocks them and asks for MFA.
       */
      threatProtection: z.enum(['AUDIT_ONLY', 'FULL_FUNCTION']),
      /**
       * Requests one client IP address may send the user pool in 5 minutes, any operation (its WAF
       * rate-based rule): sign-in is a handful of requests per person, so this stops password
       * spraying from one address. Raise it for many people signing in behind one address (an
       * office NAT). WAF accepts 10 to 2,000,000,000. @default 300
       */
      wafRateLimitPer5Min: z.number().int().min(10).max(2_000_000_000).default(300),
      /**
       * Cognito's e-mail (invitations, password-reset codes) sent through Amazon SES instead of
       * Cognito's built-in e-mail, which sends at most 50 a day. Before deploying: verify the SES
       * identity (`from`, or its `verifiedDomain`) in `sesRegion`, in the stage's account, and
       * move the account out of the SES sandbox (docs/deployment.md, "E-mail through Amazon SES").
       */
      email: z
        .object({
          /**
           * The sender address. Its local part uses letters, digits and _+=,.- only: the SES identity
           * ARN Cognito is given may hold no other characters.
           */
          from: z.email().regex(/^[\w+=,.-]+@/, 'the local part may hold only letters, digits and _+=,.-'),
          /** The sender's name shown beside the address, e.g. Parley. */
          fromName: z
            .string()
            .min(1)
            .max(64)
            .regex(/^[^\p{Cc}<>"\\]+$/u, 'no control characters, angle brackets, quotes or backslashes')
            .optional(),
          /** Where replies go. @default from */
          replyTo: z.email().optional(),
          /**
           * The SES Region: the stage's region, or us-east-1, us-west-2 or eu-west-1 (the only
           * others Cognito sends through). @default the stage's region
           */
          sesRegion: z
            .string()
            .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1')
            .optional(),
          /** The verified SES domain `from` belongs to, when the domain rather than the address is verified. */
          verifiedDomain: z
            .string()
            .regex(
              /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
              'expected a domain name in lower case',
            )
            .optional(),
          /** An SES configuration set for these messages (bounce and complaint events, for example). */
          configurationSet: z
            .string()
            .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1–64 letters, digits, _ or -')
            .optional(),
        })
        .optional(),
    }),
    api: z.object({
      throttleRateLimit: z.number().int().min(1),
      throttleBurstLimit: z.number().int().min(1),
      /**
       * WAF rate-based rules count requests per client IP over a 5-minute window. At most
       * 200,000,000: the API's ACL takes EDGE_FAN_IN (10) times these, and a rate-based rule's
       * limit is 10 to 2,000,000,000 (WAFV2 API Reference, RateBasedStatement).
       */
      wafRateLimitPer5Min: z.number().int().min(10).max(200_000_000),
      wafMessageRateLimitPer5Min: z.number().int().min(10).max(200_000_000),
      /** Upper bound on a chat body; the WAF size rule on the message route uses it. */
      maxMessageBodyBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024),
      /**
       * Opt-in: reserves (and caps) this many concurrent executions for each function that queries
       * Aurora on most requests, a quarter of it for the exports function. Lambda keeps 100 of the
       * account's quota unreserved, and new accounts start with a low quota, so it needs
       * lambdaConcurrencyQuota: the synth fails when the reservations plus 100 exceed it
       * (docs/deployment.md, "Check your Lambda quota").
       */
      reservedConcurrency: z.number().int().min(1).optional(),
      /**
       * The account's Lambda concurrent-executions quota in the stage's region, as
       * `aws lambda get-account-settings` reports it (AccountLimit.ConcurrentExecutions).
       */
      lambdaConcurrencyQuota: z.number().int().min(1).optional(),
      /**
       * Raise after putting new values into the origin-header secrets, so the deploy re-reads
       * them (CloudFormation resolves a secret only when the resource using it changes).
       */
      originSecretRotation: z.number().int().min(0).default(0),
    }),
    openaiModel: z.string().min(1),
    /**
     * Models people may pick for a message besides `openaiModel`, the default (OPENAI_MODELS; the
     * web app shows a picker from two models on). Each costs differently: list only what the
     * organisation agreed to pay for. At most 8 names of up to 64 characters, which keeps the API
     * functions' environment under Lambda's 4 KB.
     */
    openaiModels: z
      .array(
        z.string().regex(/^[A-Za-z0-9][\w.:/-]{0,63}$/, 'expected a model name (letters, digits, . _ : / -)'),
      )
      .max(8)
      .default([]),
    /**
     * What the daily retention run erases for good (conversations with all their messages). Usage
     * and audit records stay, with no message content; the audit trail keeps for good each
     * event's ids, source IP and user agent, sign-in cities and countries, and unknown names as
     * typed (docs/security.md, data retention).
     */
    retention: z
      .object({
        /** Days a conversation its owner deleted is kept (hidden) before its content is erased. */
        deletedConversationsDays: z.number().int().min(0).max(365).default(30),
        /** Days without a new message after which a conversation is erased. @default kept for ever */
        conversationDays: z.number().int().min(1).max(36_500).optional(),
      })
      .default({ deletedConversationsDays: 30 }),
    /**
     * The organisation's instructions to the model, sent first with every message
     * (CHAT_SYSTEM_PROMPT): its name, its rules, the tone it wants. No control characters but
     * tabs and newlines. At most 2,000 bytes (about 2,000 characters of
     * English, fewer in scripts of 2-3 bytes a character): Lambda's 4 KB of environment holds it
     * beside everything else. @default a general assistant's
     */
    chatSystemPrompt: z
      .string()
      .min(1)
      .refine((text) => new TextEncoder().encode(text).length <= 2000, 'at most 2,000 bytes in UTF-8')
      .regex(
        // eslint-disable-next-line no-control-regex -- the point is to find control characters
        /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/,
        'expected text without control characters but tabs and newlines',
      )
      .optional(),
    /**
     * Monthly tokens of each role's users who have no quota of their own (CHAT_QUOTA_<ROLE>); a
     * role left out gets DEFAULT_MONTHLY_TOKENS (200,000). Admins set a user's own in the console.
     */
    chatQuotas: z
      .object({
        members: z.number().int().min(0).max(2_000_000_000).optional(),
        admins: z.number().int().min(0).max(2_000_000_000).optional(),
        auditors: z.number().int().min(0).max(2_000_000_000).optional(),
      })
      .default({ members: 200_000, admins: 1_000_000 }),
    /**
     * The most tokens a reply may have (CHAT_MAX_REPLY_TOKENS, OpenAI's `max_completion_tokens`,
     * reasoning tokens included): the model ends a longer reply there, kept and marked as cut
     * short, and people may ask it to go on. Keep it below what the model writes in 2 minutes
     * (OPENAI_TOTAL_TIMEOUT_MS), so a long answer ends whole instead of failing at the timeout.
     * @default none: the model's own limit
     */
    chatMaxReplyTokens: z.number().int().min(1).max(1_000_000).optional(),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    /**
     * Node's `--enable-source-maps` in every function, so logged stack traces name TypeScript
     * files and lines. It costs every cold start: Node reads the bundle's source map as it loads
     * it, and the first request of an instance took ~40 ms longer (bench/cold-start.ts on Node 24,
     * docs/performance.md). Off, stacks name positions in index.mjs; the index.mjs.map deployed
     * beside it maps them (docs/troubleshooting.md). @default false
     */
    runtimeSourceMaps: z.boolean().default(false),
    /** Canary 10% for 5 minutes, else all at once; both roll back on the function's alarms. */
    canaryDeployments: z.boolean(),
    /**
     * Countries CloudFront refuses (ISO 3166-1 alpha-2): comprehensively sanctioned ones, where
     * the model provider does not serve either.
     */
    geoDenylist: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1),
    web: z.object({
      /**
       * Minutes without activity in any tab of the web app after which it signs the person out,
       * with a warning a minute before; 0: never. Thirty is NIST SP 800-63B's inactivity limit at
       * AAL2 (OWASP ASVS 3.3.2). Refresh tokens still end sessions after 7 days regardless.
       * @default 30
       */
      idleSignOutMinutes: z
        .number()
        .int()
        .refine((m) => m === 0 || (m >= 5 && m <= 720), '0 (never) or 5 to 720 minutes')
        .default(30),
      /** Custom domain (e.g. chat.example.com) with an ACM certificate in us-east-1. */
      domainName: z.string().optional(),
      certificateArn: z.string().startsWith('arn:aws:acm:us-east-1:').optional(),
      /**
       * The Route 53 public hosted zone holding domainName: A and AAAA alias records to the
       * distribution are then created. Without it, point DNS at the distribution by hand.
       */
      hostedZone: z
        .object({
          id: z.string().regex(/^Z[A-Z0-9]+$/, 'expected a hosted zone id like Z0123456789ABC'),
          name: z.string().min(1),
        })
        .optional(),
    }),
    github: z.object({
      /** `owner/repo` whose workflows may deploy this stage. */
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/repo'),
      /** The environment name GitHub puts in the token's `sub` claim. */
      environment: z.string().min(1),
    }),
  })
  .superRefine((c, ctx) => {
    if (c.database.maxCapacity < c.database.minCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxCapacity'],
        message: 'must be at least minCapacity',
      });
    }
    if (c.network.natGateways > c.network.maxAzs) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'natGateways'],
        message: 'can be at most maxAzs (one NAT gateway per AZ)',
      });
    }
    if (c.network.natGateways === 0 && c.cache.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'natGateways'],
        message: 'can be 0 only with cache.enabled false (functions in the VPC need a NAT to reach Cognito)',
      });
    }
    if (!!c.web.domainName !== !!c.web.certificateArn) {
      ctx.addIssue({ code: 'custom', path: ['web'], message: 'domainName and certificateArn go together' });
    }
    if (c.api.reservedConcurrency !== undefined && c.api.lambdaConcurrencyQuota === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'lambdaConcurrencyQuota'],
        message:
          "is required with reservedConcurrency: state the account's quota (aws lambda get-account-settings)",
      });
    }
    if ((CLOUDFRONT_LOG_UNSUPPORTED_REGIONS as readonly string[]).includes(c.region)) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: `CloudFront delivers no access logs to buckets in ${CLOUDFRONT_LOG_UNSUPPORTED_REGIONS.slice(0, -1).join(', ')} or ${CLOUDFRONT_LOG_UNSUPPORTED_REGIONS.at(-1)} (its standard logs go to a bucket in the stage's region)`,
      });
    }
    const email = c.auth.email;
    if (email && !SES_REGIONS_FOR_COGNITO(c.region).includes(email.sesRegion ?? c.region)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'email', 'sesRegion'],
        message: `Cognito sends through SES in the stage's region or in ${SES_ALTERNATE_REGIONS.join(', ')} only`,
      });
    }
    if (email?.verifiedDomain && !email.from.endsWith(`@${email.verifiedDomain}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'email', 'from'],
        message: 'must be an address of verifiedDomain',
      });
    }
    const zone = c.web.hostedZone;
    if (zone && !(c.web.domainName === zone.name || c.web.domainName?.endsWith(`.${zone.name}`))) {
      ctx.addIssue({
        code: 'custom',
        path: ['web', 'hostedZone', 'name'],
        message: 'the hosted zone must hold web.domainName',
      });
    }
    if (c.stage === 'prod') {
      const required: [boolean, string][] = [
        [c.auth.mfa === 'REQUIRED', 'auth.mfa must be REQUIRED in prod'],
        [c.auth.threatProtection === 'FULL_FUNCTION', 'auth.threatProtection must be FULL_FUNCTION in prod'],
        [c.database.deletionProtection, 'database.deletionProtection must be on in prod'],
        [c.database.backupRetentionDays === 35, 'database.backupRetentionDays must be 35 in prod'],
        [c.retainData, 'retainData must be true in prod'],
        [c.canaryDeployments, 'canaryDeployments must be true in prod'],
      ];
      for (const [ok, message] of required) if (!ok) ctx.addIssue({ code: 'custom', path: [], message });
    }
  });

export type StageConfig = z.infer<typeof stageConfigSchema>;

const SANCTIONED = ['CU', 'IR', 'KP', 'SY'];

const github = { repository: 'parley-org/parley' } as const;

const raw: Record<Stage, z.input<typeof stageConfigSchema>> = {
  dev: {
    stage: 'dev',
    region: 'eu-west-1',
    alarmEmail: 'parley-alerts-dev@example.com',
    logRetentionDays: 30,
    retainData: false,
    network: { maxAzs: 2, natGateways: 1, interfaceEndpoints: false },
    database: {
      minCapacity: 0,
      maxCapacity: 4,
      readers: 0,
      backupRetentionDays: 7,
      // On everywhere: tearing a dev stage down means flipping this first (docs/deployment.md).
      deletionProtection: true,
      port: 5532,
    },
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 5000 },
    auth: { mfa: 'OPTIONAL', threatProtection: 'AUDIT_ONLY' },
    api: {
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      wafRateLimitPer5Min: 1000,
      wafMessageRateLimitPer5Min: 100,
      maxMessageBodyBytes: 64 * 1024,
      reservedConcurrency: undefined,
    },
    openaiModel: 'gpt-4o-mini',
    logLevel: 'DEBUG',
    // Dev debugs from its logs; staging and prod keep the faster cold start.
    runtimeSourceMaps: true,
    canaryDeployments: false,
    geoDenylist: SANCTIONED,
    web: {},
    github: { ...github, environment: 'dev' },
  },
  staging: {
    stage: 'staging',
    region: 'eu-west-1',
    alarmEmail: 'parley-alerts-staging@example.com',
    logRetentionDays: 90,
    retainData: true,
    network: { maxAzs: 2, natGateways: 1, interfaceEndpoints: false },
    database: {
      minCapacity: 0.5,
      maxCapacity: 8,
      readers: 0,
      backupRetentionDays: 14,
      deletionProtection: true,
      port: 5532,
    },
    cache: { maxDataStorageGb: 2, maxEcpuPerSecond: 10_000 },
    auth: { mfa: 'OPTIONAL', threatProtection: 'AUDIT_ONLY' },
    api: {
      throttleRateLimit: 100,
      throttleBurstLimit: 200,
      wafRateLimitPer5Min: 1000,
      wafMessageRateLimitPer5Min: 100,
      maxMessageBodyBytes: 64 * 1024,
      // Off: a new account's quota may be too low (see reservedConcurrency).
      reservedConcurrency: undefined,
    },
    openaiModel: 'gpt-4o-mini',
    logLevel: 'INFO',
    canaryDeployments: true,
    geoDenylist: SANCTIONED,
    web: {},
    github: { ...github, environment: 'staging' },
  },
  prod: {
    stage: 'prod',
    region: 'eu-west-1',
    alarmEmail: 'parley-alerts@example.com',
    logRetentionDays: 365,
    retainData: true,
    network: { maxAzs: 3, natGateways: 3, interfaceEndpoints: true },
    database: {
      minCapacity: 0.5,
      maxCapacity: 32,
      readers: 1,
      backupRetentionDays: 35,
      deletionProtection: true,
      port: 5532,
    },
    cache: { maxDataStorageGb: 5, maxEcpuPerSecond: 50_000 },
    auth: { mfa: 'REQUIRED', threatProtection: 'FULL_FUNCTION' },
    api: {
      throttleRateLimit: 200,
      throttleBurstLimit: 400,
      wafRateLimitPer5Min: 2000,
      wafMessageRateLimitPer5Min: 200,
      maxMessageBodyBytes: 64 * 1024,
      // Off until the account's quota is stated: e.g. lambdaConcurrencyQuota: 1000 with
      // reservedConcurrency: 200 reserves 4 × 200 + 50 (exports), leaving the 100 Lambda requires.
      reservedConcurrency: undefined,
    },
    openaiModel: 'gpt-4o-mini',
    logLevel: 'INFO',
    canaryDeployments: true,
    geoDenylist: SANCTIONED,
    web: {},
    github: { ...github, environment: 'prod' },
  },
};

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/** Parses one stage's configuration; throws a message naming each bad field. */
export function parseStageConfig(input: unknown): StageConfig {
  const result = stageConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(stage)'}: ${i.message}`);
  throw new Error(`Invalid stage configuration:\n${problems.join('\n')}`);
}

export function stageConfig(stage: string): StageConfig {
  if (!isStage(stage)) throw new Error(`Unknown stage "${stage}": expected one of ${STAGES.join(', ')}`);
  return parseStageConfig(raw[stage]);
}
