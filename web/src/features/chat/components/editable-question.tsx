import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';

import { CONTENT_MAX, contentProblem } from '@/features/chat/utils/content-size';

export interface EditableQuestionProps {
  readonly content: string;
  /** Sends the question as edited: it replaces this one, and the reply to it is written again. */
  onEdit(content: string): void;
}

/**
 * The latest question, with Edit: the text becomes a box, and Send replaces the question and has
 * its reply written again. Escape or Cancel leaves it as it was.
 */
export function EditableQuestion({ content, onEdit }: EditableQuestionProps) {
  const [text, setText] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const noteId = useId();
  const editing = text !== null;

  useEffect(() => {
    if (editing) box.current?.focus();
  }, [editing]);

  if (text === null) {
    return (
      <>
        <p className="message__text">{content}</p>
        <div className="message__footer message__footer--user">
          <button
            type="button"
            className="message__action"
            onClick={() => setText(content)}
            data-testid="edit-question"
          >
            Edit
          </button>
        </div>
      </>
    );
  }

  const tooLong = contentProblem(text);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (text === null || !text.trim() || tooLong) return;
    setText(null);
    onEdit(text);
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Escape') setText(null);
  }

  return (
    <form className="message__edit" onSubmit={submit}>
      <label htmlFor={inputId} className="visually-hidden">
        Edit your message
      </label>
      <textarea
        id={inputId}
        ref={box}
        className="message__edit-input"
        value={text}
        maxLength={CONTENT_MAX}
        rows={Math.min(10, Math.max(2, text.split('\n').length))}
        aria-describedby={noteId}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={keyDown}
      />
      <p
        id={noteId}
        className={tooLong ? 'message__note message__note--failed' : 'message__note muted'}
        aria-live="polite"
      >
        {tooLong ?? 'Sending replaces this message, and the reply to it is written again.'}
      </p>
      <div className="message__edit-actions">
        <button type="button" className="button-secondary button-small" onClick={() => setText(null)}>
          Cancel
        </button>
        <button
          type="submit"
          className="button-small"
          disabled={!text.trim() || tooLong !== null}
          aria-label="Send edited message"
        >
          Send
        </button>
      </div>
    </form>
  );
}
