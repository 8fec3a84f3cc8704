import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '#shared/cache/cache';
import { memoryCache } from '#shared/cache/memory-cache';
import { forgetMonthlyUsage } from '#shared/cache/monthly-usage';
import { parseRedisUrl, RespClient } from '#shared/cache/resp-client';
import { valkeyCache } from '#shared/cache/valkey-cache';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { recordingMetrics } from '#test/support/fakes/chat';
import { promptSettingsOf } from '../domain/system-prompt';
import type { TurnRepository } from '../ports/message-repository';
import { withCachedMonthlyUsage } from './cached-monthly-usage';
import { postgresTurns } from './postgres-messages';

/**
 * The month's usage the chat checks before every message comes from the cache. Readers and the
 * writers that refresh it after a charge (or a quota change) run at once, for one person sending
 * from several tabs or clients: whichever order their reads and writes land in, the next check
 * sees every charge that committed and the quota as it is now, never an older figure put back
 * over a newer one (which let a person past their quota until the entry expired, a minute on).
 * Real PostgreSQL, and real Redis with REDIS_URL (keys under a prefix of their own, never a flush).
 */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });
const db = testDatabase();
const sqlDb = testSql();
const prefix = `t:${randomUUID()}:`;
const redisUrl = process.env.REDIS_URL;

afterAll(async () => {
  await sqlDb.destroy();
  await db.destroy();
});

interface Held {
  /** Resolves once the held read has its answer from the database. */
  readonly read: Promise<void>;
  /** Lets the held read go on, to the cache. */
  readonly release: () => void;
}

/** The chat's turns on PostgreSQL, whose next usage read can be held between the database and the cache. */
function heldTurns(): { readonly turns: TurnRepository; readonly holdNextRead: () => Held } {
  const real = postgresTurns(sqlDb);
  let gate: { readonly read: () => void; readonly release: Promise<void> } | undefined;
  return {
    turns: {
      ...real,
      async monthlyUsage(ownerId, at) {
        const usage = await real.monthlyUsage(ownerId, at);
        const held = gate;
        gate = undefined;
        if (held) {
          held.read();
          await held.release;
        }
        return usage;
      },
    },
    holdNextRead() {
      let read!: () => void;
      let release!: () => void;
      const readDone = new Promise<void>((resolve) => (read = resolve));
      gate = { read, release: new Promise<void>((resolve) => (release = resolve)) };
      return { read: readDone, release };
    },
  };
}

const caches: [string, () => Cache][] = [['the in-process cache', () => memoryCache()]];
if (redisUrl) caches.push(['Redis', () => valkeyCache({ url: redisUrl, keyPrefix: prefix })]);

describe.each(caches)('the cached monthly usage under concurrent requests, on %s', (_name, makeCache) => {
  let cache: Cache;
  beforeAll(() => {
    cache = makeCache();
  });
  afterAll(async () => {
    await cache.close();
    if (!redisUrl) return;
    const raw = new RespClient({ endpoint: parseRedisUrl(redisUrl), commandTimeoutMs: 5_000 });
    const keys = (await raw.command('KEYS', `${prefix}*`)) as string[];
    if (keys.length > 0) await raw.command('DEL', ...keys);
    await raw.close();
  });

  async function setUp(quota: number) {
    const owner = await createTestUser(db, { monthly_token_quota: quota });
    const { turns, holdNextRead } = heldTurns();
    const usage = withCachedMonthlyUsage(turns, () => cache, recordingMetrics().metrics);
    /** A reply being written in a conversation of its own, as parallel tabs have. */
    const startReply = async () => {
      const conversation = await db
        .insertInto('conversations')
        .values({ owner_id: owner.id, title: DEFAULT_TITLE })
        .returning('id')
        .executeTakeFirstOrThrow();
      const turn = await usage.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId: conversation.id,
        content: 'Write me a story',
        model: 'gpt-4o-mini',
        titleIfFirst: 'A story',
      });
      if (turn.kind !== 'started') throw new Error('expected a new turn');
      return turn.assistantMessage.id;
    };
    /** The reply's end: `tokens` charged to this month, and the cached usage refreshed. */
    const finish = (assistantId: string, tokens: number) =>
      usage.finishTurn({
        ownerId: owner.id,
        assistantId,
        content: 'Once upon a time',
        status: 'complete',
        model: 'gpt-4o-mini',
        promptTokens: tokens,
        completionTokens: 0,
        costMicros: 0,
      });
    const check = () => usage.monthlyUsage(owner.id, new Date());
    return { owner, holdNextRead, startReply, finish, check };
  }

  it("keeps a reply's charge when a check that read the database before it fills the cache after it", async () => {
    // Prepare: a reply being written, nothing used yet and nothing cached
    const { holdNextRead, startReply, finish, check } = await setUp(100);
    const reply = await startReply();

    // Act: a check reads 0 from the database; the reply ends (150 tokens) before it fills the cache
    const held = holdNextRead();
    const reading = check();
    await held.read;
    await finish(reply, 150);
    held.release();
    expect((await reading).used).toBe(0);

    // Assess: the next check sees the charge, and with it a spent quota
    expect(await check()).toEqual({ used: 150, quota: 100 });
  });

  it('keeps both charges when two replies end at once', async () => {
    // Prepare: two replies being written, in two conversations
    const { startReply, finish, check, holdNextRead } = await setUp(1000);
    const [first, second] = [await startReply(), await startReply()];

    // Act: the first reply's refresh reads 100 from the database; the second ends before it writes
    const held = holdNextRead();
    const ending = finish(first, 100);
    await held.read;
    await finish(second, 100);
    held.release();
    await ending;

    // Assess
    expect(await check()).toEqual({ used: 200, quota: 1000 });
  });

  it("shows an admin's quota change made while a reply ends on the next check", async () => {
    // Prepare: a reply being written under a quota of 1,000
    const { owner, startReply, finish, check, holdNextRead } = await setUp(1000);
    const reply = await startReply();

    // Act: the reply's refresh reads the old quota; an admin lowers it to 50 before the refresh writes
    const held = holdNextRead();
    const ending = finish(reply, 100);
    await held.read;
    await db.updateTable('users').set({ monthly_token_quota: 50 }).where('id', '=', owner.id).execute();
    await forgetMonthlyUsage(cache, owner.id, new Date());
    held.release();
    await ending;

    // Assess
    expect(await check()).toEqual({ used: 100, quota: 50 });
  });
});

