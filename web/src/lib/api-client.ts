import { fetchAuthSession } from 'aws-amplify/auth';
import * as z from 'zod/mini';

/** RFC 9457 problem details, as every API error is answered. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.optional(z.string()),
  requestId: z.optional(z.string()),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

export type Problem = z.infer<typeof problemSchema>;

/**
 * Every failed API call, whatever went wrong: a problem+json answer, another error answer, a
 * network failure (`status` 0) or an answer that does not match the contract.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly problem: Problem;
  /** Seconds, from `Retry-After` on 429 and 503. */
  readonly retryAfter: number | undefined;

  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail ?? problem.title);
    this.status = problem.status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

export type AccessTokenProvider = () => Promise<string | undefined>;

/**
 * The Cognito access token, refreshed by Amplify when it is about to expire. Never the ID token:
 * the API refuses it, because an ID token says who someone is, not what a client may call.
 */
export const amplifyAccessToken: AccessTokenProvider = async () => {
  const session = await fetchAuthSession();
  return session.tokens?.accessToken.toString();
};

export interface ApiClientOptions {
  /** The API's base, a path on this origin (`/api`) or an absolute URL. */
  readonly baseUrl: string;
  /** @default amplifyAccessToken */
  readonly getAccessToken?: AccessTokenProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Resolves a relative baseUrl. @default window.location.origin */
  readonly origin?: string;
  /** Called when the API answers 401: the session was revoked or has expired for good. */
  readonly onUnauthorized?: () => void;
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Extra request headers (e.g. `Idempotency-Key`); they cannot replace Accept or Authorization. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FetchOptions extends RequestOptions {
  /** @default 'application/json, application/problem+json' */
  readonly accept?: string;
}

export interface ApiClient {
  request<T>(path: string, schema: z.ZodMiniType<T>, options?: RequestOptions): Promise<T>;
  /**
   * The successful response itself, unread: for bodies that are not one JSON document (a stream
   * of server-sent events, a download). Failures throw an ApiError, as `request` does.
   */
  fetch(path: string, options?: FetchOptions): Promise<Response>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const getAccessToken = options.getAccessToken ?? amplifyAccessToken;
  const base = new URL(options.baseUrl, options.origin ?? window.location.origin).href.replace(/\/+$/, '');

  async function send(path: string, request: FetchOptions): Promise<Response> {
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }

    let token: string | undefined;
    try {
      token = await getAccessToken();
    } catch {
      // The token could not be refreshed: Cognito out of reach, most often. A session that ended
      // is signed out by the auth hook (its refresh failure); this request only failed to go out.
      throw networkError();
    }
    if (!token) {
      throw new ApiError({
        type: 'about:blank',
        title: 'Not signed in',
        status: 401,
        detail: 'Please sign in again.',
      });
    }

    const headers = new Headers(request.headers);
    headers.set('Accept', request.accept ?? 'application/json, application/problem+json');
    headers.set('Authorization', `Bearer ${token}`);
    let body: string | undefined;
    if (request.body !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(request.body);
    }

    let response: Response;
    try {
      response = await fetchFn(url, {
        method: request.method ?? 'GET',
        headers,
        body,
        signal: request.signal,
      });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw networkError();
    }

    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      throw await toApiError(response);
    }
    return response;
  }

  return {
    fetch: (path, request = {}) => send(path, request),

    async request<T>(path: string, schema: z.ZodMiniType<T>, request: RequestOptions = {}): Promise<T> {
      const response = await send(path, request);
      const payload: unknown =
        response.status === 204 ? undefined : await response.json().catch(() => undefined);
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        throw new ApiError({
          type: 'about:blank',
          title: 'Unexpected response',
          status: response.status,
          detail: 'The server answered in an unexpected format.',
          requestId: response.headers.get('X-Request-Id') ?? undefined,
        });
      }
      return parsed.data;
    },
  };
}

/** The connection failed, or broke before the answer was complete. */
export function networkError(): ApiError {
  return new ApiError({
    type: 'about:blank',
    title: 'Network error',
    status: 0,
    detail: 'The server could not be reached. Check your connection and try again.',
  });
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfterHeader = response.headers.get('Retry-After');
  const retryAfter =
    retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  const payload: unknown = await response.json().catch(() => undefined);
  const parsed = problemSchema.safeParse(payload);
  if (parsed.success) return new ApiError(parsed.data, retryAfter);
  return new ApiError(
    {
      type: 'about:blank',
      title: response.statusText || 'Request failed',
      status: response.status,
      requestId: response.headers.get('X-Request-Id') ?? undefined,
    },
    retryAfter,
  );
}

/** A sentence for a person, from any error an API call can throw. */
/** A Retry-After in the unit a person reads it in: "7 seconds", "5 minutes", "2 hours". */
export function waitText(seconds: number): string {
  const [amount, unit] =
    seconds < 120
      ? [seconds, 'second']
      : seconds < 7200
        ? [Math.ceil(seconds / 60), 'minute']
        : [Math.ceil(seconds / 3600), 'hour'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

export function apiErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  const { problem } = error;
  if (problem.errors?.length) return problem.errors.map((e) => e.message).join(' ');
  if (error.status === 401) return 'Your session has ended. Please sign in again.';
  const text = (problem.detail ?? problem.title).replace(/\.$/, '');
  if (error.status === 429 || error.status === 503) {
    return error.retryAfter
      ? `${text}. Try again in ${waitText(error.retryAfter)}.`
      : `${text}. Try again shortly.`;
  }
  // The request id lets an operator find this request in the logs.
  if (error.status >= 500 && problem.requestId) return `${text}. (Reference: ${problem.requestId})`;
  return `${text}.`;
}
