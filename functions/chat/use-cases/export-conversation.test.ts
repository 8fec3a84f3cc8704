import { describe, expect, it } from 'vitest';
import { ConversationNotFoundError } from '#conversations/domain/conversation';
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
  createdAt: '2026-12-01T10:00:00.000000Z',
});

function setUp() {
  const messages = fakeMessages();
  messages.repository.exportConversation = async (ownerId) =>
    ownerId === 'ada'
      ? {
          conversation: {
            id: 'c1',
            title: 'Trip to Lisbon: day 1 / plans!',
            createdAt: '2026-12-01T09:00:00.000000Z',
          },
          messages: [message('user', 'Where to eat?'), message('assistant', 'Try **bacalhau**.', 'failed')],
        }
      : undefined;
  return makeExportConversation({
    messages: messages.repository,
    now: () => new Date('2026-12-02T00:00:00Z'),
  });
}

describe('exportConversation', () => {
  it('exports Markdown with a heading per message and a safe file name', async () => {
    const file = await setUp()(ada, 'c1', 'markdown');

    expect(file.fileName).toBe('trip-to-lisbon-day-1-plans.md');
    expect(file.contentType).toBe('text/markdown; charset=utf-8');
    expect(file.content).toContain('# Trip to Lisbon: day 1 / plans!');
    expect(file.content).toContain('## You · 2026-12-01T10:00:00.000000Z');
    expect(file.content).toContain('Try **bacalhau**.');
    expect(file.content).toContain('> This reply failed: The AI model could not answer.');
  });

  it('exports JSON with the messages and the time of export', async () => {
    const file = await setUp()(ada, 'c1', 'json');

    expect(file.fileName).toBe('trip-to-lisbon-day-1-plans.json');
    const document = JSON.parse(file.content) as { messages: Message[]; exportedAt: string };
    expect(document.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(document.exportedAt).toBe('2026-12-02T00:00:00.000Z');
  });

  it("answers not found for another user's conversation", async () => {
    await expect(setUp()({ ...ada, userId: 'bob' }, 'c1', 'json')).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
  });
});
