import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI Chat Completions API as the real one does
 * (`chat.completion.chunk` server-sent events, a usage chunk, `[DONE]`, the error JSON shape), and
 * misbehaves on demand: slow, rate limited, failing, hanging, cut or garbled. Adapter tests run
 * the real `openai` SDK against it.
 */
export type FakeOpenAIMode =
  /**
   * A well-formed reply (streamed or not), ended with `finishReason` (`stop` unless told; `length`:
   * the model wrote as much as it may).
   */
  | {
      readonly kind: 'normal';
      readonly reply?: string;
      readonly chunkDelayMs?: number;
      readonly finishReason?: 'stop' | 'length';
    }
  /** Headers at once, then nothing for `delayMs`, then a normal reply. */
  | { readonly kind: 'slow-first-token'; readonly delayMs: number; readonly reply?: string }
  /** 429 `rate_limit_exceeded`, with `Retry-After` when given (seconds or an HTTP date). */
  | { readonly kind: 'rate-limited'; readonly retryAfter?: string; readonly retryAfterMs?: string }
  /** A 5xx answer (500 unless told). */
  | { readonly kind: 'server-error'; readonly status?: number; readonly retryAfter?: string }
  /** Any other error status with the real error body (401 bad key, 400 bad request, …). */
  | { readonly kind: 'error'; readonly status: number; readonly code?: string; readonly message?: string }
  /** Reads the request and never answers. */
  | { readonly kind: 'hang' }
  /** Streams `afterChunks` content chunks, then destroys the socket. */
  | { readonly kind: 'cut'; readonly afterChunks: number; readonly reply?: string }
  /** Streams `afterChunks` content chunks, then goes silent with the connection open. */
  | { readonly kind: 'stall'; readonly afterChunks: number; readonly reply?: string }
  /** Streams `afterChunks` content chunks, then a frame that is not JSON, then carries on. */
  | { readonly kind: 'malformed'; readonly afterChunks: number; readonly reply?: string }
  /**
   * A streamed reply whose usage chunk carries `usage` as given, whatever it is (a fraction, a
   * negative, a string, null, 1e300), as an OpenAI-compatible server may; without `usage` the
   * reply ends with no usage chunk at all (`finish_reason` still comes).
   */
  | { readonly kind: 'usage'; readonly usage?: unknown; readonly reply?: string };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: ChatCompletionRequestBody | undefined;
}

