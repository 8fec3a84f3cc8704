import { useState } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { deleteConversation } from '@/features/conversations/api/delete-conversation';
import { useModalDialog } from '@/lib/use-modal-dialog';
import { BusyCancelButton } from '@/components/busy-cancel-button';

export interface DeleteDialogProps {
  readonly conversation: Conversation;
  onDeleted(conversationId: string): void;
  onClose(): void;
}

/** "Delete this conversation?": a modal dialog (focus kept inside, Escape cancels). */
export function DeleteDialog({ conversation, onDeleted, onClose }: DeleteDialogProps) {
  const api = useApiClient();
  const [pending, setPending] = useState(false);
  const dialog = useModalDialog({ busy: pending });
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    if (pending) return;
    setPending(true);
    setError(null);
    try {
      await deleteConversation(api, conversation.id);
      onDeleted(conversation.id);
    } catch (caught) {
      setError(apiErrorMessage(caught));
      setPending(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="delete-heading" onClose={onClose}>
      <h2 id="delete-heading">Delete this conversation?</h2>
      <p>
        “
        <span className="dialog__subject" dir="auto">
          {conversation.title}
        </span>
        ” and all its messages will be deleted.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions dialog__actions">
        {/* A click (or Escape) while the conversation is being deleted does nothing. */}
        <BusyCancelButton busy={pending} onCancel={onClose} />
        <button
          type="button"
          className="button-danger"
          onClick={() => void confirm()}
          aria-disabled={pending || undefined}
        >
          {pending ? 'Deleting…' : 'Delete'}
        </button>
      </div>
    </dialog>
  );
}
