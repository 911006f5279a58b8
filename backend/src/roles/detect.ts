import { SharedDetectSettings } from '../detect/shared-settings.js';
import type { ObjectDetector } from '../contract/detector.js';
import { DetectionService } from '../detect/service.js';
import { ROLE_GROUPS } from '../bus/create.js';
import type { StageContracts } from './contracts.js';

export interface DetectStageOptions {
  /** Cluster: zones and rules from the shared settings topic, frames read in the `vigil-detect` group. */
  shared: boolean;
  /** A detector already loaded, instead of loading the configured one (tests, benchmarks). */
  detector?: ObjectDetector;
}

/**
 * The detect stage: motion, objects, tracking, events, alerts and incidents from the analysis frames on the bus.
 *
 * In a cluster (`shared`) it reads `vigil.frames.v1` in the `vigil-detect` consumer group (each frame goes to one
 * instance; a camera's frames stay on one instance between rebalances, so tracking keeps its state), and its zones
 * and alert rules come from the settings topic, which every detect instance replays before it analyses a frame and
 * then follows: whichever instance a camera lands on has its zones, including after a rebalance. Add instances to
 * analyse more cameras; up to the partition count of the frames topic.
 */
export function detectStage(c: StageContracts, options: DetectStageOptions): DetectionService {
  if (!options.shared)
    return c.services.add(new DetectionService({ config: c.config.detect, bus: c.bus, dataDir: c.dataDir }));
  return c.services.add(
    new DetectionService({
      config: c.config.detect,
      bus: c.bus,
      dataDir: c.dataDir,
      group: ROLE_GROUPS.detect,
      settings: new SharedDetectSettings(c.bus, 'detect'),
      ...(options.detector ? { detector: options.detector } : {}),
    }),
  );
}
