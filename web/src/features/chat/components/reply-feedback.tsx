import { useId, useRef, useState } from 'react';

import { Icon } from '@/components/icons';
import { COMMENT_MAX, REASONS } from '@/features/chat/api/message-schema';
import type { Rating, Reason, ReplyFeedback as Feedback } from '@/features/chat/api/message-schema';
import { giveFeedback, withdrawFeedback, type FeedbackInput } from '@/features/chat/api/reply-feedback';
import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { withoutControlCharacters } from '@/features/chat/utils/content-size';

export interface ReplyFeedbackProps {
  readonly conversationId: string;
  readonly messageId: string;
  /** What the person said of this reply before (the messages list), null for nothing. */
  readonly initial: Feedback | null;
}

/**
 * Thumbs up or down on a finished reply. Up is kept at once; down is kept at once too, then asks
 * what was wrong (both optional), so closing the form loses nothing. Pressing the rating that is
 * on takes it back.
 */
export function ReplyFeedback({ conversationId, messageId, initial }: ReplyFeedbackProps) {
  const api = useApiClient();
  const [saved, setSaved] = useState<Feedback | null>(initial);
  const [details, setDetails] = useState<{ reason: Reason | ''; comment: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ kind: 'error' | 'note'; text: string } | null>(null);
  const formId = useId();
  const downButton = useRef<HTMLButtonElement>(null);
  const form = useRef<HTMLFormElement>(null);

  async function run(work: () => Promise<Feedback | null>, note: string | null) {
    setBusy(true);
    setStatus(null);
    try {
      setSaved(await work());
      if (note) setStatus({ kind: 'note', text: note });
      return true;
    } catch (error) {
      setStatus({ kind: 'error', text: apiErrorMessage(error) });
      return false;
    } finally {
      setBusy(false);
    }
  }

  const give = (input: FeedbackInput, note: string | null) =>
    run(() => giveFeedback(api, conversationId, messageId, input), note);

  async function press(rating: Rating) {
    if (saved?.rating === rating) {
      setDetails(null);
      await run(async () => {
        await withdrawFeedback(api, conversationId, messageId);
        return null;
      }, 'Feedback removed.');
      return;
    }
    if (rating === 'up') {
      setDetails(null);
      await give({ rating }, 'Thanks for the feedback.');
      return;
    }
    if (await give({ rating }, null)) setDetails({ reason: '', comment: '' });
  }

  /**
   * Closes the form. Focus in it goes back to the thumbs down that opened it, rather than to the
   * top of the page with the form's buttons.
   */
  function closeForm() {
    const hadFocus = form.current?.contains(document.activeElement) ?? false;
    setDetails(null);
    if (hadFocus) downButton.current?.focus();
  }

  async function send() {
    if (!details || busy) return;
    const sent = await give(
      {
        rating: 'down',
        ...(details.reason ? { reason: details.reason } : {}),
        // Invisible control characters (pasted from a terminal or a PDF) the API refuses.
        comment: withoutControlCharacters(details.comment),
      },
      'Thanks for the feedback.',
    );
    if (sent) closeForm();
  }

  return (
    <>
      <span className="feedback" role="group" aria-label="Rate this reply">
        {(['up', 'down'] as const).map((rating) => (
          <button
            key={rating}
            ref={rating === 'down' ? downButton : undefined}
            type="button"
            className="message__action feedback__button"
            aria-pressed={saved?.rating === rating}
            aria-label={rating === 'up' ? 'Good reply' : 'Bad reply'}
            aria-expanded={rating === 'down' ? details !== null : undefined}
            aria-controls={rating === 'down' && details ? formId : undefined}
            title={saved?.rating === rating ? 'Take your rating back' : undefined}
            // aria-disabled, not disabled: a disabled button loses the keyboard focus.
            aria-disabled={busy || undefined}
            onClick={() => {
              if (!busy) void press(rating);
            }}
            data-testid={`feedback-${rating}`}
          >
            <Icon name={rating === 'up' ? 'thumbsUp' : 'thumbsDown'} />
          </button>
        ))}
      </span>
      <span className="feedback__status" role="status" data-testid="feedback-status">
        {status?.kind === 'note' ? status.text : ''}
      </span>
      {status?.kind === 'error' && (
        <p className="feedback__error" role="alert">
          {status.text}
        </p>
      )}
      {details && (
        <form
          ref={form}
          id={formId}
          className="feedback__form"
          aria-label="What was wrong with this reply?"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <label>
            What was wrong? <span className="muted">(optional)</span>
            <select
              value={details.reason}
              onChange={(event) => setDetails({ ...details, reason: event.target.value as Reason | '' })}
              data-testid="feedback-reason"
            >
              <option value="">Choose a reason</option>
              {Object.entries(REASONS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tell us more <span className="muted">(optional)</span>
            <textarea
              dir="auto"
              rows={2}
              maxLength={COMMENT_MAX}
              value={details.comment}
              onChange={(event) => setDetails({ ...details, comment: event.target.value })}
              data-testid="feedback-comment"
            />
          </label>
          <p className="muted feedback__privacy">
            Your organisation&apos;s admins and auditors see this feedback with the model&apos;s name, never
            the conversation.
          </p>
          <div className="feedback__actions">
            <button
              type="submit"
              className="button-small"
              aria-disabled={busy || undefined}
              data-testid="feedback-send"
            >
              Send
            </button>
            <button
              type="button"
              className="button-secondary button-small"
              onClick={() => {
                if (!busy) closeForm();
              }}
              aria-disabled={busy || undefined}
            >
              Close
            </button>
          </div>
        </form>
      )}
    </>
  );
}
