import { exportConversation } from './export-conversation';
import { regenerateReply } from './regenerate-reply';
import { sendMessage } from './send-message';

/** The chat group: one streaming Lambda function serves exactly these (replies and exports). */
export const chatRoutes = [sendMessage, regenerateReply, exportConversation] as const;
