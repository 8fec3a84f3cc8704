import { describe, expect, it } from 'vitest';
import { ReplyNotFoundError } from '#feedback/domain/feedback';
import { fakeMessages } from '#test/support/fakes/chat';
import { ReplyEndedError } from '../domain/message';
import { makeStopReply } from './stop-reply';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

const ada = { userId: 'ada', kind: 'user', role: 'members' } as const;
const conversationId = '00000000-0000-4000-8000-000000000001';

async function withTurn() {
  const messages = fakeMessages();
  const turn = await messages.repository.startTurn({
    prompt: PROMPT,
    ownerId: 'ada',
    conversationId,
    content: 'Hi',
    model: 'm',
    titleIfFirst: 'Hi',
  });
  if (turn.kind !== 'started') throw new Error('no turn');
  return { messages, turn, stopReply: makeStopReply({ messages: messages.repository }) };
}

describe('stopReply', () => {
  it('asks the writer of a reply being written to stop, again without harm', async () => {
    const { messages, turn, stopReply } = await withTurn();

    await stopReply(ada, conversationId, turn.assistantMessage.id);
    await stopReply(ada, conversationId, turn.assistantMessage.id);

    expect([...messages.stops]).toEqual([turn.assistantMessage.id]);
    expect(await messages.repository.saveProgress(turn.assistantMessage.id, 'So far')).toBe(true);
  });

  it('refuses a reply that has ended (409) and one that is not a reply here (404)', async () => {
    const { messages, turn, stopReply } = await withTurn();
    await messages.repository.finishTurn({
      ownerId: 'ada',
      assistantId: turn.assistantMessage.id,
      content: 'Done',
      status: 'complete',
      model: 'm',
      promptTokens: 1,
      completionTokens: 1,
      costMicros: 0,
    });

    await expect(stopReply(ada, conversationId, turn.assistantMessage.id)).rejects.toBeInstanceOf(
      ReplyEndedError,
    );
    await expect(stopReply(ada, conversationId, turn.userMessage.id)).rejects.toBeInstanceOf(
      ReplyNotFoundError,
    );
    expect(messages.stops.size).toBe(0);
  });
});
