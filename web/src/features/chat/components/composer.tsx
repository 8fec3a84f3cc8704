import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent, ReactNode } from 'react';

import {
  CONTROL_CHARACTERS_PROBLEM,
  contentProblem,
  withoutControlCharacters,
} from '@/features/chat/utils/content-size';

const MAX_ROWS = 10;

export interface ComposerProps {
  /** A reply is streaming: Enter does not send, and Stop is offered. */
  readonly busy: boolean;
  /** Our own stream can be stopped (a reply the server writes after a stop cannot). */
  readonly canStop: boolean;
  /** Changes when the composer should take the focus (a conversation opened, a reply ended). */
  readonly focusKey: string;
  onSend(content: string): void;
  onStop(): void;
  /** Shown under the box, before the hint (the model picker). */
  readonly children?: ReactNode;
}

/** Enter sends, Shift+Enter adds a line; the box grows with its text (CSS field-sizing, or rows). */
export function Composer({ busy, canStop, focusKey, onSend, onStop, children }: ComposerProps) {
  const inputId = useId();
  const hintId = useId();
  const [text, setText] = useState('');
  const textarea = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    textarea.current?.focus();
  }, [focusKey]);

  const tooLong = contentProblem(text);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (busy || !text.trim() || tooLong) return;
    onSend(text);
    setText('');
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
          name="content"
          rows={rows}
          value={text}
          // No maxLength: the browser would drop what is pasted past it without a word. A message
          // too long stays whole, says so, and cannot be sent until shortened.
          placeholder="Message Parley"
          aria-describedby={hintId}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={keyDown}
        />
        {canStop ? (
          <button type="button" className="composer__button composer__button--stop" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button
            type="submit"
            className="composer__button"
            disabled={busy || !text.trim() || tooLong !== null}
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
              setText(withoutControlCharacters(text));
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
