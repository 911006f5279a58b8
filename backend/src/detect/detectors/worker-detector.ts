import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createLogger } from '../../platform/log.js';
import type { TfDetectorOptions } from './centernet.js';
import type { WorkerRequest, WorkerResponse } from './detector-worker.js';
import { detectorNames, UnknownDetectorError } from './registry.js';
import type { DetectOptions, DetectResult, ObjectDetector, RgbImage } from '../../contract/detector.js';

const log = createLogger('detect.worker');

/** The worker script next to this file: .ts when run from source (tsx), .js once compiled. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./detector-worker.${ext}`, import.meta.url);
}

function startWorker(): Worker {
  const url = workerUrl();
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  // From source (development, tests): register the TypeScript loader inside the worker before importing it.
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}

/**
 * An object detector running in a worker thread. The main thread only copies the frame over (under a millisecond
 * for 640×480) and stays free for video ingest, the API and live streams while the model runs. The thread runs at
 * a lower priority than the rest of the backend, so detection takes the CPU time that is left over.
 */
export class WorkerDetector implements ObjectDetector {
  readonly #pending = new Map<number, { resolve: (r: DetectResult) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #exited: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly name: string,
    readonly backend: ObjectDetector['backend'],
    readonly inputSize: number,
    /** The detector thread's nice level (Linux), lowered so video and the API come first; undefined elsewhere. */
    readonly nice: number | undefined,
  ) {
    worker.on('message', (msg: WorkerResponse) => {
      if (msg.type === 'result') {
        this.#pending.get(msg.id)?.resolve(msg.result);
        this.#pending.delete(msg.id);
      } else if (msg.type === 'error' && msg.id !== undefined) {
        this.#pending.get(msg.id)?.reject(new Error(msg.message));
        this.#pending.delete(msg.id);
      }
    });
    const fail = (err: Error) => {
      this.#exited = err;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', (err) => {
      log.error({ err }, 'detector worker crashed');
      fail(err);
    });
    worker.on('exit', (code) => fail(new Error(`detector worker exited (code ${code})`)));
  }

  /** Starts a worker thread and loads the named detector in it. Aborting stops the worker at once. */
  static async create(
    name: string,
    options: TfDetectorOptions,
    signal?: AbortSignal,
  ): Promise<WorkerDetector> {
    if (!detectorNames().includes(name)) throw new UnknownDetectorError(name);
    signal?.throwIfAborted();
    const worker = startWorker();
    const onAbort = () => void worker.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let onError: (err: Error) => void = () => {};
      let onExit: (code: number) => void = () => {};
      let onMessage: (msg: WorkerResponse) => void = () => {};
      const ready = await new Promise<Extract<WorkerResponse, { type: 'ready' }>>((resolve, reject) => {
        onError = reject;
        onExit = (code) => reject(new Error(`detector worker exited during start (code ${code})`));
        onMessage = (msg) => {
          if (msg.type === 'ready') resolve(msg);
          else
            reject(new Error(msg.type === 'error' ? msg.message : 'unexpected message from detector worker'));
        };
        worker.on('error', onError).on('exit', onExit).on('message', onMessage);
        const init: WorkerRequest = { type: 'init', name, options };
        worker.postMessage(init);
      }).finally(() => {
        worker.off('error', onError).off('exit', onExit).off('message', onMessage);
        signal?.removeEventListener('abort', onAbort);
      });
      return new WorkerDetector(worker, ready.name, ready.backend, ready.inputSize, ready.nice);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    const copy = image.data.slice(0, image.width * image.height * 3);
    const msg: WorkerRequest = {
      type: 'detect',
      id,
      width: image.width,
      height: image.height,
      data: copy.buffer,
      options,
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.worker.postMessage(msg, [copy.buffer]);
    });
  }

  dispose(): void {
    void this.worker.terminate();
  }
}
