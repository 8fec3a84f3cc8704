import { createConversation } from './create-conversation';
import { deleteConversation } from './delete-conversation';
import { getConversation } from './get-conversation';
import { listConversations } from './list-conversations';
import { renameConversation } from './rename-conversation';

/** The conversations group: one Lambda function serves exactly these. */
export const conversationRoutes = [
  listConversations,
  createConversation,
  getConversation,
  renameConversation,
  deleteConversation,
] as const;
