import type { Stage } from '../config/stages';

/** Everything a Parley function needs to know about its deployment, as CDK values (tokens). */
/** The CloudWatch namespace of Parley's own metrics: the functions' (Powertools) and the API's. */
export const CUSTOM_NAMESPACE = 'Parley';

export interface FunctionEnvironmentInputs {
  readonly stage: Stage;
  readonly dbClusterArn: string;
  readonly dbSecretArn: string;
  readonly dbName: string;
  readonly userPoolId: string;
  /** The SPA client and the machine (client-credentials) client. */
  readonly clientIds: readonly string[];
  /** `host:port` of the Valkey endpoint; absent for functions outside the VPC. */
  readonly cacheEndpoint?: string;
  readonly cacheUser?: string;
  readonly cacheName?: string;
  readonly openAiSecretArn: string;
  readonly openAiModel: string;
  /** Models a message may pick besides `openAiModel` (OPENAI_MODELS). @default none */
  readonly openAiModels?: readonly string[];
  /** The organisation's instructions to the model (CHAT_SYSTEM_PROMPT). @default the built-in ones */
  readonly chatSystemPrompt?: string;
  /** The most tokens a reply may have (CHAT_MAX_REPLY_TOKENS). @default the model's own limit */
  readonly chatMaxReplyTokens?: number;
  /** The retention run's policy (CONVERSATION_PURGE_DAYS, CONVERSATION_RETENTION_DAYS). */
  readonly retention?: {
    readonly deletedConversationsDays: number;
    readonly conversationDays?: number | undefined;
  };
  /** Each role's default monthly tokens (CHAT_QUOTA_<ROLE>). @default DEFAULT_MONTHLY_TOKENS for all */
  readonly chatQuotas?: { readonly members?: number; readonly admins?: number; readonly auditors?: number };
  readonly webOrigin: string;
  /** The user pool domain's token endpoint (OAUTH_TOKEN_URL), for the OpenAPI document. @default none */
  readonly oauthTokenUrl?: string;
  /** Powertools service name: the handler group or trigger. */
  readonly serviceName: string;
  readonly logLevel: string;
}

/**
 * The environment variables of one function, in the shape `functions/shared/config.ts` parses.
 * `test/infra/constructs/function-environment.test.ts` parses the result with `configSchema`, so the two
 * cannot drift apart. AWS_REGION is set by Lambda itself (a reserved variable).
 */
export function functionEnvironment(i: FunctionEnvironmentInputs): Record<string, string> {
  const env: Record<string, string> = {
    STAGE: i.stage,
    DB_DRIVER: 'data-api',
    DB_CLUSTER_ARN: i.dbClusterArn,
    DB_SECRET_ARN: i.dbSecretArn,
    DB_NAME: i.dbName,
    COGNITO_USER_POOL_ID: i.userPoolId,
    COGNITO_CLIENT_IDS: i.clientIds.join(','),
    OPENAI_SECRET_ARN: i.openAiSecretArn,
    OPENAI_MODEL: i.openAiModel,
    WEB_ORIGIN: i.webOrigin,
    POWERTOOLS_SERVICE_NAME: i.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: CUSTOM_NAMESPACE,
    LOG_LEVEL: i.logLevel,
  };
  if (i.chatSystemPrompt) env.CHAT_SYSTEM_PROMPT = i.chatSystemPrompt;
  if (i.oauthTokenUrl) env.OAUTH_TOKEN_URL = i.oauthTokenUrl;
  if (i.chatMaxReplyTokens !== undefined) env.CHAT_MAX_REPLY_TOKENS = String(i.chatMaxReplyTokens);
  if (i.retention) {
    env.CONVERSATION_PURGE_DAYS = String(i.retention.deletedConversationsDays);
    if (i.retention.conversationDays !== undefined)
      env.CONVERSATION_RETENTION_DAYS = String(i.retention.conversationDays);
  }
  if (i.openAiModels?.length) env.OPENAI_MODELS = [i.openAiModel, ...i.openAiModels].join(',');
  if (i.chatQuotas?.members !== undefined) env.CHAT_QUOTA_MEMBERS = String(i.chatQuotas.members);
  if (i.chatQuotas?.admins !== undefined) env.CHAT_QUOTA_ADMINS = String(i.chatQuotas.admins);
  if (i.chatQuotas?.auditors !== undefined) env.CHAT_QUOTA_AUDITORS = String(i.chatQuotas.auditors);
  if (i.cacheEndpoint) {
    env.CACHE_ENDPOINT = i.cacheEndpoint;
    if (i.cacheUser) env.CACHE_USER = i.cacheUser;
    if (i.cacheName) env.CACHE_NAME = i.cacheName;
  }
  return env;
}

/**
 * The web origin the API allows (CORS). Without a custom domain the SPA is served by CloudFront
 * from the same origin as `/api`, so it needs no CORS at all; the distribution's own name cannot
 * be given to the functions without a dependency cycle (the distribution points at the API), so
 * they get an origin no browser can have and thus allow no cross-origin caller.
 */
export function webOrigin(domainName: string | undefined): string {
  return domainName ? `https://${domainName}` : 'https://same-origin.invalid';
}
