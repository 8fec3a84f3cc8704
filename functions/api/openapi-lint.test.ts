import { Document, Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { describe, expect, it } from 'vitest';
import { openApiText } from '../../bin/docs-openapi';

/** Spectral's findings on the document as served, as `rule at path: message` lines. */
async function lint(rules: 'recommended' | 'all'): Promise<string[]> {
  const spectral = new Spectral();
  spectral.setRuleset({ extends: [[oas as RulesetDefinition, rules]] });
  const results = await spectral.run(new Document(openApiText(), Json, 'openapi.json'));
  return results.map((r) => `${String(r.code)} at ${r.path.join('.')}: ${r.message}`);
}

describe('the OpenAPI document, through a standard linter (Spectral)', () => {
  it('has no error, warning, information or hint under the oas ruleset (spectral:oas, as the CLI runs it)', async () => {
    expect(await lint('recommended')).toEqual([]);
  });

  it('meets every rule of the whole oas ruleset but the organisation’s own contact and licence', async () => {
    // Who answers for a stage and under what licence its API is offered are the deploying
    // organisation's to say; everything else (descriptions of every operation and parameter, tags,
    // security schemes that define every scope used) the document says.
    expect(await lint('all')).toEqual([
      'info-license at info: Info object must have "license" object.',
      'license-url at info: License object must include "url".',
      'contact-properties at info.contact: Contact object must have "name", "url" and "email".',
    ]);
  });
});
