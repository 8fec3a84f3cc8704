import type { Caller } from '#shared/domain/caller';
import { ConflictError } from '#shared/errors';
import {
  admitReply,
  started,
  writeReply,
  type ReplyDeps,
  type TurnEvent,
  type WrittenReply,
} from './write-reply';

export interface RegenerateReplyInput {
  readonly conversationId: string;
  /** The conversation's latest message: a reply, complete or failed. */
  readonly replyId: string;
  readonly model?: string;
  /** The question, edited: it replaces the user message the reply answers. */
  readonly content?: string;
  /** Answered in one piece (not streamed): the reply has ReplyDeps.bufferedReplyDeadlineMs. */
  readonly buffered?: boolean;
}

/**
 * Writes the latest reply of a conversation again, for the same question: after a failure (no
 * second copy of the question), or for another answer, with the same or another model; or for the
 * question edited (`content`), which replaces it. The reply keeps its id and place; its text and
 * feedback are replaced. The rate limit and the monthly quota apply as to a new message, and the
 * new reply's tokens are charged (the earlier reply's stay charged: they were spent; an abandoned
 * one, whose function died uncharged, is charged by estimate as it is emptied). Events as
 * for a new message, `message` carrying the emptied reply.
 */
export const makeRegenerateReply = (deps: ReplyDeps) =>
  async function regenerateReply(
    caller: Caller,
    input: RegenerateReplyInput,
    onEvent: (event: TurnEvent) => void = () => {},
  ): Promise<WrittenReply> {
    const { model, quota } = await admitReply(deps, caller, input.model);
    const start = await started(
      deps,
      deps.messages.startRegeneration({
        ownerId: caller.userId,
        conversationId: input.conversationId,
        replyId: input.replyId,
        model,
        ...(input.content === undefined ? {} : { content: input.content }),
        ...(deps.maxRepliesInFlight === undefined ? {} : { maxRepliesInFlight: deps.maxRepliesInFlight }),
        quota,
        prompt: { systemPrompt: deps.systemPrompt, contextBudgetTokens: deps.contextBudgetTokens },
      }),
    );
    const question = start.history.at(-1);
    if (question?.role !== 'user') {
      // Turns store a question and its reply together, so a reply always follows its question.
      const error = new ConflictError('This reply answers no question of yours; send a new message.');
      await deps.messages.finishTurn({
        ownerId: caller.userId,
        assistantId: start.assistantMessage.id,
        content: '',
        status: 'failed',
        error: error.message,
        model,
        promptTokens: 0,
        completionTokens: 0,
        costMicros: 0,
      });
      throw error;
    }

    onEvent({ type: 'message', message: start.assistantMessage });
    return writeReply(
      deps,
      caller,
      {
        assistantId: start.assistantMessage.id,
        model,
        history: start.history.slice(0, -1),
        question: input.content === undefined ? question : { role: 'user', content: input.content },
        instructions: start.instructions,
        deadlineMs: input.buffered ? deps.bufferedReplyDeadlineMs : undefined,
      },
      onEvent,
    );
  };

export type RegenerateReply = ReturnType<typeof makeRegenerateReply>;
