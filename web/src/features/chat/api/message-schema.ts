import * as z from 'zod/mini';

/** A stored message, as the messages list and the `message`/`done`/`error` events carry it. */
export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  /** `streaming`: the reply is still being written (also after the client stopped listening). */
  status: z.enum(['complete', 'streaming', 'failed']),
  model: z.nullable(z.string()),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  error: z.nullable(z.string()),
  createdAt: z.string(),
});

export type Message = z.infer<typeof messageSchema>;
