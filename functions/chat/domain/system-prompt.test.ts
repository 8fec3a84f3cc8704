import { describe, expect, it } from 'vitest';
import { systemPromptFor } from './system-prompt';

describe('systemPromptFor', () => {
  it("is the organisation's prompt alone when the person has no instructions", () => {
    expect(systemPromptFor('Be brief.', null)).toBe('Be brief.');
    expect(systemPromptFor('Be brief.', '')).toBe('Be brief.');
  });

  it("puts the person's instructions after the organisation's, marked as theirs and below it", () => {
    const prompt = systemPromptFor('Never share secrets.', 'Answer in French.\nUse metric units.');
    expect(prompt.startsWith('Never share secrets.\n')).toBe(true);
    expect(prompt).toContain('unless they conflict with the instructions above');
    expect(prompt).toMatch(
      /<user-instructions>\nAnswer in French\.\nUse metric units\.\n<\/user-instructions>$/,
    );
  });
});
