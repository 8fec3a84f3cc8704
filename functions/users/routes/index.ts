import { getMe } from './get-me';
import { signOutEverywhere } from './sign-out-everywhere';

/** The users group: one Lambda function serves exactly these. */
export const userRoutes = [getMe, signOutEverywhere] as const;
