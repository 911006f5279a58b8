import { startApiRole } from './api.js';
import { startDetectRole } from './detect.js';
import { startEventsRole } from './events.js';
import { startIngestRole } from './ingest.js';
import type { RoleName, RoleOptions, RunningRole } from './role.js';

/** Starts one role of the cluster pipeline. */
export function startRole(role: RoleName, options: RoleOptions): Promise<RunningRole> {
  switch (role) {
    case 'ingest':
      return startIngestRole(options);
    case 'detect':
      return startDetectRole(options);
    case 'events':
      return startEventsRole(options);
    case 'api':
      return startApiRole(options);
  }
}
