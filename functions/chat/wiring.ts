import { getCache } from '#shared/cache/get-cache';
import { getConfig, roleQuota } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { logger } from '#shared/powertools';
import { cacheRateLimiter } from '#shared/rate-limit/cache-rate-limiter';
import { withCachedMonthlyUsage } from './adapters/cached-monthly-usage';
import { createChatModel } from './adapters/chat-model-factory';
import { postgresTurns } from './adapters/postgres-messages';
import { powertoolsChatMetrics } from './adapters/powertools-chat-metrics';
import { promptSettingsOf } from './domain/system-prompt';
import { makeRegenerateReply } from './use-cases/regenerate-reply';
import { makeSendMessage } from './use-cases/send-message';
import type { ReplyDeps } from './use-cases/write-reply';

/**
 * The chat group's use cases (the streamed replies) with PostgreSQL, the cache and the model, built
 * on the first request.
 */
export function chatDeps() {
  const config = getConfig();
  const messages = postgresTurns(getSql());
  const reply: ReplyDeps = {
    messages: withCachedMonthlyUsage(messages, getCache, powertoolsChatMetrics),
    model: createChatModel(config, { cache: getCache() }),
    limiter: cacheRateLimiter({
      cache: getCache,
      limitPerMinute: config.CHAT_RATE_LIMIT_PER_MINUTE,
      onCacheError: (error) =>
        logger.warn('rate limit counted locally: cache unavailable', { error: error as Error }),
    }),
    metrics: powertoolsChatMetrics,
    roleQuota: (role) => roleQuota(config, role),
    ...promptSettingsOf(config),
    bufferedReplyDeadlineMs: config.BUFFERED_REPLY_TIMEOUT_MS,
    maxRepliesInFlight: config.CHAT_MAX_REPLIES_IN_FLIGHT,
  };
  return {
    sendMessage: makeSendMessage(reply),
    regenerateReply: makeRegenerateReply(reply),
  };
}

export type ChatDeps = ReturnType<typeof chatDeps>;
