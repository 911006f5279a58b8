// A detect worker for the real-model cluster benchmark: the detect role itself (motion gating, the TF.js detector
// on a worker thread, tracking, events) on Kafka, as `vigil role detect` runs it. Its bus is wrapped only to report
// what it did on stdout: "handled <camera> <seq>" per frame taken from Kafka, "published <id> <phase> <lastTs>" per
// event message the brokers acknowledged, and "stats <json>" (the detection counters) every second.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaBus } from '../../backend/src/bus/kafka-bus.js';
import type { Bus, Topic } from '../../backend/src/contract/bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import { VigilConfig } from '../../backend/src/contract/config.js';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import type { AnalysisFrame } from '../../backend/src/contract/media.js';
import type { DetectionService } from '../../backend/src/detect/service.js';
import { configureLogging } from '../../backend/src/platform/log.js';
import { startRole } from '../../backend/src/roles/role.js';

configureLogging({ level: 'error' });
const [brokers = '', detector = 'centernet'] = process.argv.slice(2);
const out = (line: string) => process.stdout.write(`${line}\n`);

const kafka = new KafkaBus({
  brokers: brokers.split(','),
  clientId: 'vigil-bench-detect',
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  commitIntervalMs: 500,
});
const bus: Bus = {
  async publish<T>(topic: Topic, key: string, message: T) {
    await kafka.publish(topic, key, message);
    if (topic === Topics.events) {
      const e = message as VigilEvent;
      out(`published ${e.id} ${e.phase} ${e.lastTs}`);
    }
  },
  subscribe(topic, handler, options) {
    if (topic !== Topics.frames) return kafka.subscribe(topic, handler, options);
    return kafka.subscribe<AnalysisFrame>(
      topic,
      async (frame, key) => {
        await (handler as (m: AnalysisFrame, k: string) => Promise<void> | void)(frame, key);
        out(`handled ${frame.cameraId} ${frame.seq}`);
      },
      options,
    );
  },
  stats: (topic) => kafka.stats(topic),
  dispose: () => kafka.dispose(),
};

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-detect-'));
const config = VigilConfig.parse({
  cameras: [],
  detect: { detector },
  cluster: { bus: { kind: 'kafka', brokers: brokers.split(',') } },
});
const role = await startRole('detect', { config, dataDir, bus });
const detection = role.services.services.find((s) => s.name === 'detect') as DetectionService;
// Ready once the model has loaded (it loads in the background after the role starts).
while (detection.health().detail === 'detector loading') await new Promise((r) => setTimeout(r, 100));
out(`ready ${JSON.stringify(detection.health())}`);
const report = setInterval(() => {
  const s = detection.stats();
  out(`stats ${JSON.stringify({ ...s, eventLatency: detection.eventLatency() })}`);
}, 1000);
process.on('SIGTERM', () => {
  clearInterval(report);
  void role.dispose().then(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
