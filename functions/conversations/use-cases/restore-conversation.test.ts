import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import { fakeConversations, fakeTransaction } from '#test/support/fakes/conversations';
import { ConversationLimitError, ConversationNotFoundError } from '../domain/conversation';
import { makeDeleteConversation } from './delete-conversation';
import { makeRestoreConversation } from './restore-conversation';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const bob = { userId: 'bob', kind: 'user', role: 'members' } as const;

function setUp() {
  const conversations = fakeConversations();
  const audit = fakeAuditLog();
  const transaction = fakeTransaction(
    { conversations: conversations.repository, audit: audit.log },
    conversations.rows,
  );
  return {
    conversations,
    audit,
    remove: makeDeleteConversation({ transaction }),
    restore: makeRestoreConversation({ transaction }),
  };
}

describe('restoreConversation', () => {
  it('brings back a deleted conversation and records who did it, in which request', async () => {
    const { conversations, audit, remove, restore } = setUp();
    const mine = await conversations.repository.create('ada', 'Mine');
    await remove(ada, mine.id, 'req-1');

    const restored = await restore(ada, mine.id, 'req-2');

    expect(restored).toEqual(mine);
    expect(await conversations.repository.get('ada', mine.id)).toEqual(mine);
    expect(audit.events.at(-1)).toEqual({
      actorId: 'ada',
      action: 'conversation.restore',
      targetType: 'conversation',
      targetId: mine.id,
      requestId: 'req-2',
    });
  });

  it('refuses one not deleted and another owner’s, and audits nothing', async () => {
    const { conversations, audit, remove, restore } = setUp();
    const live = await conversations.repository.create('ada', 'Live');
    const deleted = await conversations.repository.create('ada', 'Deleted');
    await remove(ada, deleted.id, 'req-3');
    const before = audit.events.length;

    await expect(restore(ada, live.id, 'req-4')).rejects.toBeInstanceOf(ConversationNotFoundError);
    await expect(restore(bob, deleted.id, 'req-5')).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect(await conversations.repository.get('ada', deleted.id)).toBeUndefined();
    expect(audit.events).toHaveLength(before);
  });

  it('undoes the restore when the audit cannot be written', async () => {
    const { conversations, audit, remove, restore } = setUp();
    const mine = await conversations.repository.create('ada', 'Mine');
    await remove(ada, mine.id, 'req-6');
    audit.state.failing = true;

    await expect(restore(ada, mine.id, 'req-7')).rejects.toThrow('audit log unavailable');
    expect(await conversations.repository.get('ada', mine.id)).toBeUndefined();
  });

  it('records nothing when the cap on live conversations refuses the restore', async () => {
    // Prepare: the repository refuses past the cap, as PostgreSQL's does in the update
    const conversations = fakeConversations();
    const audit = fakeAuditLog();
    const limits: unknown[] = [];
    const atCap = {
      ...conversations.repository,
      restore: async (_owner: string, _id: string, limit?: { maxLive?: number }) => {
        limits.push(limit);
        throw new ConversationLimitError(limit?.maxLive ?? 0);
      },
    };
    const transaction = fakeTransaction({ conversations: atCap, audit: audit.log }, conversations.rows);

    // Act
    const refused = makeRestoreConversation({ transaction, maxLive: 2 })(ada, 'some-id', 'req-1');

    // Assess
    await expect(refused).rejects.toBeInstanceOf(ConversationLimitError);
    expect(limits).toEqual([{ maxLive: 2 }]);
    expect(audit.events).toEqual([]);
  });
});
