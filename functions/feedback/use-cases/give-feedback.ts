import type { Caller } from '#shared/domain/caller';
import {
  ReplyNotFinishedError,
  ReplyNotFoundError,
  type Feedback,
  type FeedbackInput,
} from '../domain/feedback';
import type { FeedbackRepository } from '../ports/feedback-repository';

/**
 * The caller rates one of their finished replies, replacing what they said of it before. A reply
 * of someone else's, a user message or an unknown id is not found (404, never 403); a reply still
 * being written, or one that failed, is a conflict.
 */
export const makeGiveFeedback =
  (deps: { feedback: FeedbackRepository }) =>
  async (
    caller: Caller,
    conversationId: string,
    messageId: string,
    input: FeedbackInput,
  ): Promise<Feedback> => {
    const outcome = await deps.feedback.save(caller.userId, conversationId, messageId, input);
    if (outcome.kind === 'not-found') throw new ReplyNotFoundError();
    if (outcome.kind === 'not-finished') throw new ReplyNotFinishedError();
    return outcome.feedback;
  };