describe.each(caches)(
  'the cached monthly usage after a charge made while starting a reply, on %s',
  (_name, makeCache) => {
    let cache: Cache;
    beforeAll(() => {
      cache = makeCache();
    });
    afterAll(() => cache.close());

    /**
     * A person under a quota of 100 tokens, their usage checked (and cached) while nothing is
     * charged, and a conversation whose last reply was left `streaming` 10 minutes ago by a function
     * that died, 2,000 characters kept: the turn or regeneration that finds it charges it (well
     * over 100 tokens by estimate).
     */
    async function setUp() {
      const owner = await createTestUser(db, { monthly_token_quota: 100 });
      const usage = withCachedMonthlyUsage(postgresTurns(sqlDb), () => cache, recordingMetrics().metrics);
      const { id: conversationId } = await db
        .insertInto('conversations')
        .values({ owner_id: owner.id, title: DEFAULT_TITLE, message_count: 2 })
        .returning('id')
        .executeTakeFirstOrThrow();
      const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
      const { id: replyId } = await db
        .insertInto('messages')
        .values({
          conversation_id: conversationId,
          owner_id: owner.id,
          role: 'user',
          content: 'Write me a long story',
          status: 'complete',
          created_at: new Date(tenMinutesAgo.getTime() - 1000),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
        .then(() =>
          db
            .insertInto('messages')
            .values({
              conversation_id: conversationId,
              owner_id: owner.id,
              role: 'assistant',
              content: 'a'.repeat(2000),
              status: 'streaming',
              model: 'gpt-4o-mini',
              created_at: tenMinutesAgo,
              updated_at: tenMinutesAgo,
            })
            .returning('id')
            .executeTakeFirstOrThrow(),
        );
      const check = () => usage.monthlyUsage(owner.id, new Date());
      expect(await check()).toEqual({ used: 0, quota: 100 });
      return { owner, usage, conversationId, replyId, check };
    }

    it('shows the abandoned reply a new turn charged on the next check', async () => {
      // Prepare
      const { owner, usage, conversationId, check } = await setUp();

      // Act: the next message marks the abandoned reply failed and charges it
      const turn = await usage.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'Are you there?',
        model: 'gpt-4o-mini',
        titleIfFirst: 'A title',
      });

      // Assess: the charge is in the database, and the next check sees it (over the quota)
      expect(turn.kind).toBe('started');
      const charged = await db
        .selectFrom('usage_daily')
        .select((eb) => eb.fn.sum<string>(eb('prompt_tokens', '+', eb.ref('completion_tokens'))).as('used'))
        .where('user_id', '=', owner.id)
        .executeTakeFirstOrThrow();
      expect(Number(charged.used)).toBeGreaterThan(100);
      expect(await check()).toEqual({ used: Number(charged.used), quota: 100 });
    });

    it('shows the abandoned reply a regeneration charged on the next check', async () => {
      // Prepare
      const { owner, usage, conversationId, replyId, check } = await setUp();

      // Act: writing the abandoned reply again charges what it had cost
      await usage.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId,
        model: 'gpt-4o-mini',
      });

      // Assess
      const charged = await db
        .selectFrom('usage_daily')
        .select((eb) => eb.fn.sum<string>(eb('prompt_tokens', '+', eb.ref('completion_tokens'))).as('used'))
        .where('user_id', '=', owner.id)
        .executeTakeFirstOrThrow();
      expect(Number(charged.used)).toBeGreaterThan(100);
      expect(await check()).toEqual({ used: Number(charged.used), quota: 100 });
    });
  },
);
