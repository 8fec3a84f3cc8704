import type { ChatEvent, ChatModel, ChatRequest } from '../ports/chat-model';
import {
  assertAllowedModel,
  estimatePromptTokens,
  estimateTokens,
  sleep as realSleep,
  type Sleep,
} from './stream-support';

export const OFFLINE_MODEL = 'offline';
export const OFFLINE_LABEL = '[Offline model]';

export interface OfflineChatModelOptions {
  /** Pause before each delta, so the UI shows a stream. @default 20 */
  readonly delayMs?: number;
  readonly sleep?: Sleep;
  /** The most tokens a reply may have, as a real model's limit (CHAT_MAX_REPLY_TOKENS). @default none */
  readonly maxReplyTokens?: number | undefined;
}

/** Longest echo of the user's message: enough to show it was read, short enough to stay a summary. */
const SUMMARY_CHARS = 80;

/**
 * The model of a laptop with no OpenAI key: a deterministic reply, labelled as such, that echoes a
 * short summary of the user's last message, streamed in small deltas like a real model, then a
 * usage event estimated like one (so quotas and the UI behave the same offline).
 */
export function offlineChatModel(options: OfflineChatModelOptions = {}): ChatModel {
  const delayMs = options.delayMs ?? 20;
  const sleep = options.sleep ?? realSleep;
  const models = [OFFLINE_MODEL] as const;
  return {
    kind: 'offline',
    models,
    async *stream(request: ChatRequest): AsyncGenerator<ChatEvent> {
      assertAllowedModel(request.model, models);
      request.signal?.throwIfAborted();
      const whole = offlineReply(request);
      // Past the limit, ended there as a real model ends it (`finish_reason` `length`).
      const cap = options.maxReplyTokens;
      const truncated = cap !== undefined && estimateTokens(whole) > cap;
      const reply = truncated ? cutToBytes(whole, cap * 4) : whole;
      for (const piece of reply.match(/\S+\s*/g) ?? []) {
        if (delayMs > 0) await sleep(delayMs, request.signal);
        request.signal?.throwIfAborted();
        yield { type: 'delta', text: piece };
      }
      yield {
        type: 'usage',
        promptTokens: estimatePromptTokens(request.messages),
        completionTokens: truncated ? cap : estimateTokens(reply),
        ...(truncated ? { truncated } : {}),
      };
    },
  };
}

/** The whole reply the offline model gives to this request. */
export function offlineReply(request: Pick<ChatRequest, 'messages'>): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  const summary = summarise(last?.content ?? '');
  const heard = summary ? `You said: “${summary}”.` : 'Your message was empty.';
  return (
    `${OFFLINE_LABEL} ${heard} No OpenAI key is configured, so this built-in model answers ` +
    'instead of a real one. Set OPENAI_API_KEY (or OPENAI_SECRET_ARN on AWS) to chat with a real model.'
  );
}

/** The longest start of `text` within `maxBytes` of UTF-8 (four a token), whole characters only. */
function cutToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * One line, no control or invisible formatting characters (a bidi override in an echo could
 * disguise the label), cut at a character boundary, never inside a surrogate pair.
 */
export function summarise(text: string): string {
  const line = text
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/[“”]/g, '"')
    .trim();
  const chars = Array.from(line);
  return chars.length <= SUMMARY_CHARS
    ? line
    : `${chars
        .slice(0, SUMMARY_CHARS - 1)
        .join('')
        .trimEnd()}…`;
}
