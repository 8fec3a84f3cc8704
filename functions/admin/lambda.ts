import { lambdaHandler } from '#shared/http/router';
import { adminRoutes } from './routes/index';
import { adminDeps } from './wiring';

export const handler = lambdaHandler(adminRoutes, adminDeps);
