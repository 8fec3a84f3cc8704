import { routeDefiner } from '#shared/http/route';
import type { ConversationDeps } from '../wiring';

export const defineRoute = routeDefiner<ConversationDeps>('conversations');
