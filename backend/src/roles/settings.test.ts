import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/fixtures/backend.js';
import {
  camerasOnDistinctPartitions,
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { DelegatingDetector } from '../../../test/helpers/detector.js';
import { decodeFrames, VTEST_H264, videoFramesAvailable } from '../../../test/fixtures/video-frames.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { Topics } from '../contract/bus.js';
import { VigilConfig } from '../contract/config.js';
import type { AlertRule, CameraZones } from '../contract/detect-api.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { AnalysisFrame } from '../contract/media.js';
import { createDetector } from '../detect/detectors/registry.js';
import type { DetectOptions, ObjectDetector, RgbImage } from '../contract/detector.js';
import type { DetectionService } from '../detect/service.js';
import { startRole, type RunningRole } from './role.js';

const skip =
  skipWithout('the Kafka mock cluster (librdkafka)', kafkaMockAvailable(), KAFKA_MOCK_INSTALL_HINT) ||
  skipWithout('ffmpeg and vtest-h264.mp4', videoFramesAvailable(VTEST_H264), 'sudo apt-get install ffmpeg');

const TOKEN = 'settings-test-token-0123456789';
const PARTITIONS = 4;

/** One real model shared by the detect instances of this process; calls run one at a time, as in one worker. */
class SharedDetector extends DelegatingDetector {
  #chain: Promise<unknown> = Promise.resolve();
  override detect(image: RgbImage, options: DetectOptions) {
    const run = this.#chain.then(() => super.detect(image, options));
    this.#chain = run.catch(() => {});
    return run;
  }
}

const detectionOf = (role: RunningRole) =>
  role.services.services.find((s) => s.name === 'detect') as DetectionService;

/** Cameras an instance has analysed frames of. */
const camerasOf = (role: RunningRole) =>
  Object.entries(detectionOf(role).stats().perCamera)
    .filter(([, s]) => s.framesAnalysed > 0)
    .map(([id]) => id);

describe.skipIf(skip)(
  'zones and alert rules shared by the api role and every detect instance (librdkafka mock cluster, real footage, real model)',
  () => {
    let kafka: KafkaHandle;
    let model: ObjectDetector;
    let detector: ObjectDetector;
    let footage: AnalysisFrame[];
    beforeAll(async () => {
      kafka = await startKafka({ partitions: PARTITIONS });
      model = await createDetector('centernet', { backend: 'auto' });
      detector = new SharedDetector(model);
      footage = await decodeFrames(VTEST_H264, { width: 640, fps: 2, durationSec: 12 });
    }, 120_000);
    afterAll(async () => {
      model?.dispose();
      await kafka?.stop();
    });

    it('applies a zone and an alert rule changed through the api role on both detect instances, and on one started later', async () => {
      const run = randomUUID().slice(0, 8);
      const cameras = camerasOnDistinctPartitions(PARTITIONS, `${run}-cam`);
      const bus = kafka.busConfig();
      const config = VigilConfig.parse({ cameras: [], server: { port: 0 }, cluster: { bus } });

      const observer = new KafkaBus({
        brokers: kafka.brokers,
        clientId: 'vigil-test-observer',
        topicPrefix: kafka.topicPrefix,
      });
      const events: VigilEvent[] = [];
      const alerts: VigilAlert[] = [];
      await observer.subscribe<VigilEvent>(
        Topics.events,
        (e) => void (e.cameraId.startsWith(run) && events.push(e)),
        { group: `observer-${run}` },
      );
      await observer.subscribe<VigilAlert>(
        Topics.alerts,
        (a) => void (a.cameraId.startsWith(run) && alerts.push(a)),
        { group: `observer-${run}` },
      );

      const api = await startRole('api', {
        config,
        dataDir: tempHome(),
        token: TOKEN,
        rendererDir: tempHome(),
      });
      const [a, b] = await Promise.all([
        startRole('detect', { config, dataDir: tempHome(), detector }),
        startRole('detect', { config, dataDir: tempHome(), detector }),
      ]);
      let c: RunningRole | undefined;

      // Frames of every camera, round after round, stamped with the time they are sent (the footage loops).
      let round = 0;
      let publishing = true;
      const pump = (async () => {
        while (publishing) {
          const frame = footage[round % footage.length] as AnalysisFrame;
          const ts = Date.now();
          await Promise.all(
            cameras.map((cameraId) =>
              observer.publish(Topics.frames, cameraId, { ...frame, cameraId, ts, seq: round }),
            ),
          );
          round++;
          await new Promise((r) => setTimeout(r, 500));
        }
      })();

      const call = async (method: string, route: string, body?: unknown) => {
        const res = await fetch(`${api.url}${route}`, {
          method,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as unknown) };
      };
      const waitFor = async (cond: () => boolean, what: string, timeoutMs: number) => {
        const deadline = Date.now() + timeoutMs;
        while (!cond()) {
          if (Date.now() > deadline)
            throw new Error(
              `timed out waiting for ${what}; ${events.length} events (${events.filter((e) => e.zones.includes('Plaza')).length} in Plaza), ` +
                `${alerts.length} alerts, ${round} rounds sent; A analysed ${camerasOf(a)}, B ${camerasOf(b)}${c ? `, C ${camerasOf(c)}` : ''}`,
            );
          await new Promise((r) => setTimeout(r, 200));
        }
      };

      try {
        // The whole frame is the "Plaza" zone, on every camera: every person event enters it.
        const plaza: CameraZones = {
          zones: [
            {
              name: 'Plaza',
              points: [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            },
          ],
          masks: [],
        };
        // Same validation as a single site.
        const bad = await call('PUT', `/api/cameras/${cameras[0]}/zones`, {
          zones: [{ name: 'x', points: [] }],
        });
        expect(bad.status).toBe(400);
        for (const cam of cameras) {
          const put = await call('PUT', `/api/cameras/${cam}/zones`, plaza);
          expect(put.status).toBe(200);
        }
        expect((await call('GET', `/api/cameras/${cameras[0]}/zones`)).body).toEqual(plaza);
        const posted = await call('POST', '/api/alert-rules', {
          id: `${run}-plaza`,
          name: 'Person in the plaza',
          label: 'person',
          zone: 'Plaza',
        });
        expect(posted.status).toBe(201);
        const rule = posted.body as AlertRule;

        // Every detect instance has every camera's zones and the rule, not only the cameras it analyses now.
        await waitFor(
          () =>
            [a, b].every(
              (r) =>
                cameras.every((cam) => detectionOf(r).settings.zones(cam).zones[0]?.name === 'Plaza') &&
                detectionOf(r)
                  .settings.alertRules()
                  .some((x) => x.id === rule.id),
            ),
          'the settings on both detect instances',
          20_000,
        );

        // Events made by either instance carry the zone, and the rule raises alerts.
        const inPlaza = (cams: string[]) =>
          events.some((e) => cams.includes(e.cameraId) && e.zones.includes('Plaza'));
        await waitFor(
          () =>
            camerasOf(a).length > 0 &&
            camerasOf(b).length > 0 &&
            inPlaza(camerasOf(a)) &&
            inPlaza(camerasOf(b)),
          'Plaza events from both detect instances',
          120_000,
        );
        await waitFor(() => alerts.some((x) => x.ruleId === rule.id), 'an alert of the new rule', 60_000);
        expect(alerts.find((x) => x.ruleId === rule.id)).toMatchObject({ zone: 'Plaza', label: 'person' });

        // Both instances leave; one started after the change reads it from the settings topic.
        await Promise.all([a.dispose(), b.dispose()]);
        const lateStart = Date.now();
        c = await startRole('detect', { config, dataDir: tempHome(), detector });
        const late = c;
        expect(detectionOf(late).settings.zones(cameras[1] as string)).toEqual(plaza);
        expect(
          detectionOf(late)
            .settings.alertRules()
            .map((x) => x.id),
        ).toContain(rule.id);
        await waitFor(
          () => events.some((e) => e.startTs >= lateStart && e.zones.includes('Plaza')),
          'a Plaza event from the detect instance started later',
          120_000,
        );
        expect(camerasOf(late).length).toBeGreaterThan(0);
      } finally {
        publishing = false;
        await pump.catch(() => {});
        await Promise.all([a.dispose(), b.dispose(), c?.dispose(), api.dispose()]);
        await observer.dispose();
      }
    }, 420_000);
  },
);
