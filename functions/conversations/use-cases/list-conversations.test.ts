import { describe, expect, it } from 'vitest';
import { fakeConversations } from '#test/support/fakes/conversations';
import { decodeCursor } from '#shared/pagination/cursor';
import { makeListConversations } from './list-conversations';

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;

describe('listConversations', () => {
  it("pages through the caller's conversations only, newest first", async () => {
    // Prepare
    let tick = 0;
    const { repository } = fakeConversations(() => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)));
    for (const title of ['one', 'two', 'three']) await repository.create('ada', title);
    await repository.create('bob', 'not yours');
    const list = makeListConversations({ conversations: repository });

    // Act
    const first = await list(ada, { limit: 2 });
    const cursor = first.nextCursor ? decodeCursor(first.nextCursor) : undefined;
    const second = await list(ada, { limit: 2, cursor });

    // Assess
    expect(first.items.map((c) => c.title)).toEqual(['three', 'two']);
    expect(second.items.map((c) => c.title)).toEqual(['one']);
    expect(second.nextCursor).toBeNull();
  });

  it('filters by a title fragment, ignoring case', async () => {
    const { repository } = fakeConversations();
    await repository.create('ada', 'Lisbon trip');
    await repository.create('ada', 'Taxes');

    const page = await makeListConversations({ conversations: repository })(ada, { limit: 10, q: 'LISBON' });

    expect(page.items.map((c) => c.title)).toEqual(['Lisbon trip']);
  });
});
