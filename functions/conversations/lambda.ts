import { lambdaHandler } from '#shared/http/router';
import { conversationRoutes } from './routes/index';
import { conversationDeps } from './wiring';

export const handler = lambdaHandler(conversationRoutes, conversationDeps);
