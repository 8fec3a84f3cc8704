import { describe, expect, it } from 'vitest';
import type { Cache } from '#shared/cache/cache';
import { monthlyUsageKey } from '#shared/cache/keys';
import { memoryCache } from '#shared/cache/memory-cache';
import { fakeMessages, recordingMetrics } from '#test/support/fakes/chat';
import { withCachedMonthlyUsage } from './cached-monthly-usage';
import { promptSettingsOf } from '../domain/system-prompt';
import type { TurnRepository } from '../ports/message-repository';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

const NOW = new Date('2026-12-15T10:00:00Z');

const TURN = {
  prompt: PROMPT,
  ownerId: 'ada',
  conversationId: 'c1',
  content: 'hi',
  model: 'm',
  titleIfFirst: 'hi',
};

function setUp(cache: Cache = memoryCache()) {
  const messages = fakeMessages({ used: 40, quota: 1000 });
  let reads = 0;
  let failing = false;
  // What the database holds this month: a charged reply adds 2 tokens.
  const usage = { used: 40 };
  const monthlyUsage = messages.repository.monthlyUsage;
  messages.repository.monthlyUsage = async (ownerId, at) => {
    reads += 1;
    if (failing) throw new Error('database unreachable');
    return { ...(await monthlyUsage(ownerId, at)), used: usage.used };
  };
  const finishTurn = messages.repository.finishTurn;
  messages.repository.finishTurn = async (input) => {
    usage.used += input.promptTokens + input.completionTokens;
    return finishTurn(input);
  };
  const { metrics, recorded } = recordingMetrics();
  const repository = withCachedMonthlyUsage(
    messages.repository,
    () => cache,
    metrics,
    () => NOW,
  );
  return {
    repository,
    recorded,
    usage,
    reads: () => reads,
    failReads: (fail: boolean) => {
      failing = fail;
    },
  };
}

