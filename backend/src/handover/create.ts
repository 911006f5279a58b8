import path from 'node:path';
import type { Bus } from '../contract/bus.js';
import type { ServiceHost } from '../platform/lifecycle.js';
import { CameraOutageRecorder } from './outages.js';
import { HANDOVERS_DB, SqliteHandoverStore } from './sqlite-store.js';
import type { HandoverStore } from './store.js';

/**
 * The one factory of the handover store (`<data>/handovers.db`) and the recorder of camera outages it reports.
 * Add it before the cameras start, so their first health changes are recorded.
 */
export function createHandovers(
  services: ServiceHost,
  options: { dataDir: string; bus: Bus; group: string },
): HandoverStore {
  const store = new SqliteHandoverStore(path.join(options.dataDir, HANDOVERS_DB));
  services.add({ name: 'handovers', start: async () => {}, dispose: () => store.dispose() });
  services.add(new CameraOutageRecorder({ bus: options.bus, store, group: options.group }));
  return store;
}
