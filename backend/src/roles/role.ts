import { hostname } from 'node:os';
import type { Bus } from '../contract/bus.js';
import type { VigilConfig } from '../contract/config.js';
import type { RuntimeReport } from '../platform/binaries.js';
import type { ServiceHost } from '../platform/lifecycle.js';
import { createBus } from './cluster-bus.js';

/** The separately deployable parts of the pipeline. Each can run as several instances. */
export const ROLE_NAMES = ['ingest', 'detect', 'events', 'api'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** Consumer groups: one per role, so each message is handled once per role, by one of its instances. */
export const ROLE_GROUPS = {
  detect: 'vigil-detect',
  events: 'vigil-events',
} as const;

export interface RoleOptions {
  config: VigilConfig;
  dataDir: string;
  runtime?: RuntimeReport;
  /** Session token (all api instances behind one load balancer share it). */
  token?: string;
  /** A bus to use instead of the configured one (tests, benchmarks). */
  bus?: Bus;
  env?: NodeJS.ProcessEnv;
}

/** A running role instance. */
export interface RunningRole {
  readonly role: RoleName;
  readonly bus: Bus;
  readonly services: ServiceHost;
  /** The HTTP address, for roles that serve one. */
  readonly url?: string;
  dispose(): Promise<void>;
}

/** A name unique to this process, for per-instance consumer groups (every api instance sees every message). */
export function instanceName(role: RoleName): string {
  return `${role}-${hostname()}-${process.pid}`;
}

/** Creates the role's bus (unless injected) and registers it as the first service, so it is disposed last. */
export function roleBus(services: ServiceHost, role: RoleName, options: RoleOptions): Bus {
  const bus = options.bus ?? createBus(options.config.cluster.bus, role, options.env);
  services.add({ name: 'bus', start: async () => {}, dispose: () => bus.dispose() });
  return bus;
}
