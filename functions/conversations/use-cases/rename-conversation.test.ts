import { describe, expect, it } from 'vitest';
import { fakeConversations } from '#test/support/fakes/conversations';
import { ConversationNotFoundError } from '../domain/conversation';
import { makeRenameConversation } from './rename-conversation';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const bob = { userId: 'bob', kind: 'user', role: 'admins' } as const;

describe('renameConversation', () => {
  it("renames the caller's conversation", async () => {
    // Prepare
    const { repository } = fakeConversations();
    const mine = await repository.create('ada', 'Old');

    // Act
    const renamed = await makeRenameConversation({ conversations: repository })(ada, mine.id, 'New');

    // Assess
    expect(renamed).toMatchObject({ id: mine.id, title: 'New' });
    expect((await repository.get('ada', mine.id))?.title).toBe('New');
  });

  it("refuses another owner's conversation, even for an admin, and leaves it unchanged", async () => {
    const { repository } = fakeConversations();
    const mine = await repository.create('ada', 'Old');

    await expect(
      makeRenameConversation({ conversations: repository })(bob, mine.id, 'Taken'),
    ).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect((await repository.get('ada', mine.id))?.title).toBe('Old');
  });
});
