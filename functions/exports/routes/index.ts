import { exportConversation } from './export-conversation';

/**
 * The exports group: one streaming Lambda function of its own, so a long download neither holds
 * the chat function's concurrency nor moves its duration alarm, and runs without the model's key.
 */
export const exportRoutes = [exportConversation] as const;
