/**
 * How long a Cognito access token lives, for people and machine clients alike (the user pool
 * clients' `accessTokenValidity`, set from this in lib/stacks/auth-stack.ts). The API verifies
 * tokens offline, so whatever must outlast every token issued before a moment (erasing a user)
 * waits this long after it.
 */
export const ACCESS_TOKEN_MINUTES = 60;
