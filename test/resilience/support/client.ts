import { randomUUID } from 'node:crypto';
import { parseServerSentEvents } from '../../support/sse-events';

/** One answer as a client saw it. */
export interface Outcome {
  readonly route: string;
  readonly status: number;
  readonly contentType: string;
  readonly retryAfter: string | null;
  readonly requestId: string | null;
  readonly ms: number;
  readonly at: number;
  /** The body; in `outcomes`, only an error's (4xx, 5xx, no answer). */
  readonly text: string;
  /** Server-sent events of streamed sends, deltas left out. */
  readonly events: { event: string; data: unknown }[];
}

/** A network failure (no HTTP answer at all): never expected from the local server. */
export const NO_ANSWER = 0;

/** A signed-in API client of the local server that records every answer it gets. */
export class ApiClient {
  readonly outcomes: Outcome[] = [];

  constructor(
    private readonly baseUrl: string,
    readonly token: string,
  ) {}

  async call(
    route: string,
    method: string,
    path: string,
    options: { body?: unknown; stream?: boolean; timeoutMs?: number } = {},
  ): Promise<Outcome> {
    const started = performance.now();
    // A timer cleared on the answer, not AbortSignal.timeout: that one lives (with its timer and
    // weak references) until it fires, which in a soak is memory the server did not use.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('timed out')), options.timeoutMs ?? 30_000);
    let outcome: Outcome;
    try {
      const response = await fetch(this.baseUrl + path, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(options.stream ? { Accept: 'text/event-stream' } : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: abort.signal,
      });
      const text = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      outcome = {
        route,
        status: response.status,
        contentType,
        retryAfter: response.headers.get('retry-after'),
        requestId: response.headers.get('x-request-id'),
        ms: performance.now() - started,
        at: Date.now(),
        text,
        events: contentType.startsWith('text/event-stream')
          ? parseServerSentEvents(text).filter((e) => e.event !== 'delta')
          : [],
      };
    } catch (error) {
      outcome = {
        route,
        status: NO_ANSWER,
        contentType: '',
        retryAfter: null,
        requestId: null,
        ms: performance.now() - started,
        at: Date.now(),
        text: error instanceof Error ? error.message : String(error),
        events: [],
      };
    } finally {
      clearTimeout(timer);
    }
    // Kept small: a soak holds every outcome in the process whose memory it measures, so what the
    // checks do not read (bodies of successes, stored messages in events) is dropped.
    this.outcomes.push(
      outcome.status >= 400 || outcome.status === NO_ANSWER
        ? outcome
        : {
            ...outcome,
            text: '',
            events: outcome.events.map((e) => (e.event === 'error' ? e : { event: e.event, data: null })),
          },
    );
    return outcome;
  }

  me = () => this.call('me.get', 'GET', '/api/me');
  list = () => this.call('conversations.list', 'GET', '/api/conversations?limit=20');
  create = () => this.call('conversations.create', 'POST', '/api/conversations', { body: {} });
  missing = () => this.call('conversations.get', 'GET', `/api/conversations/${randomUUID()}`);
  messages = (id: string) => this.call('messages.list', 'GET', `/api/conversations/${id}/messages?limit=20`);
  send = (id: string, content: string) =>
    this.call('messages.send', 'POST', `/api/conversations/${id}/messages`, {
      body: { content },
      stream: true,
      timeoutMs: 60_000,
    });
}

/** Whether a streamed send stored the user's message (its first event). */
export function userMessageStored(outcome: Outcome): boolean {
  return outcome.status === 200 && outcome.events[0]?.event === 'message';
}

/** Runs `work` on every client until `until` (a time), bounded by `maxIterations` per client. */
export async function drive<C>(
  clients: readonly C[],
  until: () => boolean,
  work: (client: C, index: number, iteration: number) => Promise<unknown>,
  maxIterations = 100_000,
): Promise<void> {
  await Promise.all(
    clients.map(async (client, index) => {
      for (let i = 0; i < maxIterations && !until(); i += 1) await work(client, index, i);
    }),
  );
}
