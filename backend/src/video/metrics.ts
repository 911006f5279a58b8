import client from 'prom-client';
import type { CameraStatus } from '../contract/video-api.js';

type StatusSource = () => CameraStatus[];
const sources = new Set<StatusSource>();
let registered = false;
let segmentsCounter: client.Counter<'camera'> | undefined;
let deletedCounter: client.Counter<'reason'> | undefined;

/** Registers the video metrics once per process (default registry); every running video service feeds them. */
export function videoMetrics(source: StatusSource): {
  segment(cameraId: string): void;
  deleted(bytes: number, reason: string): void;
  dispose(): void;
} {
  sources.add(source);
  if (!registered) {
    registered = true;
    const all = (): CameraStatus[] => [...sources].flatMap((s) => s());
    const states: CameraStatus['state'][] = ['starting', 'streaming', 'reconnecting', 'failed', 'disabled'];
    new client.Gauge({
      name: 'vigil_camera_state',
      help: 'Camera health: 1 for the state the camera is in.',
      labelNames: ['camera', 'state'],
      collect() {
        this.reset();
        for (const s of all())
          for (const st of states) this.set({ camera: s.id, state: st }, s.state === st ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'vigil_camera_fps_in',
      help: 'Frames per second received from the camera.',
      labelNames: ['camera'],
      collect() {
        this.reset();
        for (const s of all()) this.set({ camera: s.id }, s.fpsIn);
      },
    });
    new client.Gauge({
      name: 'vigil_camera_fps_out',
      help: 'Analysis frames per second handed to detection.',
      labelNames: ['camera'],
      collect() {
        this.reset();
        for (const s of all()) this.set({ camera: s.id }, s.fpsOut);
      },
    });
    new client.Gauge({
      name: 'vigil_camera_bytes_in',
      help: 'Video bytes received from the camera since the backend started.',
      labelNames: ['camera'],
      collect() {
        this.reset();
        for (const s of all()) this.set({ camera: s.id }, s.bytesIn);
      },
    });
    segmentsCounter = new client.Counter({
      name: 'vigil_recording_segments_total',
      help: 'Recorded segments stored.',
      labelNames: ['camera'],
    });
    deletedCounter = new client.Counter({
      name: 'vigil_retention_deleted_bytes_total',
      help: 'Bytes of footage deleted by retention, by reason.',
      labelNames: ['reason'],
    });
  }
  return {
    segment: (cameraId) => segmentsCounter?.inc({ camera: cameraId }),
    deleted: (bytes, reason) => deletedCounter?.inc({ reason }, bytes),
    dispose: () => void sources.delete(source),
  };
}
