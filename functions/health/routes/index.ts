import { getLiveness } from './get-liveness';
import { getOpenApi } from './get-openapi';
import { getReadiness } from './get-readiness';

/** The health group: one Lambda function serves exactly these. */
export const healthRoutes = [getLiveness, getReadiness, getOpenApi] as const;
