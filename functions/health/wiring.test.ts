import { describe, expect, it } from 'vitest';
import { TOKEN_URL_PLACEHOLDER } from '../api/openapi-constants';
import { withTokenUrl } from './wiring';

const written = JSON.stringify({
  components: {
    securitySchemes: { machineClient: { flows: { clientCredentials: { tokenUrl: TOKEN_URL_PLACEHOLDER } } } },
  },
});

describe('the OpenAPI document as the health function serves it', () => {
  it("names the stage's token endpoint in place of the placeholder it was written with", () => {
    const url = 'https://parley-dev-123456789012.auth.eu-west-1.amazoncognito.com/oauth2/token';
    const served = withTokenUrl(written, url);
    expect(served).toContain(JSON.stringify(url));
    expect(served).not.toContain('.invalid');
  });

  it('serves it as written where the stage has no token endpoint (locally)', () => {
    expect(withTokenUrl(written, undefined)).toBe(written);
  });

  it('keeps the document valid JSON whatever the URL holds', () => {
    const odd = 'https://example.test/oauth2/token?a="b"\\c';
    const served = JSON.parse(withTokenUrl(written, odd)) as {
      components: {
        securitySchemes: { machineClient: { flows: { clientCredentials: { tokenUrl: string } } } };
      };
    };
    expect(served.components.securitySchemes.machineClient.flows.clientCredentials.tokenUrl).toBe(odd);
  });
});
