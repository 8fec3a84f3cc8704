import { getMe } from './get-me';

/** The users group: one Lambda function serves exactly these. */
export const userRoutes = [getMe] as const;
