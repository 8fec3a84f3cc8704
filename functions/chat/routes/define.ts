import { routeDefiner } from '#shared/http/route';
import type { ChatDeps } from '../wiring';

export const defineRoute = routeDefiner<ChatDeps>('chat');
