import { routeDefiner } from '#shared/http/route';
import type { ExportDeps } from '../wiring';

export const defineRoute = routeDefiner<ExportDeps>('exports');
