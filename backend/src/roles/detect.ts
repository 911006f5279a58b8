import { SharedDetectSettings } from '../detect/shared-settings.js';
import type { ObjectDetector } from '../contract/detector.js';
import { DetectionService } from '../detect/service.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { ROLE_GROUPS, roleBus, roleMetricsServer, type RoleOptions, type RunningRole } from './role.js';

export interface DetectRoleOptions extends RoleOptions {
  /** A detector already loaded, instead of loading the configured one (tests, benchmarks). */
  detector?: ObjectDetector;
}

/**
 * The detect role: consumes `vigil.frames.v1` in the `vigil-detect` consumer group (each frame goes to one
 * instance; a camera's frames stay on one instance between rebalances, so tracking keeps its state), runs
 * detection and tracking, and publishes `vigil.detections.v1`, `vigil.events.v1` and `vigil.alerts.v1`.
 * Add instances to analyse more cameras; up to the partition count of the frames topic.
 */
export async function startDetectRole(options: DetectRoleOptions): Promise<RunningRole> {
  const log = createLogger('roles.detect');
  const services = new ServiceHost();
  const bus = roleBus(services, 'detect', options);
  roleMetricsServer(services, 'detect', options.config.cluster.metricsPort);

  // --- detection (motion, objects, tracking, events, alerts; group ROLE_GROUPS.detect) ---
  // Zones and alert rules come from the settings topic, which every detect instance replays before it analyses
  // a frame and then follows: whichever instance a camera lands on has its zones, including after a rebalance.
  services.add(
    new DetectionService({
      config: options.config.detect,
      bus,
      dataDir: options.dataDir,
      group: ROLE_GROUPS.detect,
      settings: new SharedDetectSettings(bus, 'detect'),
      ...(options.detector ? { detector: options.detector } : {}),
    }),
  );

  await services.start();
  log.info(
    { detector: options.config.detect.enabled ? options.config.detect.detector : 'off' },
    'detect role ready',
  );
  return { role: 'detect', bus, services, dispose: () => services.dispose() };
}
