/**
 * What a log line may hold of an error. Powertools' own formatting writes every enumerable field
 * of an error, which for a dependency's error is whatever that dependency chose to attach:
 * node-postgres puts the failing row in `detail` ("Failing row contains (…, <message content>,
 * …)") and the colliding key ("Key (email)=(…)"), HTTP clients their request's headers
 * (a bearer token) and body (the conversation), and messages quote values too. So errors are
 * logged by this allow-list instead: name, message, stack frames, a code, a few identifiers an
 * operator needs (the constraint, table and column of a database error; an HTTP status; a
 * service's request id) and the causes, each message cleaned by `loggableMessage`.
 */

/** Causes (and an AggregateError's errors) followed at most: a cycle of causes must not loop. */
const MAX_DEPTH = 4;
/** An AggregateError's errors written at most. */
const MAX_INNER_ERRORS = 5;
/** Longest identifier kept from an error's fields. */
const MAX_FIELD_CHARS = 200;

/** Fields whose values are identifiers or figures, never data: kept when a string or a number. */
const KEPT_FIELDS = [
  'code',
  'status',
  'statusCode',
  'reason',
  'kind',
  'slug',
  'requestId',
  'constraint',
  'table',
  'column',
  'retryAfterSeconds',
] as const;

/** User and password of a URL (`//user:secret@host`) and `password=…` pairs never reach the logs. */
export const withoutCredentials = (text: string): string =>
  text.replace(/\/\/[^/\s@]*@/g, '//…@').replace(/(password\s*=\s*)\S+/gi, '$1…');

/**
 * A PostgreSQL data exception (SQLSTATE class 22: invalid input syntax, out of range, …) quotes
 * the value it refused: `invalid input syntax for type uuid: "<value>"`. Other classes quote
 * names (relation, constraint, column), which are kept.
 */
const DATA_EXCEPTION = /^22[0-9A-Z]{3}$/;

/**
 * A message as a log line may hold it: without credentials, without the Detail and Where lines a
 * database adds (the Data API writes the server's Detail into the message: the failing row, the
 * colliding key), and, for a data exception, without the values it quotes.
 */
export function loggableMessage(message: string, code?: string): string {
  let text = withoutCredentials(message).replace(
    /(\n\s*(?:Detail|Where|Internal Query):)[^\n]*?(?=; SQLState: |\n|$)/g,
    '$1 …',
  );
  const sqlState =
    code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : /SQLState: ([0-9A-Z]{5})/.exec(text)?.[1];
  if (sqlState !== undefined && DATA_EXCEPTION.test(sqlState)) text = text.replace(/"(?:[^"]|"")*"/g, '"…"');
  return text;
}

/**
 * An error's message as a log line may hold it: loggableMessage, and for a SyntaxError without the
 * text V8's JSON.parse quotes (`Unexpected token 'p', "{"apiKey": p"... is not valid JSON`), which
 * may be a secret or a request's body. Every summary of an error goes through this.
 */
export function loggableErrorMessage(name: string, message: string, code?: string): string {
  const text = loggableMessage(message, code);
  return name === 'SyntaxError'
    ? text.replace(/^Unexpected token [^]*is not valid JSON$/, 'Unexpected token: not valid JSON')
    : text;
}

export interface LoggableError {
  readonly name: string;
  readonly message: string;
  /** `file:line` of the frame that made the error. */
  readonly location?: string;
  /** The first line (`name: message`, cleaned) and the frames. */
  readonly stack?: string;
  readonly [field: string]: unknown;
}

const codeOf = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;

/** An error as a log line may hold it (see the module's comment); anything else as text. */
export function loggableError(error: unknown, depth = 0): LoggableError {
  if (typeof error !== 'object' || error === null)
    return { name: typeof error, message: loggableMessage(String(error)) };
  const fields = error as Record<string, unknown>;
  const code = codeOf(fields.code);
  const name =
    typeof fields.name === 'string'
      ? fields.name
      : ((error.constructor as { name?: string })?.name ?? 'Object');
  const message = loggableErrorMessage(name, typeof fields.message === 'string' ? fields.message : '', code);
  const frames =
    typeof fields.stack === 'string' ? fields.stack.split('\n').filter((line) => /^\s+at /.test(line)) : [];
  const location = frames[0] && /\(?([^\s()]+):(\d+):\d+\)?$/.exec(frames[0].trim());

  const kept: Record<string, unknown> = {};
  for (const field of KEPT_FIELDS) {
    const value = fields[field];
    if (typeof value === 'number' || typeof value === 'boolean') kept[field] = value;
    else if (typeof value === 'string') kept[field] = loggableMessage(value.slice(0, MAX_FIELD_CHARS), code);
  }
  // An AWS client's answer: its HTTP status and the service's request id, for support cases.
  const metadata = fields.$metadata as { httpStatusCode?: unknown; requestId?: unknown } | undefined;
  if (typeof metadata?.httpStatusCode === 'number') kept.httpStatusCode = metadata.httpStatusCode;
  if (typeof metadata?.requestId === 'string')
    kept.awsRequestId = metadata.requestId.slice(0, MAX_FIELD_CHARS);

  const inner =
    depth < MAX_DEPTH && Array.isArray(fields.errors) ? fields.errors.slice(0, MAX_INNER_ERRORS) : [];
  return {
    name,
    message,
    ...(location ? { location: `${location[1]}:${location[2]}` } : {}),
    ...(typeof fields.stack === 'string' ? { stack: [`${name}: ${message}`, ...frames].join('\n') } : {}),
    ...kept,
    ...(fields.cause !== undefined && depth < MAX_DEPTH
      ? { cause: loggableError(fields.cause, depth + 1) }
      : {}),
    ...(inner.length > 0 ? { errors: inner.map((each) => loggableError(each, depth + 1)) } : {}),
  };
}

/**
 * An error as it may leave our code for a place that writes whatever it is given: X-Ray's record
 * of a failed invocation (name, message, stack frames), the Lambda runtime's "Invoke Error" line
 * (every enumerable field, the message and the stack), a CloudFormation failure reason. The same
 * name, code, message and frames a log line holds (`loggableError`); the original error is its
 * `cause`, which `new Error` makes non-enumerable, so none of those writes it.
 */
export function cleanError(error: unknown): Error & { code?: string | number } {
  // At the depth limit: the summary of this error alone, without its causes.
  const { name, message, stack, code } = loggableError(error, MAX_DEPTH);
  const clean: Error & { code?: string | number } = new Error(message, { cause: error });
  Object.defineProperty(clean, 'name', { value: name, writable: true, configurable: true });
  if (stack !== undefined)
    Object.defineProperty(clean, 'stack', { value: stack, writable: true, configurable: true });
  if (typeof code === 'string' || typeof code === 'number') clean.code = code;
  return clean;
}

/**
 * The logger's JSON replacer: every Error a line holds, at any depth, written as `loggableError`
 * says, before Powertools' own formatting (which would write all its fields) sees it.
 */
export function loggableErrors(_key: string, value: unknown): unknown {
  return value instanceof Error ? loggableError(value) : value;
}
