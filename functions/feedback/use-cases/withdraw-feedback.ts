import type { Caller } from '#shared/domain/caller';
import { ReplyNotFoundError } from '../domain/feedback';
import type { FeedbackRepository } from '../ports/feedback-repository';

/** The caller takes back what they said of a reply; nothing said is not an error. */
export const makeWithdrawFeedback =
  (deps: { feedback: FeedbackRepository }) =>
  async (caller: Caller, conversationId: string, messageId: string): Promise<void> => {
    if (!(await deps.feedback.remove(caller.userId, conversationId, messageId)))
      throw new ReplyNotFoundError();
  };
