import type { ApiClient } from '@/lib/api-client';

export type ExportFormat = 'markdown' | 'json';

export interface ExportedFile {
  readonly blob: Blob;
  readonly fileName: string;
}

const FALLBACK_NAMES: Record<ExportFormat, string> = {
  markdown: 'conversation.md',
  json: 'conversation.json',
};

/**
 * The file name of a Content-Disposition header: `filename*` (RFC 5987, UTF-8) when present,
 * else `filename`; path separators removed, so a name can never point elsewhere.
 */
export function fileNameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2]) {
    try {
      name = decodeURIComponent(extended[2].trim());
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:\\.|[^"\\])*)"|([^;]+))/i.exec(header);
    name = (plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2])?.trim();
  }
  const safe = name?.replace(/[/\\]/g, '_').trim();
  return safe || fallback;
}

/** A conversation as a file: Markdown or JSON, named by the server. */
export async function exportConversation(
  api: ApiClient,
  conversationId: string,
  format: ExportFormat,
): Promise<ExportedFile> {
  const response = await api.fetch(`/conversations/${encodeURIComponent(conversationId)}/export`, {
    query: { format },
    accept: format === 'json' ? 'application/json' : 'text/markdown, text/plain, */*',
  });
  return {
    blob: await response.blob(),
    fileName: fileNameFromDisposition(response.headers.get('Content-Disposition'), FALLBACK_NAMES[format]),
  };
}
