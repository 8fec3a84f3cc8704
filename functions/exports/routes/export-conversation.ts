import { messageSchema } from '#chat/routes/schemas';
import type { ExportFile } from '#chat/use-cases/export-conversation';
import { conversationIdParams } from '#conversations/routes/schemas';
import { CHAT_ROLES } from '#shared/domain/roles';
import { acceptsGzip, gzipped } from '#shared/http/compression';
import type { ResponseProducer, RouteResult } from '#shared/http/route';
import * as z from '#shared/zod';
import { attachmentDisposition } from '../content-disposition';
import { DOWNLOADS_IN_FLIGHT_PER_OWNER, DownloadsInFlightError } from '../domain/downloads-in-flight';
import { defineRoute } from './define';

/**
 * Streamed (ResponseTransferMode.STREAM): a buffered Lambda answer stops at 6 MB, a streamed one
 * goes to 200 MB, and the function holds one page of messages at a time instead of the file.
 */
export const exportConversation = defineRoute(
  {
    id: 'conversations.export',
    method: 'GET',
    path: '/api/conversations/{id}/export',
    summary: 'Download a conversation as Markdown or JSON',
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    streaming: true,
    params: conversationIdParams,
    query: z.strictObject({
      format: z._default(z.enum(['markdown', 'json'], { message: 'must be markdown or json' }), 'markdown'),
    }),
    responses: {
      200: {
        description:
          'The file (Content-Disposition: attachment, with a file name: filename in ASCII, and filename* in UTF-8 when the title holds other letters), streamed; gzip-compressed (Content-Encoding: gzip) when Accept-Encoding takes gzip',
        contentType: 'text/markdown',
        schema: z.string(),
        // format=json: the conversation, every message oldest first, and when it was exported.
        alternative: {
          contentType: 'application/json',
          schema: z.object({
            conversation: z.object({ id: z.uuid(), title: z.string(), createdAt: z.iso.datetime() }),
            messages: z.array(messageSchema),
            exportedAt: z.iso.datetime(),
          }),
        },
      },
    },
    problems: {
      404: 'No such conversation, or not yours',
      429: `${DOWNLOADS_IN_FLIGHT_PER_OWNER} downloads of yours already in flight (Retry-After)`,
    },
  },
  async ({ caller, params, query, event, requestId }, { exportConversation, downloadSlots }) => {
    const release = await downloadSlots.take(caller.userId);
    if (!release) throw new DownloadsInFlightError(downloadSlots.perOwner);
    let file: ExportFile;
    try {
      file = await exportConversation(caller, params.id, query.format, requestId);
    } catch (error) {
      await release();
      throw error;
    }
    const download: RouteResult & { readonly stream: ResponseProducer } = {
      statusCode: 200,
      headers: {
        'Content-Type': file.contentType,
        'Content-Disposition': attachmentDisposition(file.fileName, file.title),
        Vary: 'Accept-Encoding',
      },
      body: '',
      // The slot is held until the last piece is written, the client left or a read failed.
      stream: async (write, ready) => {
        try {
          for await (const piece of file.content) {
            write(piece);
            // A slow client holds the reading back; one that left ends it.
            if (!(await ready())) return;
          }
        } finally {
          await release();
        }
      },
    };
    // Text compresses three- to fourfold: that many times further against Lambda's 200 MB and
    // the stream's 2 MB/s past its first 10 MB. Every browser asks for it.
    return acceptsGzip(event.headers) ? gzipped(download) : download;
  },
);
