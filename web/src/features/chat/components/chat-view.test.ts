import { describe, expect, it } from 'vitest';

import { linkedMessageId } from '@/features/chat/components/chat-view';

describe('linkedMessageId', () => {
  it('reads the message a link points at from its fragment', () => {
    expect(linkedMessageId('#m-0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77')).toBe(
      '0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77',
    );
    expect(linkedMessageId('#m-a%20b')).toBe('a b');
  });

  it('links to no message when there is no such fragment', () => {
    expect(linkedMessageId('')).toBeNull();
    expect(linkedMessageId('#m-')).toBeNull();
    expect(linkedMessageId('#top')).toBeNull();
  });

  it('links to no message, instead of throwing, when the fragment cannot be decoded', () => {
    expect(linkedMessageId('#m-%')).toBeNull();
    expect(linkedMessageId('#m-%E0%A4%A')).toBeNull();
    expect(linkedMessageId('#m-abc%zz')).toBeNull();
  });
});
