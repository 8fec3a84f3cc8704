import { reportError } from '#shared/http/error-handler';
import { problemFor, type ProblemBody } from '#shared/http/problem';
import { requestHeader } from '#shared/http/request-header';
import type { RouteResult } from '#shared/http/route';
import type { ApiEvent, ApiResult } from '#shared/http/types';
import type { output } from 'zod/v4/core';
import type { TurnEvent } from '../use-cases/write-reply';
import type { turnEvents } from './schemas';

/** Whether the client asked for server-sent events (`Accept: text/event-stream`). */
export const wantsEventStream = (headers: ApiEvent['headers']): boolean =>
  /\btext\/event-stream\b/i.test(requestHeader(headers, 'accept') ?? '');

const SSE_KEEPALIVE_MS = 10_000;

/** Each event's data, as the routes declare it (schemas.ts `turnEvents`). */
type EventData = { [Name in keyof typeof turnEvents]: output<(typeof turnEvents)[Name]> };

/** One server-sent event. JSON never holds a raw newline, so `data:` is a single line. */
const frame = <Name extends keyof EventData>(event: Name, data: EventData[Name]) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const problemBody = (error: unknown, requestId: string) =>
  JSON.parse(problemFor(error, requestId).body) as ProblemBody;

/**
 * The problem of a failure outside the turn's own events (the database gone while the reply was
 * ending, say), from its answer, with the `retryAfter` the answer carries as `Retry-After`.
 */
function fallbackProblem(answer: ApiResult): EventData['error'] {
  const retryAfter = Number(answer.headers?.['Retry-After']);
  return {
    ...(JSON.parse(answer.body) as ProblemBody),
    ...(retryAfter > 0 ? { retryAfter } : {}),
  };
}

function problemOf(event: Extract<TurnEvent, { type: 'error' }>, requestId: string): EventData['error'] {
  const problem = problemBody(event.error, requestId);
  return {
    ...problem,
    ...(event.error.retryAfterSeconds ? { retryAfter: Math.ceil(event.error.retryAfterSeconds) } : {}),
    message: event.message,
  };
}

/**
 * Runs the turn and answers with server-sent events. Errors before the first event (not found,
 * busy, quota, rate) are thrown so they become ordinary problem responses with their status;
 * once the user's message is stored, the answer is 200 and the rest arrives as events.
 */
export async function streamTurn(
  run: (onEvent: (event: TurnEvent) => void) => Promise<unknown>,
  requestId: string,
): Promise<RouteResult> {
  const queue: TurnEvent[] = [];
  let wake: (() => void) | undefined;
  let firstEvent!: () => void;
  const first = new Promise<void>((resolve) => (firstEvent = resolve));
  const turn = run((event) => {
    queue.push(event);
    firstEvent();
    wake?.();
  });
  await Promise.race([first, turn]);
  let settled = false;
  const ended = turn.then(
    () => undefined,
    (error: unknown) => error,
  );
  void ended.then(() => {
    settled = true;
    wake?.();
  });
  return {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // Proxies must pass each event on at once.
      'X-Accel-Buffering': 'no',
    },
    body: '',
    stream: async (write) => {
      let last: TurnEvent['type'] | undefined;
      const keepalive = setInterval(() => write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
      try {
        for (;;) {
          for (let event = queue.shift(); event; event = queue.shift()) {
            last = event.type;
            if (event.type === 'message' || event.type === 'reply') write(frame(event.type, event.message));
            else if (event.type === 'delta') write(frame('delta', { text: event.text }));
            else if (event.type === 'done') write(frame('done', event.message));
            else write(frame('error', problemOf(event, requestId)));
          }
          if (settled) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
        const failure = await ended;
        if (failure !== undefined) {
          // The 200 went out with the first event: without this, a failure here (a bug, the
          // database gone while the reply ended) reached no log line and no alarm.
          const answer = reportError(failure, requestId);
          if (last !== 'error' && last !== 'done') write(frame('error', fallbackProblem(answer)));
        }
      } finally {
        clearInterval(keepalive);
      }
    },
  };
}
