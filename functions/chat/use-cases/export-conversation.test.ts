import { describe, expect, it } from 'vitest';
import { ConversationNotFoundError } from '#conversations/domain/conversation';
import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { fakeMessages } from '#test/support/fakes/chat';
import type { Message } from '../domain/message';
import { makeExportConversation } from './export-conversation';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const message = (
  role: 'user' | 'assistant',
  content: string,
  status: Message['status'] = 'complete',
): Message => ({
  id: `${role}-1`,
  conversationId: 'c1',
  role,
  content,
  status,
  model: role === 'assistant' ? 'gpt-4o-mini' : null,
  usage: { promptTokens: 0, completionTokens: 0 },
  error: status === 'failed' ? 'The AI model could not answer.' : null,
  stopped: false,
  truncated: false,
  createdAt: '2026-12-01T10:00:00.000000Z',
});

function setUp() {
  const messages = fakeMessages();
  const pagesRead: string[] = [];
  async function* pages() {
    pagesRead.push('first');
    yield [message('user', 'Where to eat?')];
    pagesRead.push('second');
    yield [message('assistant', 'Try **bacalhau**.', 'failed')];
  }
  messages.repository.exportConversation = async (ownerId) =>
    ownerId === 'ada'
      ? {
          conversation: {
            id: 'c1',
            title: 'Trip to Lisbon: day 1 / plans!',
            createdAt: '2026-12-01T09:00:00.000000Z',
          },
          messageCount: 2,
          pages: pages(),
        }
      : undefined;
  const audit = fakeAuditLog();
  const exportConversation = makeExportConversation({
    messages: messages.repository,
    audit: audit.log,
    now: () => new Date('2026-12-02T00:00:00Z'),
  });
  return Object.assign(exportConversation, { audited: audit.events, pagesRead });
}

async function text(pieces: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const piece of pieces) all += piece;
  return all;
}

describe('exportConversation', () => {
  it('exports Markdown with a heading per message and a safe file name', async () => {
    const file = await setUp()(ada, 'c1', 'markdown');
    const content = await text(file.content);

    expect(file.fileName).toBe('trip-to-lisbon-day-1-plans.md');
    expect(file.contentType).toBe('text/markdown; charset=utf-8');
    expect(content).toContain('# Trip to Lisbon: day 1 / plans!');
    expect(content).toContain('## You · 2026-12-01T10:00:00.000000Z');
    expect(content).toContain('Try **bacalhau**.');
    expect(content).toContain('> This reply failed: The AI model could not answer.');
  });

  it('audits the export with its format and size, never its content', async () => {
    const exportConversation = setUp();

    await exportConversation(ada, 'c1', 'json', 'req-5');

    expect(exportConversation.audited).toEqual([
      {
        actorId: 'ada',
        action: 'conversation.export',
        targetType: 'conversation',
        targetId: 'c1',
        requestId: 'req-5',
        details: { format: 'json', messages: 2 },
      },
    ]);
  });

  it('exports JSON with the messages and the time of export', async () => {
    const file = await setUp()(ada, 'c1', 'json');

    expect(file.fileName).toBe('trip-to-lisbon-day-1-plans.json');
    const document = JSON.parse(await text(file.content)) as { messages: Message[]; exportedAt: string };
    expect(document.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(document.exportedAt).toBe('2026-12-02T00:00:00.000Z');
  });

  it('reads no message before the file is consumed, then every page once', async () => {
    const exportConversation = setUp();

    const file = await exportConversation(ada, 'c1', 'markdown');
    expect(exportConversation.pagesRead).toEqual([]);
    await text(file.content);

    expect(exportConversation.pagesRead).toEqual(['first', 'second']);
  });

  it("answers not found for another user's conversation", async () => {
    await expect(setUp()({ ...ada, userId: 'bob' }, 'c1', 'json')).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
  });
});
