import type middy from '@middy/core';
import type * as z from 'zod';
import { ValidationError, type FieldProblem } from '../errors';
import type { ApiEvent, ApiResult } from './types';

export interface InputSchemas {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
}

function problems(part: 'params' | 'query' | 'body', error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * Validates path parameters, query string and body with zod; all problems at once, each naming
 * its field (`body.title`, `query.limit`). Unknown query keys and body fields are refused by the
 * schemas themselves (strict objects), so a typo is an error, not silently ignored.
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
      for (const [part, schema, value] of parts) {
        if (!schema) {
          if (part === 'body' && value !== undefined)
            found.push({ path: 'body', message: 'this route takes no body' });
          continue;
        }
        const result = schema.safeParse(value);
        if (result.success) event.parley[part] = result.data;
        else found.push(...problems(part, result.error));
      }
      if (found.length > 0) throw new ValidationError(found);
    },
  };
}
