import type { FeedbackQuery, FeedbackRepository } from '../ports/feedback-repository';

/** Feedback on replies for admins and auditors, newest first, with the counts of each rating. */
export const makeListFeedback = (deps: { feedback: FeedbackRepository }) => (query: FeedbackQuery) =>
  deps.feedback.list(query);
