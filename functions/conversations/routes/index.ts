import { createConversation } from './create-conversation';
import { deleteConversation } from './delete-conversation';
import { getConversation } from './get-conversation';
import { getMessage } from './get-message';
import { giveFeedback } from './give-feedback';
import { listConversations } from './list-conversations';
import { listMessages } from './list-messages';
import { renameConversation } from './rename-conversation';
import { restoreConversation } from './restore-conversation';
import { searchMessages } from './search-messages';
import { stopReply } from './stop-reply';
import { withdrawFeedback } from './withdraw-feedback';

/** The conversations group: one Lambda function serves exactly these. */
export const conversationRoutes = [
  listConversations,
  createConversation,
  getConversation,
  renameConversation,
  deleteConversation,
  restoreConversation,
  listMessages,
  getMessage,
  stopReply,
  searchMessages,
  giveFeedback,
  withdrawFeedback,
] as const;
