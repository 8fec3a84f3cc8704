import { CHAT_ROLES } from '#shared/domain/roles';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { conversationIdParams } from './schemas';

export const exportConversation = defineRoute(
  {
    id: 'conversations.export',
    method: 'GET',
    path: '/api/conversations/{id}/export',
    summary: 'Download a conversation as Markdown or JSON',
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    params: conversationIdParams,
    query: z.strictObject({
      format: z._default(z.enum(['markdown', 'json'], { message: 'must be markdown or json' }), 'markdown'),
    }),
    responses: {
      200: {
        description: 'The file (Content-Disposition: attachment, with a file name)',
        contentType: 'text/markdown',
        schema: z.string(),
      },
    },
    problems: { 404: 'No such conversation, or not yours' },
  },
  async ({ caller, params, query, requestId }, { exportConversation }) => {
    const file = await exportConversation(caller, params.id, query.format, requestId);
    return {
      statusCode: 200,
      headers: {
        'Content-Type': file.contentType,
        // The name is ours (letters, digits, dashes), so it needs no quoting beyond this.
        'Content-Disposition': `attachment; filename="${file.fileName}"`,
      },
      body: file.content,
    };
  },
);
