import { useState } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { saveFile } from '@/lib/save-file';
import { exportConversation } from '@/features/chat/api/export-conversation';
import type { ExportFormat } from '@/features/chat/api/export-conversation';

export function ExportButtons({ conversationId }: { conversationId: string }) {
  const api = useApiClient();
  const [pending, setPending] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function download(format: ExportFormat) {
    if (pending) return;
    setPending(format);
    setError(null);
    try {
      const file = await exportConversation(api, conversationId, format);
      saveFile(file.blob, file.fileName);
    } catch (caught) {
      setError(apiErrorMessage(caught));
    } finally {
      setPending(null);
    }
  }

  return (
    <div className="export" role="group" aria-label="Export this conversation">
      <button
        type="button"
        className="button-secondary button-small"
        onClick={() => void download('markdown')}
        // aria-disabled, not disabled: a disabled button loses the keyboard focus. A click while an
        // export is being made does nothing (download).
        aria-disabled={pending !== null || undefined}
      >
        {pending === 'markdown' ? 'Exporting…' : 'Export Markdown'}
      </button>
      <button
        type="button"
        className="button-secondary button-small"
        onClick={() => void download('json')}
        aria-disabled={pending !== null || undefined}
      >
        {pending === 'json' ? 'Exporting…' : 'Export JSON'}
      </button>
      {error && (
        <p className="error export__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
