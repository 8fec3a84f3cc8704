/**
 * The token endpoint of the stage's user pool domain, as the OpenAPI document is written: ahead,
 * when no stage is known, so it names this reserved (RFC 2606) host; the health function serves
 * the stage's own endpoint in its place (OAUTH_TOKEN_URL). Locally there is no such endpoint.
 * A module of its own, so the health function takes this string and nothing of the generator.
 */
export const TOKEN_URL_PLACEHOLDER = 'https://user-pool-domain.invalid/oauth2/token';
