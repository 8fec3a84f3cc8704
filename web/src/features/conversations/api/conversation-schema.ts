import * as z from 'zod/mini';

/** A conversation as the API lists and creates it. */
export const conversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  messageCount: z.int().check(z.nonnegative()),
});

export type Conversation = z.infer<typeof conversationSchema>;
