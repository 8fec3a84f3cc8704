import { describe, expect, it } from 'vitest';
import type { ChatTurn } from '../ports/chat-model';
import {
  contextWindow,
  estimatePromptTokens,
  estimateReplyPromptTokens,
  estimateTokens,
  replyContext,
} from './context-window';
import { systemPromptFor } from './system-prompt';

const turn = (role: ChatTurn['role'], chars: number, tag: string): ChatTurn => ({
  role,
  content: tag + 'x'.repeat(chars - tag.length),
});

describe('contextWindow', () => {
  const system = 'x'.repeat(40); // 10 tokens
  const latest = turn('user', 40, 'now'); // 10 tokens

  it('keeps the most recent earlier messages that fit, oldest first, between the prompt and the new message', () => {
    const history = [turn('user', 40, 'a'), turn('assistant', 40, 'b'), turn('user', 40, 'c')];
    const turns = contextWindow(system, history, latest, 40);
    expect(turns.map((t) => t.content.slice(0, 3).replace(/x+$/, ''))).toEqual(['', 'b', 'c', 'now']);
    expect(turns[0]).toEqual({ role: 'system', content: system });
  });

  it('stops at the first message that does not fit, even if an older one would', () => {
    const history = [turn('user', 4, 'a'), turn('assistant', 400, 'big'), turn('user', 40, 'c')];
    const turns = contextWindow(system, history, latest, 40);
    expect(turns.map((t) => t.content.slice(0, 1))).toEqual(['x', 'c', 'n']);
  });

  it('always sends the new message, even when it alone is over the budget', () => {
    const long = turn('user', 4000, 'long');
    expect(contextWindow(system, [turn('user', 4, 'a')], long, 50)).toEqual([
      { role: 'system', content: system },
      long,
    ]);
    expect(estimateTokens(long.content)).toBe(1000);
  });
});

describe('estimateReplyPromptTokens', () => {
  const settings = { systemPrompt: 'x'.repeat(40), contextBudgetTokens: 200 };

  it('estimates the context window the reply was sent, its question last, not the whole history', () => {
    const history = [turn('user', 4000, 'old'), turn('assistant', 40, 'b'), turn('user', 40, 'question')];
    const sent = replyContext(settings, 'Be brief.', history.slice(0, -1), history[2] as ChatTurn);

    const estimate = estimateReplyPromptTokens(settings, 'Be brief.', history);

    expect(sent).toEqual([
      { role: 'system', content: systemPromptFor(settings.systemPrompt, 'Be brief.') },
      history[1],
      history[2],
    ]);
    expect(estimate).toBe(estimatePromptTokens(sent));
    expect(estimate).toBeLessThan(estimatePromptTokens(history));
  });

  it('is none without a history: nothing is known of the call', () => {
    expect(estimateReplyPromptTokens(settings, null, [])).toBe(0);
  });
});

describe('estimateTokens', () => {
  /** `count` Hangul syllables picked by a step through the block: text a tokenizer cannot merge. */
  const denseHangul = (count: number): string =>
    Array.from({ length: count }, (_, i) => String.fromCodePoint(0xac00 + ((i * 7919) % 11172))).join('');

  it('counts English text at about four characters a token', () => {
    expect(estimateTokens('The tide comes in twice a day.')).toBe(8);
  });

  it('counts a token for every four UTF-8 bytes, so dense scripts are not counted at a fraction of what they cost', () => {
    // A token is at least one byte of UTF-8: a quarter of the bytes is the least any text can be
    // charged. By characters, 20,000 Hangul syllables (60,000 bytes, about 45,000 real tokens) were 5,000.
    const text = denseHangul(20_000);
    expect(estimateTokens(text)).toBe(15_000);
    expect(estimateTokens('潮汐')).toBe(2);
  });

  it('counts an emoji as its four bytes and a lone surrogate as the three of the character that replaces it', () => {
    expect(estimateTokens('🌊'.repeat(3))).toBe(3);
    expect(estimateTokens('\uD800'.repeat(4))).toBe(3);
  });
});

describe('contextWindow with dense scripts', () => {
  it('keeps no more history than four bytes a token of the budget', () => {
    // Prepare: 100 earlier messages of 4,000 Japanese characters (12,000 bytes each)
    const history = Array.from({ length: 100 }, (_, i): ChatTurn => ({
      role: i % 2 ? 'assistant' : 'user',
      content: '潮の満ち引きは月の引力による。'.repeat(267).slice(0, 4000),
    }));

    // Act
    const turns = contextWindow('Be brief.', history, { role: 'user', content: 'なぜ？' }, 12_000);

    // Assess: 3 messages (36,000 bytes) fit the budget's 48,000 bytes, 4 would not
    const keptBytes = turns.slice(1, -1).reduce((sum, t) => sum + Buffer.byteLength(t.content), 0);
    expect(turns).toHaveLength(5);
    expect(keptBytes).toBeLessThanOrEqual(12_000 * 4);
  });
});
