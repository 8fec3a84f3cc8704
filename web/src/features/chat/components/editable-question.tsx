import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';

import { contentProblem, hasVisibleCharacter } from '@/features/chat/utils/content-size';

export interface EditableQuestionProps {
  readonly content: string;
  /** Sends the question as edited: it replaces this one, and the reply to it is written again. */
  onEdit(content: string): void;
  /** An edit sent and refused: the box opens with it, to be sent again (nothing typed is lost). */
  readonly edited?: string;
}

/**
 * The latest question, with Edit: the text becomes a box, and Send replaces the question and has
 * its reply written again. Escape or Cancel leaves it as it was.
 */
export function EditableQuestion({ content, onEdit, edited }: EditableQuestionProps) {
  const [text, setText] = useState<string | null>(edited ?? null);
  const box = useRef<HTMLTextAreaElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  /** Set when the box closes unsent, so focus goes back to Edit once it is there again. */
  const refocus = useRef(false);
  const inputId = useId();
  const noteId = useId();
  const editing = text !== null;

  useEffect(() => {
    if (editing) box.current?.focus();
    else if (refocus.current) {
      // Escape or Cancel: back on Edit, where the person was, not at the top of the page.
      refocus.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  function cancel() {
    refocus.current = true;
    setText(null);
  }

  if (text === null) {
    return (
      <>
        <p className="message__text" dir="auto">
          {content}
        </p>
        <div className="message__footer message__footer--user">
          <button
            ref={editButton}
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
    if (text === null || !hasVisibleCharacter(text) || tooLong) return;
    setText(null);
    onEdit(text);
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Escape') cancel();
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
        dir="auto"
        value={text}
        // No maxLength: the browser would drop what is pasted past it without a word. A text too
        // long stays whole, says so below, and cannot be sent until shortened.
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
        <button type="button" className="button-secondary button-small" onClick={cancel}>
          Cancel
        </button>
        <button
          type="submit"
          className="button-small"
          disabled={!hasVisibleCharacter(text) || tooLong !== null}
          aria-label="Send edited message"
        >
          Send
        </button>
      </div>
    </form>
  );
}
