import { getInstructions } from './get-instructions';
import { getMe } from './get-me';
import { setInstructions } from './set-instructions';
import { signOutEverywhere } from './sign-out-everywhere';

/** The users group: one Lambda function serves exactly these. */
export const userRoutes = [getMe, signOutEverywhere, getInstructions, setInstructions] as const;
