import { lambdaHandler } from '#shared/http/router';
import { healthRoutes } from './routes/index';
import { healthDeps } from './wiring';

export const handler = lambdaHandler(healthRoutes, healthDeps);
