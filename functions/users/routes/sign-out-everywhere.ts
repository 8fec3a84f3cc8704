import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';

export const signOutEverywhere = defineRoute(
  {
    id: 'me.sign-out',
    method: 'POST',
    path: '/api/me/sign-out',
    summary: "Sign out everywhere: the caller's access tokens are refused from the next request on",
    access: 'signed-in',
    responses: { 204: { description: 'Signed out everywhere' } },
  },
  async ({ caller, requestId }, { signOutEverywhere: signOut }) => {
    await signOut(caller, requestId);
    return noContent();
  },
);
