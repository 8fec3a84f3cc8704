import { describe, expect, it } from 'vitest';
import { fakeConversations } from '#test/support/fakes/conversations';
import { ConversationLimitError, DEFAULT_TITLE } from '../domain/conversation';
import { makeCreateConversation } from './create-conversation';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;

describe('createConversation', () => {
  it('starts a conversation owned by the caller with the given title', async () => {
    // Prepare
    const { repository, rows } = fakeConversations();
    const create = makeCreateConversation({ conversations: repository });

    // Act
    const conversation = await create(ada, { title: 'Trip to Lisbon' });

    // Assess
    expect(conversation).toMatchObject({ title: 'Trip to Lisbon', messageCount: 0 });
    expect(rows).toEqual([expect.objectContaining({ id: conversation.id, ownerId: 'ada' })]);
  });

  it('names an untitled conversation with the default title', async () => {
    const { repository } = fakeConversations();

    const conversation = await makeCreateConversation({ conversations: repository })(ada, {});

    expect(conversation.title).toBe(DEFAULT_TITLE);
  });

  it('asks the repository for the cap on live conversations, and passes its refusal on', async () => {
    // Prepare: a repository at the cap, as PostgreSQL's refuses in the insert
    const { repository } = fakeConversations();
    const limits: unknown[] = [];
    const atCap = {
      ...repository,
      create: async (_owner: string, _title: string, limit?: { maxLive?: number }) => {
        limits.push(limit);
        throw new ConversationLimitError(limit?.maxLive ?? 0);
      },
    };

    // Act
    const refused = makeCreateConversation({ conversations: atCap, maxLive: 3 })(ada, {});

    // Assess
    await expect(refused).rejects.toThrow('You have reached the limit of 3 conversations');
    expect(limits).toEqual([{ maxLive: 3 }]);
  });
});
