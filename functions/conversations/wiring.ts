import { postgresMessages } from '#chat/adapters/postgres-message-repository';
import { makeGetMessage } from '#chat/use-cases/get-message';
import { makeListMessages } from '#chat/use-cases/list-messages';
import { makeSearchMessages } from '#chat/use-cases/search-messages';
import { makeStopReply } from '#chat/use-cases/stop-reply';
import { postgresFeedback } from '#feedback/adapters/postgres-feedback';
import { makeGiveFeedback } from '#feedback/use-cases/give-feedback';
import { makeWithdrawFeedback } from '#feedback/use-cases/withdraw-feedback';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getConfig } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { postgresConversations } from './adapters/postgres-conversations';
import type { ConversationTransaction } from './ports/conversation-repository';
import { makeCreateConversation } from './use-cases/create-conversation';
import { makeDeleteConversation } from './use-cases/delete-conversation';
import { makeGetConversation } from './use-cases/get-conversation';
import { makeListConversations } from './use-cases/list-conversations';
import { makeRenameConversation } from './use-cases/rename-conversation';
import { makeRestoreConversation } from './use-cases/restore-conversation';

/** The conversations group's use cases on PostgreSQL (built once, on the first request). */
export function conversationDeps() {
  const db = getSql();
  const maxLive = getConfig().CONVERSATIONS_MAX_PER_PERSON;
  const conversations = postgresConversations(db);
  const transaction: ConversationTransaction = (work) =>
    db.transaction((tx) => work({ conversations: postgresConversations(tx), audit: postgresAuditLog(tx) }));
  const messages = postgresMessages(db);
  const feedback = postgresFeedback(db);
  return {
    listMessages: makeListMessages({ messages }),
    getMessage: makeGetMessage({ messages }),
    searchMessages: makeSearchMessages({ messages }),
    stopReply: makeStopReply({ messages }),
    createConversation: makeCreateConversation({ conversations, maxLive }),
    listConversations: makeListConversations({ conversations }),
    getConversation: makeGetConversation({ conversations }),
    renameConversation: makeRenameConversation({ conversations }),
    deleteConversation: makeDeleteConversation({ transaction }),
    restoreConversation: makeRestoreConversation({ transaction, maxLive }),
    giveFeedback: makeGiveFeedback({ feedback }),
    withdrawFeedback: makeWithdrawFeedback({ feedback }),
  };
}

export type ConversationDeps = ReturnType<typeof conversationDeps>;
