import { useCallback, useEffect, useId, useLayoutEffect, useRef } from 'react';
import type { FormEvent, KeyboardEvent, ReactNode } from 'react';

import {
  CONTROL_CHARACTERS_PROBLEM,
  contentProblem,
  hasVisibleCharacter,
  withoutControlCharacters,
} from '@/features/chat/utils/content-size';

const MAX_ROWS = 10;

export interface ComposerProps {
  /** A reply is streaming: Enter does not send, and Stop is offered. */
  readonly busy: boolean;
  /** Our own stream can be stopped (a reply the server writes after a stop cannot). */
  readonly canStop: boolean;
  /** Changes when the composer should take the focus (a conversation opened, Regenerate, Retry). */
  readonly focusKey: string;
  /** What is typed (the conversation's draft, kept by the view). */
  readonly text: string;
  onTextChange(text: string): void;
  /** Sends `content`; the view empties the box. */
  onSend(content: string): void;
  onStop(): void;
  /** Shown under the box, before the hint (the model picker). */
  readonly children?: ReactNode;
}

/** Enter sends, Shift+Enter adds a line; the box grows with its text (CSS field-sizing, or rows). */
export function Composer({
  busy,
  canStop,
  focusKey,
  text,
  onTextChange,
  onSend,
  onStop,
  children,
}: ComposerProps) {
  const inputId = useId();
  const hintId = useId();
  const textarea = useRef<HTMLTextAreaElement>(null);
  /** Stop had the keyboard when it went (the reply ended): the keyboard comes back to the box. */
  const refocus = useRef(false);

  useEffect(() => {
    textarea.current?.focus();
  }, [focusKey]);

  // Stop and Send share the place of one button, and Send is disabled while a reply ends: the
  // focus would fall to the page's body, so it goes to the box instead.
  const stopButton = useCallback((button: HTMLButtonElement | null) => {
    if (!button) return;
    return () => {
      // Runs before the button leaves the page, while it may still hold the focus.
      if (document.activeElement === button) refocus.current = true;
    };
  }, []);
  useLayoutEffect(() => {
    if (canStop || !refocus.current) return;
    refocus.current = false;
    textarea.current?.focus();
  }, [canStop]);

  const tooLong = contentProblem(text);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (busy || !hasVisibleCharacter(text) || tooLong) return;
    onSend(text);
    textarea.current?.focus();
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  const rows = Math.min(MAX_ROWS, Math.max(1, text.split('\n').length));

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={inputId} className="visually-hidden">
        Message
      </label>
      <div className="composer__box">
        <textarea
          id={inputId}
          ref={textarea}
          className="composer__input"
          // The direction of what is typed: a Hebrew or Arabic message is written right to left.
          dir="auto"
          name="content"
          rows={rows}
          value={text}
          // No maxLength: the browser would drop what is pasted past it without a word. A message
          // too long stays whole, says so, and cannot be sent until shortened.
          placeholder="Message Parley"
          aria-describedby={hintId}
          onChange={(event) => onTextChange(event.target.value)}
          onKeyDown={keyDown}
        />
        {canStop ? (
          <button
            type="button"
            className="composer__button composer__button--stop"
            ref={stopButton}
            onClick={() => {
              textarea.current?.focus();
              onStop();
            }}
          >
            Stop
          </button>
        ) : (
          <button
            type="submit"
            className="composer__button"
            disabled={busy || !hasVisibleCharacter(text) || tooLong !== null}
          >
            Send
          </button>
        )}
      </div>
      <div className="composer__footer">
        {children}
        <p
          id={hintId}
          className={tooLong ? 'composer__hint composer__hint--error' : 'composer__hint'}
          aria-live="polite"
        >
          {tooLong ??
            (busy && !canStop
              ? 'Parley is finishing the previous reply…'
              : 'Enter to send, Shift+Enter for a new line. Replies can be wrong: check what matters.')}
        </p>
        {tooLong === CONTROL_CHARACTERS_PROBLEM && (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              onTextChange(withoutControlCharacters(text));
              textarea.current?.focus();
            }}
          >
            Remove them
          </button>
        )}
      </div>
    </form>
  );
}
