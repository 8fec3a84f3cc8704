import { describe, expect, it } from 'vitest';
import { fakeMessages } from '#test/support/fakes/chat';
import { makeSearchMessages } from './search-messages';

describe('searchMessages', () => {
  it("searches the caller's own messages only, passing the query and page through", async () => {
    // Prepare
    const messages = fakeMessages();
    const asked: unknown[] = [];
    messages.repository.search = async (ownerId, options) => {
      asked.push([ownerId, options]);
      return { items: [], nextCursor: null };
    };

    // Act
    await makeSearchMessages({ messages: messages.repository })(
      { userId: 'ada', kind: 'user', role: 'admins' },
      { q: 'nata', limit: 10 },
    );

    // Assess
    expect(asked).toEqual([['ada', { q: 'nata', limit: 10 }]]);
  });
});
