import { describe, expect, it } from 'vitest';
import { ConversationNotFoundError } from '#conversations/domain/conversation';
import { fakeMessages } from '#test/support/fakes/chat';
import { makeListMessages } from './list-messages';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;

describe('listMessages', () => {
  it("returns the page the repository finds for the caller's conversation", async () => {
    // Prepare
    const messages = fakeMessages();
    const page = { items: [], nextCursor: null };
    messages.repository.list = async (ownerId, conversationId, options) => {
      expect([ownerId, conversationId, options.limit]).toEqual(['ada', 'c1', 5]);
      return page;
    };

    // Act
    const result = await makeListMessages({ messages: messages.repository })(ada, 'c1', { limit: 5 });

    // Assess
    expect(result).toBe(page);
  });

  it('answers not found when the conversation is not the caller’s', async () => {
    const messages = fakeMessages();
    messages.repository.list = async () => undefined;

    await expect(
      makeListMessages({ messages: messages.repository })(ada, 'c1', { limit: 5 }),
    ).rejects.toBeInstanceOf(ConversationNotFoundError);
  });
});
