import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { createConversation } from '@/features/conversations/api/create-conversation';
import type { Conversation } from '@/features/conversations/api/conversation-schema';

export const TITLE_MAX_LENGTH = 200;

export function CreateConversationForm({ onCreated }: { onCreated(conversation: Conversation): void }) {
  const api = useApiClient();
  const inputId = useId();
  const [title, setTitle] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setPending(true);
    setError(null);
    try {
      const conversation = await createConversation(api, { title });
      setTitle('');
      onCreated(conversation);
    } catch (caught) {
      setError(apiErrorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="create-conversation" onSubmit={submit} aria-busy={pending}>
      <label htmlFor={inputId}>New conversation title</label>
      <div className="create-conversation__row">
        <input
          id={inputId}
          name="title"
          type="text"
          value={title}
          maxLength={TITLE_MAX_LENGTH}
          placeholder="Optional, e.g. Quarterly report ideas"
          autoComplete="off"
          onChange={(event) => setTitle(event.target.value)}
        />
        <button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create'}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
