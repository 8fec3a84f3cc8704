import { routeDefiner } from '#shared/http/route';
import type { UserDeps } from '../wiring';

export const defineRoute = routeDefiner<UserDeps>('users');
