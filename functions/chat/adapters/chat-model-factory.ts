import type { Cache } from '#shared/cache/cache';
import { ConfigError, type Config } from '#shared/config';
import { logger } from '#shared/powertools';
import { unpricedModels } from '../domain/pricing';
import type { ChatModel } from '../ports/chat-model';
import type { CircuitLogger } from './circuit-breaker';
import { offlineChatModel } from './offline-chat-model';
import { openAIChatModel, type OpenAIChatModelOptions } from './openai-chat-model';
import { openAIKeySource, type OpenAIKeyDeps } from './openai-key';
import type { Sleep } from './stream-support';

/** The part of `Config` the chat model reads (tests and scripts need not invent the rest). */
export type ChatModelConfig = Pick<
  Config,
  | 'AWS_REGION'
  | 'OPENAI_API_KEY'
  | 'OPENAI_SECRET_ARN'
  | 'OPENAI_BASE_URL'
  | 'OPENAI_MODELS'
  | 'OPENAI_FIRST_TOKEN_TIMEOUT_MS'
  | 'OPENAI_IDLE_TIMEOUT_MS'
  | 'OPENAI_TOTAL_TIMEOUT_MS'
  | 'OPENAI_MAX_ATTEMPTS'
  | 'OPENAI_CIRCUIT_FAILURES'
  | 'OPENAI_CIRCUIT_OPEN_MS'
  | 'OFFLINE_MODEL_DELAY_MS'
  | 'CHAT_MAX_REPLY_TOKENS'
>;

export interface ChatModelDeps extends OpenAIKeyDeps {
  /** Shares the circuit breaker between instances (the process's cache: getCache()). */
  readonly cache?: Cache;
  /** @default the Powertools logger */
  readonly logger?: CircuitLogger;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Overrides for the OpenAI model's tuning (tests). */
  readonly openai?: Partial<
    Pick<OpenAIChatModelOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'retryAfterMaxMs'>
  >;
}

/**
 * OpenAI (or a compatible server) when a key is configured, the offline model otherwise: a laptop
 * without a key still chats, and says so. Call once per cold start; the result keeps the key and
 * the circuit breaker for the life of the process.
 */
export function createChatModel(config: ChatModelConfig, deps: ChatModelDeps = {}): ChatModel {
  const apiKey = openAIKeySource(config, deps);
  if (!apiKey) {
    // Chosen at build time: the Lambda bundles define PARLEY_BUNDLE as 'lambda'
    // (lib/constructs/bundling-options.ts), which drops this branch and the offline model with it.
    // On AWS the key is always in Secrets Manager: a function without it is misconfigured, and
    // must not answer people with a built-in model as if it were the organisation's.
    if (process.env.PARLEY_BUNDLE !== 'lambda')
      return offlineChatModel({
        delayMs: config.OFFLINE_MODEL_DELAY_MS,
        sleep: deps.sleep,
        maxReplyTokens: config.CHAT_MAX_REPLY_TOKENS,
      });
    throw new ConfigError([
      'OPENAI_SECRET_ARN: is required (this Lambda bundle has no offline model; the stacks set it)',
    ]);
  }
  const unpriced = unpricedModels(config.OPENAI_MODELS);
  // Once a cold start: the usage reports show no cost for these (chat/domain/pricing.ts).
  if (unpriced.length > 0)
    (deps.logger ?? logger).warn('models without a price: usage reports estimate no cost for them', {
      models: unpriced,
    });
  return openAIChatModel({
    apiKey,
    baseURL: config.OPENAI_BASE_URL,
    models: config.OPENAI_MODELS,
    firstTokenTimeoutMs: config.OPENAI_FIRST_TOKEN_TIMEOUT_MS,
    idleTimeoutMs: config.OPENAI_IDLE_TIMEOUT_MS,
    totalTimeoutMs: config.OPENAI_TOTAL_TIMEOUT_MS,
    maxAttempts: config.OPENAI_MAX_ATTEMPTS,
    maxReplyTokens: config.CHAT_MAX_REPLY_TOKENS,
    circuit: { failureThreshold: config.OPENAI_CIRCUIT_FAILURES, openMs: config.OPENAI_CIRCUIT_OPEN_MS },
    cache: deps.cache,
    logger: deps.logger ?? logger,
    sleep: deps.sleep,
    now: deps.now,
    random: deps.random,
    ...deps.openai,
  });
}