export interface ChatCompletionRequestBody {
  readonly model?: string;
  readonly messages?: readonly { readonly role: string; readonly content: string }[];
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly [key: string]: unknown;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>/v1`, the SDK's baseURL. */
  readonly baseURL: string;
  /** The same server without the /v1 prefix (it answers both). */
  readonly origin: string;
  /** Every chat completion request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** How many chat completion requests it received. */
  readonly calls: number;
  /** The mode of every request from now on (after any queued ones). */
  setMode(mode: FakeOpenAIMode): void;
  /** Modes for the next requests, one each, before the default mode applies again. */
  queue(...modes: FakeOpenAIMode[]): void;
  /** Normal mode, empty queue, no recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeOpenAIOptions {
  /** When set, any other bearer token is answered 401 `invalid_api_key`, as OpenAI does. */
  readonly apiKey?: string;
  readonly mode?: FakeOpenAIMode;
}

/** The reply when a mode names none: fixed, so tests can compare it whole. */
export const DEFAULT_REPLY = 'Hello from the fake model. It streams in several chunks.';

const COMPLETIONS_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let defaultMode: FakeOpenAIMode = options.mode ?? { kind: 'normal' };
  let queued: FakeOpenAIMode[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'server_error', String(error));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const raw = await readBody(req);
    if (req.method !== 'POST' || !COMPLETIONS_PATHS.has(path)) {
      sendError(
        res,
        404,
        'unknown_url',
        `Unknown request URL: ${req.method} ${path}.`,
        'invalid_request_error',
      );
      return;
    }
    const body = parseJson(raw);
    requests.push({ method: req.method, path, headers: req.headers, body });
    const mode = queued.shift() ?? defaultMode;

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendError(res, 401, 'invalid_api_key', 'Incorrect API key provided.', 'invalid_request_error');
      return;
    }
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      sendError(
        res,
        400,
        null,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
        'invalid_request_error',
      );
      return;
    }

    switch (mode.kind) {
      case 'rate-limited': {
        if (mode.retryAfter !== undefined) res.setHeader('retry-after', mode.retryAfter);
        if (mode.retryAfterMs !== undefined) res.setHeader('retry-after-ms', mode.retryAfterMs);
        sendError(
          res,
          429,
          'rate_limit_exceeded',
          'Rate limit reached for requests. Please try again later.',
          'requests',
        );
        return;
      }
      case 'server-error':
        if (mode.retryAfter !== undefined) res.setHeader('retry-after', mode.retryAfter);
        sendError(
          res,
          mode.status ?? 500,
          null,
          'The server had an error while processing your request.',
          'server_error',
        );
        return;
      case 'error':
        sendError(
          res,
          mode.status,
          mode.code ?? null,
          mode.message ?? 'The request was refused.',
          'invalid_request_error',
        );
        return;
      case 'hang':
        return;
    }

    const reply = ('reply' in mode ? mode.reply : undefined) ?? DEFAULT_REPLY;
    const id = `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: body.messages.reduce((sum, m) => sum + Math.ceil(String(m.content).length / 4) + 4, 0),
      completion_tokens: Math.max(1, Math.ceil(reply.length / 4)),
    };
    const totals = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    const finishReason = (mode.kind === 'normal' ? mode.finishReason : undefined) ?? 'stop';

    if (!body.stream) {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage: totals,
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
      });
      return;
    }

    const includeUsage = body.stream_options?.include_usage === true;
    // The usage chunk's `usage`, when one is sent: the `usage` mode's own, whatever it asked for.
    let usageSent: { readonly usage: unknown } | undefined = includeUsage ? { usage: totals } : undefined;
    if (mode.kind === 'usage') usageSent = Object.hasOwn(mode, 'usage') ? { usage: mode.usage } : undefined;
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const pieces = splitReply(reply);
    const frames: string[] = [
      frame(chunk({ role: 'assistant', content: '', refusal: null }, null)),
      ...pieces.map((piece) => frame(chunk({ content: piece }, null))),
      frame(chunk({}, finishReason)),
      ...(usageSent
        ? [
            frame({
              id,
              object: 'chat.completion.chunk',
              created,
              model: body.model,
              service_tier: 'default',
              system_fingerprint: 'fp_fake',
              choices: [],
              usage: usageSent.usage,
            }),
          ]
        : []),
      'data: [DONE]\n\n',
    ];

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': `req_${randomUUID().replaceAll('-', '')}`,
    });
    res.flushHeaders();

    // The role chunk, then `afterChunks` content chunks, then the mode's misbehaviour.
    const breakAt = 'afterChunks' in mode ? 1 + mode.afterChunks : Number.POSITIVE_INFINITY;
    const firstDelay = mode.kind === 'slow-first-token' ? mode.delayMs : 0;
    const chunkDelay = mode.kind === 'normal' ? (mode.chunkDelayMs ?? 0) : 0;
    let index = 0;
    const next = () => {
      if (res.destroyed) return;
      if (index === breakAt) {
        if (mode.kind === 'cut') {
          res.socket?.destroy();
          return;
        }
        if (mode.kind === 'stall') return;
        if (mode.kind === 'malformed')
          res.write('data: {"id":"chatcmpl-broken","choices":[{"delta":{"content\n\n');
      }
      const current = frames[index++];
      if (current === undefined) {
        res.end();
        return;
      }
      res.write(current);
      later(chunkDelay, next);
    };
    later(firstDelay, next);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    baseURL: `${origin}/v1`,
    origin,
    get requests() {
      return requests;
    },
    get calls() {
      return requests.length;
    },
    setMode(mode) {
      defaultMode = mode;
    },
    queue(...modes) {
      queued.push(...modes);
    },
    reset() {
      defaultMode = { kind: 'normal' };
      queued = [];
      requests.length = 0;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Hanging and stalled requests would otherwise keep close() waiting forever.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Small pieces, the way a tokenizer streams: each word with the space before it. */
export function splitReply(reply: string): string[] {
  return reply.match(/\s*\S+/g) ?? (reply ? [reply] : []);
}

function frame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The real error shape: `{ error: { message, type, param, code } }`. */
function sendError(
  res: ServerResponse,
  status: number,
  code: string | null,
  message: string,
  type = 'server_error',
) {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): ChatCompletionRequestBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as ChatCompletionRequestBody) : undefined;
  } catch {
    return undefined;
  }
}
