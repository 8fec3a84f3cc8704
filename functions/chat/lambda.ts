import { streamingLambdaHandler } from '#shared/http/router';
import { chatRoutes } from './routes/index';
import { chatDeps } from './wiring';

export const handler = streamingLambdaHandler(chatRoutes, chatDeps);
