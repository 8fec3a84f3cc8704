import { streamingLambdaHandler } from '#shared/http/router';
import { exportRoutes } from './routes/index';
import { exportDeps } from './wiring';

export const handler = streamingLambdaHandler(exportRoutes, exportDeps);
