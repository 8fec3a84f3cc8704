import * as z from '../zod';

/**
 * An `application/problem+json` body as `problemFor` writes it (problem.ts): the schema the
 * OpenAPI document declares for every error, and for the `error` event of a streamed reply.
 */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});
