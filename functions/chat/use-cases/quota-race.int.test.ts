import { describe, expect, it } from 'vitest';
import { allowingLimiter, recordingMetrics, scriptedModel } from '#test/support/fakes/chat';
import { createTestUser } from '#test/support/database';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { postgresMessages } from '../adapters/postgres-message-repository';
import { QuotaExceededError } from '../domain/message';
import type { MessageRepository } from '../ports/message-repository';
import { makeRegenerateReply } from './regenerate-reply';
import { makeSendMessage } from './send-message';
import type { ReplyDeps } from './write-reply';

/**
 * The month's tokens are read before the turn's statement (from a cache, often), and a reply of
 * the person's may end, charged, in between: the statement checks the quota again beside the
 * replies in flight, under the owner's lock. Each reply is then either counted in flight or
 * charged, so a burst passes the quota by at most CHAT_MAX_REPLIES_IN_FLIGHT replies (api.md).
 */
const { pgDb, drivers } = repositoryDrivers();

async function conversationOf(ownerId: string): Promise<string> {
  const row = await pgDb
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: DEFAULT_TITLE })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const PROMPT = { systemPrompt: '', contextBudgetTokens: 1000 };

describe.each(drivers)('a reply ending between the quota check and the turn, on %s', (_driver, database) => {
  /**
   * The person's other reply, being written in a conversation of its own, and the use cases'
   * deps with a repository that ends it, charging 150 tokens of a 100-token quota, right after
   * the use case has read the month's usage (still 0).
   */
  async function setUp() {
    const owner = await createTestUser(pgDb);
    const repo = postgresMessages(database());
    const other = await repo.startTurn({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId: await conversationOf(owner.id),
      content: 'Hi',
      model: 'gpt-4o-mini',
      titleIfFirst: 'Hi',
    });
    if (other.kind !== 'started') throw new Error('expected a started turn');
    const messages: MessageRepository = {
      ...repo,
      monthlyUsage: async (ownerId, now) => {
        const usage = await repo.monthlyUsage(ownerId, now);
        await repo.finishTurn({
          ownerId: owner.id,
          assistantId: other.assistantMessage.id,
          content: 'The other answer',
          status: 'complete',
          model: 'gpt-4o-mini',
          promptTokens: 100,
          completionTokens: 50,
          costMicros: 0,
        });
        return usage;
      },
    };
    const { model, requests } = scriptedModel({ events: [{ type: 'delta', text: 'Hello' }] });
    const { metrics, recorded } = recordingMetrics();
    const deps: ReplyDeps = {
      messages,
      model,
      limiter: allowingLimiter(),
      metrics,
      roleQuota: () => 100,
      contextBudgetTokens: 1000,
      systemPrompt: '',
      maxRepliesInFlight: 1,
    };
    const caller = { userId: owner.id, kind: 'user', role: 'members' } as const;
    return { owner, repo, deps, caller, requests, recorded };
  }

  it('refuses the send with 429 quota, storing nothing and calling no model', async () => {
    // Prepare
    const { repo, deps, caller, requests, recorded } = await setUp();
    const conversationId = await conversationOf(caller.userId);

    // Act
    const refused = await makeSendMessage(deps)(caller, { conversationId, content: 'Hi' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ status: 429 });
    expect((refused as Error).message).toMatch(/monthly quota of 100 tokens/);
    expect((await repo.list(caller.userId, conversationId, { limit: 10 }))?.items).toEqual([]);
    expect(requests).toHaveLength(0);
    expect(recorded).toContain('rejected:quota');
  });

  it('refuses the regeneration with 429 quota, leaving the reply as it was', async () => {
    // Prepare: a complete reply to write again
    const { repo, deps, caller, requests } = await setUp();
    const conversationId = await conversationOf(caller.userId);
    const first = await repo.startTurn({
      prompt: PROMPT,
      ownerId: caller.userId,
      conversationId,
      content: 'Hi',
      model: 'gpt-4o-mini',
      titleIfFirst: 'Hi',
    });
    if (first.kind !== 'started') throw new Error('expected a started turn');
    await pgDb
      .updateTable('messages')
      .set({ status: 'complete', content: 'The first answer' })
      .where('id', '=', first.assistantMessage.id)
      .execute();

    // Act
    const refused = await makeRegenerateReply(deps)(caller, {
      conversationId,
      replyId: first.assistantMessage.id,
    }).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(QuotaExceededError);
    const reply = await pgDb
      .selectFrom('messages')
      .select(['status', 'content'])
      .where('id', '=', first.assistantMessage.id)
      .executeTakeFirstOrThrow();
    expect(reply).toEqual({ status: 'complete', content: 'The first answer' });
    expect(requests).toHaveLength(0);
  });
});
