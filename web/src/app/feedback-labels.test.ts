import { describe, expect, it } from 'vitest';

import { FEEDBACK_REASONS } from '@/features/admin/api/list-feedback';
import { REASON_LABELS } from '@/features/admin/components/labels';
import { REASONS } from '@/features/chat/api/message-schema';

// Features do not import each other, so the console keeps its own copy of the words people chose
// from when they rated a reply down. The app, which holds both features, checks the copies agree.
describe('the reasons for a thumbs down', () => {
  it('are the same codes, with the same words, in the chat and in the console', () => {
    expect(REASON_LABELS).toEqual(REASONS);
    expect([...FEEDBACK_REASONS].sort()).toEqual(Object.keys(REASONS).sort());
  });
});
