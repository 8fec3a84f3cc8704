import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import {
  getInstructions,
  instructionsFrom,
  INSTRUCTIONS_MAX,
  setInstructions,
} from '@/features/me/api/instructions';
import { useModalDialog } from '@/lib/use-modal-dialog';
import { FormStatus } from '@/components/form-status';
import { BusyCancelButton } from '@/components/busy-cancel-button';

const countFormat = new Intl.NumberFormat('en-GB');

/** "Your instructions": how the model should answer this person, sent with each of their messages. */
export function InstructionsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button-secondary button-small" onClick={() => setOpen(true)}>
        Your instructions
      </button>
      {open && <InstructionsDialog onClose={() => setOpen(false)} />}
    </>
  );
}

type Load = { readonly status: 'loading' } | { readonly status: 'ready' } | { readonly status: 'error' };

function InstructionsDialog({ onClose }: { onClose(): void }) {
  const api = useApiClient();
  const id = useId();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [text, setText] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const dialog = useModalDialog({ busy: pending });
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const textBox = useRef<HTMLTextAreaElement>(null);
  /** Remove went (nothing left to remove) with the keyboard focus on it. */
  const removeLeftWithFocus = useRef(false);
  const removeButton = useCallback((button: HTMLButtonElement | null) => {
    if (!button) return;
    // React calls this before it takes the button out of the page, while the focus is still on it.
    return () => {
      removeLeftWithFocus.current = document.activeElement === button;
    };
  }, []);

  /** Where the focus was once the dialog opened (its first button: the box is disabled until loaded). */
  const focusAtOpen = useRef<Element | null>(null);
  useEffect(() => {
    focusAtOpen.current = document.activeElement;
  }, []);
  // Loaded: the keyboard goes to the box, where the person came to write, unless they have put it
  // somewhere else meanwhile.
  const loaded = load.status === 'ready';
  useEffect(() => {
    if (!loaded) return;
    const focused = document.activeElement;
    if (focused === focusAtOpen.current || focused === null || focused === document.body) {
      textBox.current?.focus();
    }
  }, [loaded]);

  // Remove is gone once the instructions are: the keyboard goes to the box, now empty, rather than
  // to the top of the page.
  useEffect(() => {
    if (saved !== null || !removeLeftWithFocus.current) return;
    removeLeftWithFocus.current = false;
    if (document.activeElement === null || document.activeElement === document.body) textBox.current?.focus();
  }, [saved]);

  useEffect(() => {
    const controller = new AbortController();
    getInstructions(api, controller.signal).then(
      (instructions) => {
        setSaved(instructions);
        setText(instructions ?? '');
        setLoad({ status: 'ready' });
      },
      (caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(apiErrorMessage(caught));
        setLoad({ status: 'error' });
      },
    );
    return () => controller.abort();
  }, [api]);

  async function save(next: string, message: string) {
    if (pending) return;
    setPending(true);
    setError(null);
    setDone(null);
    try {
      const kept = await setInstructions(api, next);
      setSaved(kept);
      setText(kept ?? '');
      setDone(message);
    } catch (caught) {
      setError(apiErrorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  const unchanged = text.trim() === (saved ?? '');
  function submit(event: FormEvent) {
    event.preventDefault();
    if (load.status !== 'ready' || unchanged) return;
    // What setInstructions sends: a text with nothing that shows removes them.
    void save(
      text,
      instructionsFrom(text) === null ? 'Removed.' : 'Saved: they apply from your next message.',
    );
  }

  return (
    <dialog ref={dialog} className="dialog dialog--wide" aria-labelledby={`${id}-heading`} onClose={onClose}>
      <h2 id={`${id}-heading`}>Your instructions</h2>
      <form className="instructions" onSubmit={submit}>
        <label htmlFor={`${id}-text`}>How should Parley answer you?</label>
        <textarea
          dir="auto"
          ref={textBox}
          id={`${id}-text`}
          rows={7}
          maxLength={INSTRUCTIONS_MAX}
          value={text}
          disabled={load.status !== 'ready' || pending}
          placeholder="For example: I work in finance. Answer in British English, briefly, with sources."
          aria-describedby={`${id}-hint`}
          onChange={(event) => setText(event.target.value)}
          data-testid="instructions-text"
        />
        <p className="hint" id={`${id}-hint`}>
          Sent with each of your messages, after your organisation&apos;s own instructions, which come first.
          Nobody else sees them. {countFormat.format(text.length)} / {countFormat.format(INSTRUCTIONS_MAX)}{' '}
          characters.
        </p>
        <FormStatus error={error} done={done} />
        <div className="actions dialog__actions">
          {/* Waits while a change is saved, so its outcome (or its error) is seen. */}
          <BusyCancelButton busy={pending} label="Close" onCancel={onClose} />
          {saved !== null && (
            <button
              ref={removeButton}
              type="button"
              className="button-secondary"
              // aria-disabled, not disabled: a disabled button loses the keyboard focus (and save
              // does nothing while a change is being saved).
              aria-disabled={pending || undefined}
              onClick={() => void save('', 'Removed.')}
            >
              Remove
            </button>
          )}
          {/* aria-disabled too, so the focus stays on Save while it saves and after (the text is then
              unchanged): submit does nothing until there is a change to save. */}
          <button type="submit" aria-disabled={load.status !== 'ready' || pending || unchanged || undefined}>
            {pending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
