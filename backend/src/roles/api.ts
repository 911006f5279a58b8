import path from 'node:path';
import { SessionAuth } from '../api/auth.js';
import { RealtimeHub } from '../api/realtime.js';
import { ApiServer, type RouteModule } from '../api/server.js';
import { createEsEventStore } from '../store-es/create.js';
import { eventRoutes } from '../store/routes.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { INSTALL_DIR } from '../platform/paths.js';
import { instanceName, roleBus, type RoleOptions, type RunningRole } from './role.js';
import { LayoutStore } from '../layouts/layout-store.js';
import { layoutRoutes } from '../layouts/routes.js';

export interface ApiRoleOptions extends RoleOptions {
  rendererDir?: string;
}

/**
 * The api role: serves the HTTP/WebSocket API and the UI. Stateless behind a load balancer: state shared between
 * instances lives in Redis (`cluster.redis.url`), searches go to the event store, and each instance reads the live
 * topics in its own consumer group (`instanceName`) so every instance can push every detection to its clients.
 */
export async function startApiRole(options: ApiRoleOptions): Promise<RunningRole> {
  const log = createLogger('roles.api');
  const { config } = options;
  const services = new ServiceHost();
  const bus = roleBus(services, 'api', options);
  const auth = new SessionAuth(options.token);
  const routes: RouteModule[] = [];
  const liveGroup = instanceName('api');

  // --- store (search, facets, histogram; Redis live stats) ---
  if (config.cluster.eventStore.kind === 'elasticsearch') {
    const cameraNames = new Map(config.cameras.map((c) => [c.id, c.name]));
    const es = createEsEventStore(
      config.cluster.eventStore,
      options.dataDir,
      (id) => cameraNames.get(id),
      options.env,
    );
    services.add({ name: 'event-store', start: () => es.setup(), dispose: () => es.dispose() });
    routes.push(eventRoutes({ store: es }));
  }

  // --- named wall layouts (kept in this api instance's data folder) ---
  const layouts = new LayoutStore(path.join(options.dataDir, 'ui', 'layouts.json'));
  layouts.load();
  routes.push(layoutRoutes(layouts));

  // --- realtime (WS /api/ws fed from detections/events/alerts/health; the hub reads in a group of its own) ---
  const realtime = services.add(new RealtimeHub({ bus }));
  routes.push(realtime);

  const api: ApiServer = services.add(
    new ApiServer({
      host: config.server.host,
      port: config.server.port,
      auth,
      mode: 'cluster',
      rendererDir: options.rendererDir ?? path.join(INSTALL_DIR, 'dist', 'renderer'),
      routes,
      health: () => services.health(api),
      kibana: config.cluster.kibana,
    }),
  );

  await services.start();
  log.info({ liveGroup }, 'api role ready');
  return {
    role: 'api',
    bus,
    services,
    get url() {
      return api.url;
    },
    dispose: () => services.dispose(),
  };
}
