import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { messageSchema } from '@/features/chat/api/message-schema';
import type { Message } from '@/features/chat/api/message-schema';

export const messagePageSchema = z.object({
  items: z.array(messageSchema),
  nextCursor: z.nullable(z.string()),
});

export type MessagePage = z.infer<typeof messagePageSchema>;

/** The API's largest page: a whole conversation usually arrives in one request. */
export const MESSAGES_PAGE_SIZE = 200;

/** One page of a conversation's messages, oldest first. */
export function getMessages(
  api: ApiClient,
  conversationId: string,
  input: { readonly limit?: number; readonly cursor?: string } = {},
  signal?: AbortSignal,
): Promise<MessagePage> {
  return api.request(`/conversations/${encodeURIComponent(conversationId)}/messages`, messagePageSchema, {
    query: { limit: input.limit, cursor: input.cursor },
    signal,
  });
}

/**
 * One message, as the list shows it: what the view reads while it follows a reply written
 * elsewhere, instead of the whole conversation each time. 404 once it is gone.
 */
export function getMessage(
  api: ApiClient,
  conversationId: string,
  messageId: string,
  signal?: AbortSignal,
): Promise<Message> {
  return api.request(
    `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`,
    messageSchema,
    { signal },
  );
}

/**
 * Every message of a conversation, oldest first, page after page: the view shows the latest
 * messages at the bottom, and a link to one message must find it wherever it is.
 */
export async function getAllMessages(
  api: ApiClient,
  conversationId: string,
  signal?: AbortSignal,
): Promise<Message[]> {
  const messages: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await getMessages(api, conversationId, { limit: MESSAGES_PAGE_SIZE, cursor }, signal);
    messages.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return messages;
}
