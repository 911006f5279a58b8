import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import client from 'prom-client';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempHome } from '../../../test/fixtures/backend.js';
import {
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import { freeTcpPort } from '../../../test/fixtures/ports.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { VTEST_H264, videoFramesAvailable } from '../../../test/fixtures/video-frames.js';
import { VigilConfig, type VigilConfigInput } from '../contract/config.js';
import type { EventSearchResponse } from '../contract/events-api.js';
import type { EventStoreService } from '../store/service.js';
import { startRole, type RunningRole } from './role.js';

const skip =
  skipWithout('the Kafka mock cluster (librdkafka)', kafkaMockAvailable(), KAFKA_MOCK_INSTALL_HINT) ||
  skipWithout('ffmpeg and vtest-h264.mp4', videoFramesAvailable(VTEST_H264), 'sudo apt-get install ffmpeg');

/** Polls an async condition (errors count as "not yet"). */
async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const TOKEN = 'pipeline-test-token-0123456789';

/** The detect role as its own process (`vigil role detect --config …`), as deployed. */
async function spawnDetectRole(
  config: VigilConfigInput,
): Promise<{ proc: ChildProcess; home: string; output: () => string; stop: () => Promise<void> }> {
  const home = tempHome('vigil-detect-role-');
  const file = path.join(home, 'config.yaml');
  fs.writeFileSync(file, YAML.stringify(config));
  let out = '';
  const proc = fork(CLI, ['role', 'detect', '--config', file], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, VIGIL_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`detect role not ready:\n${out}`)), 45_000);
    proc.on('message', (m: { type?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`detect role exited with ${code}:\n${out}`));
    });
  });
  proc.removeAllListeners('exit');
  return {
    proc,
    home,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  return sum;
}

describe.skipIf(skip)('cluster pipeline on the librdkafka mock cluster (real footage, real model)', () => {
  let kafka: KafkaHandle;
  const homes: string[] = [];
  beforeAll(async () => {
    kafka = await startKafka({ partitions: 2 });
  });
  afterAll(async () => {
    await kafka?.stop();
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  });

  it('ingest role → Kafka → detect role process → Kafka → events role stores person events in SQLite; the ingest role serves its cameras', async () => {
    const bus = kafka.busConfig();
    const detectMetricsPort = await freeTcpPort();
    const detect = await spawnDetectRole({
      cameras: [],
      cluster: { bus, metricsPort: detectMetricsPort },
    });
    homes.push(detect.home);
    let events: RunningRole | undefined;
    let ingest: RunningRole | undefined;
    try {
      // The model loads in the background after the role reports ready.
      await waitFor(
        async () => {
          const h = (await (await fetch(`http://127.0.0.1:${detectMetricsPort}/healthz`)).json()) as {
            services: Record<string, { detail?: string }>;
          };
          return h.services.detect?.detail !== 'detector loading';
        },
        'the detect role loaded its model',
        40_000,
      );

      const eventsHome = tempHome('vigil-events-role-');
      homes.push(eventsHome);
      events = await startRole('events', {
        config: VigilConfig.parse({ cameras: [], cluster: { bus } }),
        dataDir: eventsHome,
      });
      const store = (events.services.services.find((s) => s.name === 'store') as EventStoreService).store;

      const ingestHome = tempHome('vigil-ingest-role-');
      homes.push(ingestHome);
      const t0 = Date.now();
      ingest = await startRole('ingest', {
        config: VigilConfig.parse({
          server: { port: 0 },
          cameras: [
            {
              id: 'plaza',
              name: 'Plaza',
              main: { kind: 'file', path: VTEST_H264, loop: true },
              record: true,
              analysis: { fps: 2, width: 640 },
            },
          ],
          cluster: { bus },
        }),
        dataDir: ingestHome,
        token: TOKEN,
      });

      // Person events detected in the detect process arrive in the events role's SQLite store.
      let found: EventSearchResponse | undefined;
      await waitFor(
        async () => {
          found = await store.search({
            from: 0,
            to: Date.now() + 3_600_000,
            cameras: ['plaza'],
            labels: ['person'],
            zones: [],
            terms: [],
            sort: 'oldest',
            limit: 50,
          });
          return found.items.length >= 2;
        },
        'person events stored',
        60_000,
      );
      const firstEventMs = Date.now() - t0;
      const framesAnalysed = await metric(detectMetricsPort, 'vigil_detect_frames_analysed_total');
      expect(framesAnalysed).toBeGreaterThan(0);
      expect(found?.items.every((e) => e.cameraId === 'plaza' && e.label === 'person')).toBe(true);
      console.info(
        `cluster pipeline: ${found?.items.length} person events stored ${firstEventMs} ms after ingest start; ` +
          `${framesAnalysed} frames analysed in the detect role`,
      );

      // Live view and clips come from the ingest role's own port, behind the shared session token.
      const url = ingest.url ?? '';
      expect((await fetch(`${url}/api/cameras`)).status).toBe(401);
      const cams = (await (
        await fetch(`${url}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as Array<{ id: string; state: string }>;
      expect(cams).toEqual([expect.objectContaining({ id: 'plaza', state: 'streaming' })]);
      const snap = await fetch(`${url}/api/cameras/plaza/snapshot.jpg`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(snap.status).toBe(200);
      expect(Buffer.from(await snap.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    } catch (err) {
      const frames = await metric(detectMetricsPort, 'vigil_detect_frames_total').catch(() => -1);
      const analysed = await metric(detectMetricsPort, 'vigil_detect_frames_analysed_total').catch(() => -1);
      const detectMetricsText = await (
        await fetch(`http://127.0.0.1:${detectMetricsPort}/metrics`)
      )
        .text()
        .catch(() => '');
      const interesting = (t: string) =>
        t
          .split('\n')
          .filter((l) => /^vigil_(bus_kafka|detect_events)/.test(l))
          .join('\n');
      throw new Error(
        `${(err as Error).message}; detect role: ${frames} frames in, ${analysed} analysed\n` +
          `detect role metrics:\n${interesting(detectMetricsText)}\nthis process:\n${interesting(await client.register.metrics())}\n` +
          `detect log:\n${detect.output().slice(-4000)}`,
        { cause: err },
      );
    } finally {
      await ingest?.dispose();
      await events?.dispose();
      await detect.stop();
    }
  }, 120_000);
});
