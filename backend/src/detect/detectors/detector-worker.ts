// Runs an object detector in a worker thread: inference takes hundreds of milliseconds of synchronous work, which
// on the main thread would stall video ingest, the API and live streams.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { createDetector } from './registry.js';
import type { TfDetectorOptions } from './centernet.js';
import type { DetectOptions, ObjectDetector } from '../../contract/detector.js';

export type WorkerRequest =
  | { type: 'init'; name: string; options: TfDetectorOptions }
  | {
      type: 'detect';
      id: number;
      width: number;
      height: number;
      data: ArrayBuffer;
      options: DetectOptions;
    };

export type WorkerResponse =
  | {
      type: 'ready';
      name: string;
      backend: ObjectDetector['backend'];
      inputSize: number;
      /** The thread's nice level, when it could be lowered. */
      nice?: number;
    }
  | { type: 'error'; id?: number; message: string }
  | { type: 'result'; id: number; result: Awaited<ReturnType<ObjectDetector['detect']>> };

const port = parentPort;
if (!port) throw new Error('detector-worker must run in a worker thread');

/** How much lower than the rest of the backend detector threads run (nice levels, Linux). */
const DETECTOR_NICE = 10;

/**
 * Lowers this thread's scheduling priority, so that on a busy machine video ingest, recording, live video and the
 * API are served first and detection takes the CPU time left over. Linux keeps a nice level per thread; elsewhere
 * (or without /proc) the thread keeps the process's priority.
 */
function lowerPriority(): number | undefined {
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    if (!Number.isInteger(tid) || tid === process.pid) return undefined;
    os.setPriority(tid, Math.min(19, os.getPriority(tid) + DETECTOR_NICE));
    return os.getPriority(tid);
  } catch {
    return undefined;
  }
}
const nice = lowerPriority();
let detector: ObjectDetector | undefined;

port.on('message', (msg: WorkerRequest) => {
  void (async () => {
    if (msg.type === 'init') {
      try {
        detector = await createDetector(msg.name, msg.options);
        const ready: WorkerResponse = {
          type: 'ready',
          name: detector.name,
          backend: detector.backend,
          inputSize: detector.inputSize,
          ...(nice !== undefined ? { nice } : {}),
        };
        port.postMessage(ready);
      } catch (err) {
        port.postMessage({ type: 'error', message: (err as Error).message } satisfies WorkerResponse);
      }
      return;
    }
    try {
      if (!detector) throw new Error('detector not initialised');
      const image = { width: msg.width, height: msg.height, data: new Uint8Array(msg.data) };
      const result = await detector.detect(image, msg.options);
      port.postMessage({ type: 'result', id: msg.id, result } satisfies WorkerResponse);
    } catch (err) {
      port.postMessage({
        type: 'error',
        id: msg.id,
        message: (err as Error).message,
      } satisfies WorkerResponse);
    }
  })();
});
