import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import { fakeConversations, fakeTransaction } from '#test/support/fakes/conversations';
import { ConversationNotFoundError } from '../domain/conversation';
import { makeDeleteConversation } from './delete-conversation';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const bob = { userId: 'bob', kind: 'user', role: 'members' } as const;

function setUp() {
  const conversations = fakeConversations();
  const audit = fakeAuditLog();
  const transaction = fakeTransaction(
    { conversations: conversations.repository, audit: audit.log },
    conversations.rows,
  );
  return { conversations, audit, remove: makeDeleteConversation({ transaction }) };
}

describe('deleteConversation', () => {
  it('deletes the conversation and records who did it, in which request', async () => {
    // Prepare
    const { conversations, audit, remove } = setUp();
    const mine = await conversations.repository.create('ada', 'Mine');

    // Act
    await remove(ada, mine.id, 'req-7');

    // Assess
    expect(await conversations.repository.get('ada', mine.id)).toBeUndefined();
    expect(audit.events).toEqual([
      {
        actorId: 'ada',
        action: 'conversation.delete',
        targetType: 'conversation',
        targetId: mine.id,
        requestId: 'req-7',
      },
    ]);
  });

  it("refuses another owner's conversation and audits nothing", async () => {
    const { conversations, audit, remove } = setUp();
    const mine = await conversations.repository.create('ada', 'Mine');

    await expect(remove(bob, mine.id, 'req-8')).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect(await conversations.repository.get('ada', mine.id)).toBeDefined();
    expect(audit.events).toEqual([]);
  });

  it('keeps the conversation when its audit event cannot be written (one transaction)', async () => {
    const { conversations, audit, remove } = setUp();
    const mine = await conversations.repository.create('ada', 'Mine');
    audit.state.failing = true;

    await expect(remove(ada, mine.id, 'req-9')).rejects.toThrow('audit log unavailable');
    expect(await conversations.repository.get('ada', mine.id)).toBeDefined();
  });
});
