import { regenerateReply } from './regenerate-reply';
import { sendMessage } from './send-message';

/** The chat group: one streaming Lambda function serves exactly these (the model's replies). */
export const chatRoutes = [sendMessage, regenerateReply] as const;
