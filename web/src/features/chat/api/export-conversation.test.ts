import { describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { exportConversation, fileNameFromDisposition } from '@/features/chat/api/export-conversation';

describe('fileNameFromDisposition', () => {
  it('reads a quoted file name', () => {
    expect(fileNameFromDisposition('attachment; filename="Trip to Lisbon.md"', 'x.md')).toBe(
      'Trip to Lisbon.md',
    );
  });

  it('prefers the UTF-8 filename* form', () => {
    expect(
      fileNameFromDisposition(`attachment; filename="Caf_.md"; filename*=UTF-8''Caf%C3%A9.md`, 'x.md'),
    ).toBe('Café.md');
  });

  it('reads an unquoted name and removes path separators', () => {
    expect(fileNameFromDisposition('attachment; filename=../../etc/passwd', 'x.md')).toBe('.._.._etc_passwd');
  });

  it('falls back when there is no usable name', () => {
    expect(fileNameFromDisposition(null, 'conversation.md')).toBe('conversation.md');
    expect(fileNameFromDisposition('attachment', 'conversation.json')).toBe('conversation.json');
  });
});

describe('exportConversation', () => {
  it('asks for the format and names the file from the answer', async () => {
    const fetch = vi.fn<ApiClient['fetch']>(
      async () =>
        new Response('# Hi', { headers: { 'Content-Disposition': 'attachment; filename="Hi.md"' } }),
    );
    const api: ApiClient = { fetch, request: vi.fn() };

    const file = await exportConversation(api, 'c 1', 'markdown');

    expect(file.fileName).toBe('Hi.md');
    expect(await file.blob.text()).toBe('# Hi');
    expect(fetch).toHaveBeenCalledWith(
      '/conversations/c%201/export',
      expect.objectContaining({ query: { format: 'markdown' } }),
    );
  });
});
