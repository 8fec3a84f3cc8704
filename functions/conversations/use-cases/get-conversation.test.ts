import { describe, expect, it } from 'vitest';
import { fakeConversations } from '#test/support/fakes/conversations';
import { ConversationNotFoundError } from '../domain/conversation';
import { makeGetConversation } from './get-conversation';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const bob = { userId: 'bob', kind: 'user', role: 'members' } as const;

describe('getConversation', () => {
  it("returns the caller's own conversation", async () => {
    // Prepare
    const { repository } = fakeConversations();
    const mine = await repository.create('ada', 'Mine');

    // Act
    const found = await makeGetConversation({ conversations: repository })(ada, mine.id);

    // Assess
    expect(found).toEqual(mine);
  });

  it("answers not found for another owner's conversation, as for a missing one", async () => {
    const { repository } = fakeConversations();
    const mine = await repository.create('ada', 'Mine');
    const get = makeGetConversation({ conversations: repository });

    await expect(get(bob, mine.id)).rejects.toBeInstanceOf(ConversationNotFoundError);
    await expect(get(ada, '00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
  });
});
