import { recordAudit } from '../../shared/audit/record-audit';
import { getDatabase } from '../../shared/db/database';
import { apiHandler } from '../../shared/http/api-handler';
import { created, noContent, ok } from '../../shared/http/responses';
import { routeGroup } from '../../shared/http/router';
import { postgresConversations } from '../adapters/postgres-conversations';
import {
  conversationIdParams,
  createConversationBody,
  listConversationsQuery,
  renameConversationBody,
} from '../domain/conversation';
import { makeCreateConversation } from '../use-cases/create-conversation';
import { makeDeleteConversation } from '../use-cases/delete-conversation';
import { makeGetConversation } from '../use-cases/get-conversation';
import { makeListConversations } from '../use-cases/list-conversations';
import { makeRenameConversation } from '../use-cases/rename-conversation';

const conversations = postgresConversations(getDatabase());
const audit = (event: Parameters<typeof recordAudit>[1]) => recordAudit(getDatabase(), event);

const createConversation = makeCreateConversation({ conversations });
const listConversations = makeListConversations({ conversations });
const getConversation = makeGetConversation({ conversations });
const renameConversation = makeRenameConversation({ conversations });
const deleteConversation = makeDeleteConversation({ conversations, audit });

export const handler = routeGroup('conversations', {
  'conversations.list': apiHandler(
    { route: 'conversations.list', query: listConversationsQuery },
    async ({ auth, query }) => ok(await listConversations(auth, query)),
  ),
  'conversations.create': apiHandler(
    { route: 'conversations.create', body: createConversationBody },
    async ({ auth, body }) => created(await createConversation(auth, body)),
  ),
  'conversations.get': apiHandler(
    { route: 'conversations.get', params: conversationIdParams },
    async ({ auth, params }) => ok(await getConversation(auth, params.id)),
  ),
  'conversations.rename': apiHandler(
    { route: 'conversations.rename', params: conversationIdParams, body: renameConversationBody },
    async ({ auth, params, body }) => ok(await renameConversation(auth, params.id, body.title)),
  ),
  'conversations.delete': apiHandler(
    { route: 'conversations.delete', params: conversationIdParams },
    async ({ auth, params, requestId }) => {
      await deleteConversation(auth, params.id, requestId);
      return noContent();
    },
  ),
});
