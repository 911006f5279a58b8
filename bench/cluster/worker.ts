// A detect worker for the cluster benchmark: consumes analysis frames from Kafka in the detect group, runs a stub
// detector that burns a fixed amount of CPU per frame (no model: the figure measures the pipeline, not inference),
// and publishes one detection and one event update per frame. Prints "handled <camera> <seq>" per frame.
import { KafkaBus } from '../../backend/src/bus/kafka-bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import type { AnalysisFrame, FrameDetections } from '../../backend/src/contract/media.js';
import { configureLogging } from '../../backend/src/platform/log.js';

configureLogging({ level: 'error' });
const [brokers = '', costMs = '20'] = process.argv.slice(2);
const FRAMES_PER_EVENT = 10;

function burn(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x * 31 + 7) % 1_000_003;
  return x;
}

const bus = new KafkaBus({
  brokers: brokers.split(','),
  clientId: 'vigil-bench-detect',
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  commitIntervalMs: 500,
  startFrom: { [Topics.frames]: 'earliest' },
});
await bus.subscribe<AnalysisFrame>(
  Topics.frames,
  async (frame) => {
    burn(Number(costMs));
    const box: [number, number, number, number] = [0.2, 0.2, 0.4, 0.8];
    const detections: FrameDetections = {
      cameraId: frame.cameraId,
      ts: frame.ts,
      width: frame.width,
      height: frame.height,
      detections: [{ label: 'person', score: 0.9, box }],
    };
    const track = Math.floor(frame.seq / FRAMES_PER_EVENT);
    const event: VigilEvent = {
      id: `${frame.cameraId}:${track}:person`,
      cameraId: frame.cameraId,
      label: 'person',
      phase: frame.seq % FRAMES_PER_EVENT === 0 ? 'start' : 'update',
      startTs: frame.ts,
      lastTs: frame.ts,
      topScore: 0.9,
      box,
      zones: [],
      path: [{ ts: frame.ts, box, score: 0.9 }],
    };
    await bus.publish(Topics.detections, frame.cameraId, detections);
    await bus.publish(Topics.events, frame.cameraId, event);
    process.stdout.write(`handled ${frame.cameraId} ${frame.seq}\n`);
  },
  { group: 'vigil-detect', concurrency: 4 },
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void bus.dispose().then(() => process.exit(0)));
