import { sendMessage } from './send-message';

/** The chat group: one streaming Lambda function serves exactly these. */
export const chatRoutes = [sendMessage] as const;
