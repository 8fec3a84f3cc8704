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
