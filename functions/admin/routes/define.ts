import { routeDefiner } from '#shared/http/route';
import type { AdminDeps } from '../wiring';

export const defineRoute = routeDefiner<AdminDeps>('admin');
