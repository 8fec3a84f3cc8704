import { createConversation } from './create-conversation';
import { deleteConversation } from './delete-conversation';
import { exportConversation } from './export-conversation';
import { getConversation } from './get-conversation';
import { listConversations } from './list-conversations';
import { listMessages } from './list-messages';
import { renameConversation } from './rename-conversation';
import { restoreConversation } from './restore-conversation';
import { searchMessages } from './search-messages';

/** The conversations group: one Lambda function serves exactly these. */
export const conversationRoutes = [
  listConversations,
  createConversation,
  getConversation,
  renameConversation,
  deleteConversation,
  restoreConversation,
  listMessages,
  exportConversation,
  searchMessages,
] as const;
