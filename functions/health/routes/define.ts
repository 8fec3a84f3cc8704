import { routeDefiner } from '#shared/http/route';
import type { HealthDeps } from '../wiring';

export const defineRoute = routeDefiner<HealthDeps>('health');
