import type middy from '@middy/core';
import type { $ZodError, $ZodType } from 'zod/v4/core';
import { safeParse } from '../zod';
import { ValidationError, type FieldProblem } from '../errors';
import { requestHeader } from './request-header';
import type { RouteHeader } from './route';
import type { ApiEvent, ApiResult } from './types';

export interface InputSchemas {
  readonly params?: $ZodType;
  readonly query?: $ZodType;
  readonly body?: $ZodType;
  /** Headers the route reads, by lower-case name; each optional. */
  readonly headers?: Readonly<Record<string, $ZodType>>;
}

/** What a route declares (`RouteSpec`) as the schemas `validation` takes. */
export function inputSchemas(route: {
  readonly params?: $ZodType | undefined;
  readonly query?: $ZodType | undefined;
  readonly body?: $ZodType | undefined;
  readonly headers?: Readonly<Record<string, RouteHeader>> | undefined;
}): InputSchemas {
  const { params, query, body, headers } = route;
  return {
    ...(params ? { params } : {}),
    ...(query ? { query } : {}),
    ...(body ? { body } : {}),
    ...(headers
      ? { headers: Object.fromEntries(Object.entries(headers).map(([n, h]) => [n, h.schema])) }
      : {}),
  };
}

/**
 * Each issue as a field's problem. Unknown keys are named as `unrecognized` names them: zod's own
 * message quotes every key in full, so a body's 5,000-character key came back in a 5,028-character
 * answer.
 */
function problems(part: string, error: $ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.code === 'unrecognized_keys' ? unrecognized(issue.keys) : issue.message,
  }));
}

const NUL = '\u0000';

/**
 * Where a NUL character hides in a value (strings, keys, nested arrays and objects): PostgreSQL
 * text cannot hold one ("invalid byte sequence for encoding UTF8: 0x00"), so it is refused for
 * every field of every route here, before any schema, rather than by each schema.
 */
function nulPaths(value: unknown, path: string, found: FieldProblem[], depth = 0): void {
  if (found.length >= 10 || depth > 32) return;
  if (typeof value === 'string') {
    if (value.includes(NUL)) found.push({ path, message: 'must not contain NUL characters' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulPaths(item, `${path}.${i}`, found, depth + 1));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL)) found.push({ path, message: 'must not contain NUL characters in a name' });
      else nulPaths(item, `${path}.${key}`, found, depth + 1);
    }
  }
}

/**
 * Keys no schema reads (of a query string, a body, a nested object), as zod names a strict
 * object's unknown keys: the first five, each cut to 40 characters, so a hostile request is not
 * echoed back at length.
 */
function unrecognized(keys: readonly string[]): string {
  const shown = keys
    .slice(0, 5)
    .map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key))
    .join(', ');
  const more = keys.length > 5 ? ` and ${keys.length - 5} more` : '';
  return `Unrecognized key${keys.length === 1 ? '' : 's'}: ${shown}${more}`;
}

/**
 * Validates path parameters, query string and body with zod; all problems at once, each naming
 * its field (`body.title`, `query.limit`). Unknown query keys and body fields are refused by the
 * schemas themselves (strict objects), so a typo is an error, not silently ignored; so is a query
 * key given twice, and any query string on a route without a query schema.
 */
export function validation(schemas: InputSchemas): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'validation',
    before: (request) => {
      const { event } = request;
      const found: FieldProblem[] = [];
      const parts = [
        ['params', schemas.params, event.pathParameters ?? {}],
        ['query', schemas.query, event.queryStringParameters ?? {}],
        ['body', schemas.body, event.parley.body],
      ] as const;
      for (const [part, , value] of parts) nulPaths(value, part, found);
      const headers = Object.entries(schemas.headers ?? {}).map(
        ([name, schema]) => [`headers.${name}`, name, schema, requestHeader(event.headers, name)] as const,
      );
      for (const [path, , , value] of headers) nulPaths(value, path, found);
      // A query key given more than once (`?role=admins&role=members`): API Gateway's
      // queryStringParameters keeps its last value only, so the request would be answered for
      // half of what it asked, silently. No route takes a list in its query: a repeat is refused.
      if (schemas.query)
        for (const [key, values] of Object.entries(event.multiValueQueryStringParameters ?? {}))
          if ((values?.length ?? 0) > 1) found.push({ path: `query.${key}`, message: 'must be given once' });
      if (found.length > 0) throw new ValidationError(found);
      for (const [part, schema, value] of parts) {
        if (!schema) {
          if (part === 'body' && value !== undefined)
            found.push({ path: 'body', message: 'this route takes no body' });
          if (part === 'query' && Object.keys(value).length > 0)
            found.push({
              path: 'query',
              message: `this route takes no query string: ${unrecognized(Object.keys(value))}`,
            });
          continue;
        }
        const result = safeParse(schema, value);
        if (result.success) event.parley[part] = result.data;
        else found.push(...problems(part, result.error));
      }
      const parsed: Record<string, unknown> = {};
      for (const [path, name, schema, value] of headers) {
        if (value === undefined) continue;
        const result = safeParse(schema, value);
        if (result.success) parsed[name] = result.data;
        else found.push(...problems(path, result.error));
      }
      if (found.length > 0) throw new ValidationError(found);
      if (schemas.headers) event.parley.headers = parsed;
    },
  };
}
