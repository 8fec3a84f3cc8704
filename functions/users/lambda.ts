import { lambdaHandler } from '#shared/http/router';
import { userRoutes } from './routes/index';
import { userDeps } from './wiring';

export const handler = lambdaHandler(userRoutes, userDeps);
