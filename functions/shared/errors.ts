/**
 * Domain errors: thrown by use cases and middleware, mapped to problem+json by one middleware.
 * They know their HTTP status (the only HTTP fact they carry) and whether their message is safe
 * to show; anything that is not a DomainError becomes a generic 500.
 */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  /** Short kebab-case name; the problem `type` is built from it. */
  abstract readonly slug: string;
  abstract readonly title: string;
  /** Seconds, for 429 and 503 (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /** Client errors are shown; server-side ones never are. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly slug = 'validation';
  readonly title = 'Your request is not valid';
  constructor(
    readonly errors: readonly FieldProblem[],
    detail = errors.length === 1
      ? `${errors[0]?.path}: ${errors[0]?.message}`
      : `${errors.length} fields are not valid`,
  ) {
    super(detail);
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly slug = 'unauthorized';
  readonly title = 'Sign-in required';
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly slug = 'forbidden';
  readonly title = 'Not allowed';
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly slug = 'not-found';
  readonly title = 'Not found';
}

/** The caller has no users row yet (it is written on their first `GET /api/me`). */
export class ProfileNotFoundError extends NotFoundError {
  constructor() {
    super('No profile yet: open the app once, then try again.');
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly slug = 'conflict';
  readonly title = 'Conflict';
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly slug = 'payload-too-large';
  readonly title = 'Request body too large';
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly slug = 'unsupported-media-type';
  readonly title = 'Unsupported media type';
}

export class RateLimitedError extends DomainError {
  readonly status = 429;
  readonly slug = 'rate-limited';
  readonly title = 'Too many requests';
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
  readonly slug = 'service-unavailable';
  readonly title = 'Service temporarily unavailable';
  /** Its messages are ours ("the model is unavailable"), written to be shown. */
  override get expose(): boolean {
    return true;
  }
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