describe('withCachedMonthlyUsage', () => {
  it('answers the second read from the cache, and counts the miss and the hit', async () => {
    // Prepare
    const { repository, recorded, reads } = setUp();

    // Act
    const first = await repository.monthlyUsage('ada', NOW);
    const second = await repository.monthlyUsage('ada', NOW);

    // Assess
    expect(second).toEqual(first);
    expect(first).toEqual({ used: 40, quota: 1000 });
    expect(reads()).toBe(1);
    expect(recorded).toEqual(['cache:monthly-usage:miss', 'cache:monthly-usage:hit']);
  });

  it('refreshes the entry when a reply is charged, so the next check is a hit with the new usage', async () => {
    const { repository, reads, recorded, usage } = setUp();
    await repository.monthlyUsage('ada', NOW);
    const turn = await repository.startTurn({
      prompt: PROMPT,
      ownerId: 'ada',
      conversationId: 'c1',
      content: 'hi',
      model: 'm',
      titleIfFirst: 'hi',
    });
    if (turn.kind !== 'started') throw new Error('expected a new turn');

    await repository.finishTurn({
      ownerId: 'ada',
      assistantId: turn.assistantMessage.id,
      content: 'hello',
      status: 'complete',
      model: 'm',
      promptTokens: 1,
      completionTokens: 1,
      costMicros: 0,
    });
    const next = await repository.monthlyUsage('ada', NOW);

    // One read at first, one to refresh after the charge; the next check is answered by the cache.
    expect(reads()).toBe(2);
    expect(next).toEqual({ used: usage.used, quota: 1000 });
    expect(next.used).toBe(42);
    expect(recorded).toEqual(['cache:monthly-usage:miss', 'cache:monthly-usage:hit']);
  });

  it('drops the entry when the refresh after a charge fails, so the next check reads the database', async () => {
    const cache = memoryCache();
    const { repository, reads, failReads } = setUp(cache);
    await repository.monthlyUsage('ada', NOW);
    const turn = await repository.startTurn({
      prompt: PROMPT,
      ownerId: 'ada',
      conversationId: 'c1',
      content: 'hi',
      model: 'm',
      titleIfFirst: 'hi',
    });
    if (turn.kind !== 'started') throw new Error('expected a new turn');
    failReads(true);

    await repository.finishTurn({
      ownerId: 'ada',
      assistantId: turn.assistantMessage.id,
      content: 'hello',
      status: 'complete',
      model: 'm',
      promptTokens: 1,
      completionTokens: 1,
      costMicros: 0,
    });

    expect(await cache.get(monthlyUsageKey('ada', NOW))).toBeNull();
    failReads(false);
    await repository.monthlyUsage('ada', NOW);
    expect(reads()).toBe(3);
  });

  it('marks the entry out of date when starting a turn or a regeneration charged an abandoned reply, and only then', async () => {
    // Prepare: a cache that counts its writes; the usage checked (cached at 40); a repository that
    // says whether starting charged a reply abandoned by a function that died
    const cache = memoryCache();
    let writes = 0;
    const counting: Cache = {
      ...cache,
      set: (...args) => ((writes += 1), cache.set(...args)),
      increment: (...args) => ((writes += 1), cache.increment(...args)),
      delete: (...args) => ((writes += 1), cache.delete(...args)),
    };
    const { repository, reads, usage } = setUp(counting);
    let charges = false;
    const started = await repository.startTurn(TURN);
    if (started.kind !== 'started') throw new Error('expected a new turn');
    const charging = withCachedMonthlyUsage<TurnRepository>(
      {
        ...repository,
        startTurn: async () => ({ ...started, chargedAbandoned: charges }),
        startRegeneration: async () => ({ ...started, chargedAbandoned: charges }),
      },
      () => counting,
      recordingMetrics().metrics,
      () => NOW,
    );
    const regeneration = { ...TURN, replyId: started.assistantMessage.id };
    await charging.monthlyUsage('ada', NOW);

    // Act: a turn and a regeneration that charged nothing
    const before = writes;
    await charging.startTurn(TURN);
    await charging.startRegeneration(regeneration);

    // Assess: nothing written to the cache; the next check is a hit
    expect(writes).toBe(before);
    expect(await charging.monthlyUsage('ada', NOW)).toEqual({ used: 40, quota: 1000 });
    expect(reads()).toBe(1);

    // Act: a turn that charged 500 tokens
    charges = true;
    usage.used += 500;
    await charging.startTurn(TURN);

    // Assess: the next check reads the database
    expect(await charging.monthlyUsage('ada', NOW)).toEqual({ used: 540, quota: 1000 });
    expect(reads()).toBe(2);

    // Act: a regeneration that charged 60
    usage.used += 60;
    await charging.startRegeneration(regeneration);

    // Assess
    expect(await charging.monthlyUsage('ada', NOW)).toEqual({ used: 600, quota: 1000 });
    expect(reads()).toBe(3);
  });

  it("reads the database at the turn of the month (UTC), never the last month's entry", async () => {
    // Prepare: December's usage cached a second before midnight, UTC
    const { repository, reads } = setUp();
    const lastSecond = new Date('2026-12-31T23:59:59.999Z');
    await repository.monthlyUsage('ada', lastSecond);

    // Act
    await repository.monthlyUsage('ada', new Date('2027-01-01T00:00:00Z'));
    // Still 31 December in New York, January in UTC: the month is UTC's.
    await repository.monthlyUsage('ada', new Date('2026-12-31T21:00:00-05:00'));

    // Assess: January's first check read the database; its second found January's entry
    expect(reads()).toBe(2);
  });

  it('takes an entry written before versions were kept for a miss, and replaces it', async () => {
    // Prepare: what the previous release cached, with a usage lower than the database's
    const cache = memoryCache();
    await cache.set(monthlyUsageKey('ada', NOW), JSON.stringify({ used: 1, quota: 1000 }), 60);
    const { repository, reads, recorded } = setUp(cache);

    // Act
    const first = await repository.monthlyUsage('ada', NOW);
    const second = await repository.monthlyUsage('ada', NOW);

    // Assess
    expect(first).toEqual({ used: 40, quota: 1000 });
    expect(second).toEqual(first);
    expect(reads()).toBe(1);
    expect(recorded).toEqual(['cache:monthly-usage:miss', 'cache:monthly-usage:hit']);
  });

  it("takes an entry ahead of its month's version for a miss: the counter was lost since", async () => {
    // Prepare: an entry written at version 3, whose counter the cache has since lost (evicted, or
    // a restart); a charge may have come meanwhile
    const cache = memoryCache();
    await cache.set(monthlyUsageKey('ada', NOW), JSON.stringify({ used: 1, quota: 1000, version: 3 }), 60);
    const { repository, reads } = setUp(cache);

    // Act
    const usage = await repository.monthlyUsage('ada', NOW);

    // Assess
    expect(usage).toEqual({ used: 40, quota: 1000 });
    expect(reads()).toBe(1);
  });

  it('neither trusts nor fills the cache while the version cannot be read', async () => {
    // Prepare: the entry is there, its month's version unreadable
    const cache = memoryCache();
    const versionUnreadable: Cache = {
      ...cache,
      get: async (key) => {
        if (key.startsWith('usage-version:')) throw new Error('cache timeout');
        return cache.get(key);
      },
    };
    await cache.set(monthlyUsageKey('ada', NOW), JSON.stringify({ used: 1, version: 0 }), 60);
    const { repository, reads } = setUp(versionUnreadable);

    // Act
    const usage = await repository.monthlyUsage('ada', NOW);

    // Assess: the database answered; the entry is left as it was
    expect(usage).toEqual({ used: 40, quota: 1000 });
    expect(reads()).toBe(1);
    expect(JSON.parse((await cache.get(monthlyUsageKey('ada', NOW))) ?? 'null')).toEqual({
      used: 1,
      version: 0,
    });
  });

  it('keeps answering from the database when the cache fails', async () => {
    const broken: Cache = {
      ...memoryCache(),
      get: async () => {
        throw new Error('cache down');
      },
      set: async () => {
        throw new Error('cache down');
      },
    };
    const { repository, reads } = setUp(broken);

    await expect(repository.monthlyUsage('ada', NOW)).resolves.toEqual({ used: 40, quota: 1000 });
    await expect(repository.monthlyUsage('ada', NOW)).resolves.toEqual({ used: 40, quota: 1000 });
    expect(reads()).toBe(2);
  });
});
