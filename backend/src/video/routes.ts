import type { AuditRecorder } from '../audit/recorder.js';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import type { ApiError } from '../contract/api.js';
import type { HoldRequest } from '../contract/video-api.js';
import { VideoRoutes } from '../contract/video-api.js';
import type { RouteModule } from '../api/server.js';
import { mayUseCamera } from '../api/scope.js';
import type { CameraRight } from '../contract/people.js';
import { VideoRequestError, type VideoService } from './video-service.js';
import { encodeJpeg } from '../platform/jpeg.js';
import { byteRange } from './seekable-clips.js';
import fs from 'node:fs';

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof VideoRequestError) {
    const body: ApiError = { error: err.code, message: err.message };
    if (err.field) body.field = err.field;
    return reply.code(err.statusCode).send(body);
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.');
    const body: ApiError = {
      error: 'bad_request',
      message: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid camera'}`,
    };
    if (field) body.field = field;
    return reply.code(400).send(body);
  }
  throw err;
}

function timeParam(value: unknown, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n))
    throw new VideoRequestError(400, 'bad_request', `"${name}" must be a time in ms since the epoch.`, name);
  return n;
}

/**
 * Routes of the video area (see VideoRoutes). With a recorder, camera changes, playback and each live view (opened
 * and closed, per camera) are audited.
 */
export function videoRoutes(video: VideoService, audit?: AuditRecorder): RouteModule {
  return {
    name: 'video',
    async register(app: FastifyInstance) {
      if (!app.hasDecorator('websocketServer')) await app.register(fastifyWebsocket);

      // A camera the caller has no right on answers as if it did not exist.
      const requireRight = (req: FastifyRequest, id: string, right?: CameraRight) => {
        if (!mayUseCamera(req, id, right))
          throw new VideoRequestError(404, 'not_found', `No camera "${id}".`, 'id');
      };

      app.get(VideoRoutes.cameras, async (req) => video.statuses().filter((c) => mayUseCamera(req, c.id)));
      app.get<{ Params: { id: string } }>(VideoRoutes.camera, async (req, reply) => {
        try {
          requireRight(req, req.params.id);
          return video.detail(req.params.id);
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.post(VideoRoutes.cameras, async (req, reply) => {
        try {
          const added = await video.addCamera(req.body);
          await audit?.recordAfter(req, 'camera-change', { camera: added.id, detail: { change: 'added' } });
          return reply.code(201).send(added);
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.put<{ Params: { id: string } }>(VideoRoutes.camera, async (req, reply) => {
        try {
          video.refuseIfSetInConfigFile(req.params.id, 'changed');
          const updated = await video.updateCamera(req.params.id, req.body);
          await audit?.recordAfter(req, 'camera-change', {
            camera: req.params.id,
            detail: { change: 'changed' },
          });
          return updated;
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.delete<{ Params: { id: string } }>(VideoRoutes.camera, async (req, reply) => {
        try {
          video.refuseIfSetInConfigFile(req.params.id, 'removed');
          await video.removeCamera(req.params.id);
          await audit?.recordAfter(req, 'camera-change', {
            camera: req.params.id,
            detail: { change: 'removed' },
          });
          return reply.code(204).send();
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.post<{ Body: { source?: unknown; cameraId?: unknown; stream?: unknown } }>(
        VideoRoutes.probe,
        async (req, reply) => {
          try {
            const body = req.body ?? {};
            const cameraId = typeof body.cameraId === 'string' ? body.cameraId : undefined;
            const stream = body.stream === 'sub' ? 'sub' : 'main';
            return await video.probe(body.source, cameraId, stream);
          } catch (err) {
            return sendError(reply, err);
          }
        },
      );
      app.get<{ Params: { id: string } }>(VideoRoutes.snapshot, async (req, reply) => {
        try {
          requireRight(req, req.params.id, 'live');
          const frame = video.camera(req.params.id).latestFrame;
          if (!frame)
            throw new VideoRequestError(404, 'no_frame', 'The camera has not delivered a frame yet.');
          const out = await encodeJpeg(frame, 80);
          return reply.type('image/jpeg').header('cache-control', 'no-store').send(out);
        } catch (err) {
          return sendError(reply, err);
        }
      });

      app.get<{ Params: { id: string } }>(VideoRoutes.live, { websocket: true }, (socket, req) => {
        let cam;
        try {
          requireRight(req, req.params.id, 'live');
          cam = video.camera(req.params.id);
        } catch {
          socket.close(4404, 'no such camera');
          return;
        }
        const remove = cam.live.add(socket);
        // A guard's live view is never refused for want of an audit entry; a failed write shows in health.
        const camera = req.params.id;
        const openedTs = Date.now();
        void audit?.recordAfter(req, 'live-start', { camera });
        let closed = false;
        const close = () => {
          remove();
          if (closed) return;
          closed = true;
          void audit?.recordAfter(req, 'live-stop', {
            camera,
            detail: { seconds: Math.round((Date.now() - openedTs) / 1000) },
          });
        };
        socket.on('close', close);
        socket.on('error', close);
      });

      app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
        VideoRoutes.recordings,
        async (req, reply) => {
          try {
            requireRight(req, req.params.id, 'recordings');
            const to = timeParam(req.query.to, 'to', Date.now());
            const from = timeParam(req.query.from, 'from', to - 86_400_000);
            return video.recordings(req.params.id, from, to);
          } catch (err) {
            return sendError(reply, err);
          }
        },
      );

      app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
        VideoRoutes.timeline,
        async (req, reply) => {
          try {
            requireRight(req, req.params.id, 'recordings');
            const to = timeParam(req.query.to, 'to', Date.now());
            const from = timeParam(req.query.from, 'from', to - 86_400_000);
            return video.timeline(req.params.id, from, to);
          } catch (err) {
            return sendError(reply, err);
          }
        },
      );

      app.get<{
        Params: { file: string };
        Querystring: { from?: string; to?: string; download?: string; seekable?: string };
      }>(VideoRoutes.clip, async (req, reply) => {
        try {
          const m = /^([a-z0-9][a-z0-9_-]{0,62})\.mp4$/.exec(req.params.file);
          if (!m?.[1]) throw new VideoRequestError(404, 'not_found', 'Clips are /api/clips/<camera>.mp4.');
          requireRight(req, m[1], 'recordings');
          const from = timeParam(req.query.from, 'from');
          const to = timeParam(req.query.to, 'to');
          // Recorded footage is played only once the playback is in the audit log.
          await audit?.record(req, 'playback', {
            camera: m[1],
            target: `clip ${new Date(from).toISOString()}`,
            detail: { from, to, ...(req.query.download === '1' ? { download: true } : {}) },
          });
          if (req.query.seekable === '1') {
            // A whole file served in byte ranges: the browser can seek in it (see SeekableClipCache).
            const { file, bytes } = await video.seekableClip(m[1], from, to);
            reply
              .type('video/mp4')
              .header('accept-ranges', 'bytes')
              .header('cache-control', 'private, max-age=60');
            const range = byteRange(req.headers.range, bytes);
            if (req.headers.range && !range)
              return reply.code(416).header('content-range', `bytes */${bytes}`).send();
            if (!range) return reply.header('content-length', bytes).send(fs.createReadStream(file));
            return reply
              .code(206)
              .header('content-range', `bytes ${range.start}-${range.end}/${bytes}`)
              .header('content-length', range.end - range.start + 1)
              .send(fs.createReadStream(file, { start: range.start, end: range.end }));
          }
          const { stream } = await video.clip(m[1], from, to);
          reply.type('video/mp4');
          if (req.query.download === '1') {
            const name = `${m[1]}-${new Date(from).toISOString().replace(/[:.]/g, '-')}.mp4`;
            reply.header('content-disposition', `attachment; filename="${name}"`);
          }
          return reply.send(stream);
        } catch (err) {
          return sendError(reply, err);
        }
      });

      app.get<{ Querystring: { limit?: string } }>(VideoRoutes.retentionLog, async (req) => {
        const limit = Math.min(10_000, Math.max(1, Number(req.query.limit) || 100));
        return video.retentionLog(limit);
      });
      app.get(VideoRoutes.storage, async () => video.storage());
      app.get(VideoRoutes.retention, async () => video.retention());
      app.put(VideoRoutes.retention, async (req, reply) => {
        try {
          return await video.updateRetention(req.body);
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.put<{ Params: { id: string } }>(VideoRoutes.cameraRetention, async (req, reply) => {
        try {
          return await video.updateCameraRetention(req.params.id, req.body);
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.get(VideoRoutes.holds, async (req) =>
        video.holds().filter((h) => mayUseCamera(req, h.cameraId, 'recordings')),
      );
      app.post<{ Body: Partial<HoldRequest> }>(VideoRoutes.holds, async (req, reply) => {
        try {
          const b = req.body ?? {};
          if (typeof b.cameraId !== 'string' || !b.cameraId)
            throw new VideoRequestError(400, 'bad_request', '"cameraId" is required.', 'cameraId');
          requireRight(req, b.cameraId, 'recordings');
          const hold = video.addHold({
            cameraId: b.cameraId,
            from: timeParam(b.from, 'from'),
            to: timeParam(b.to, 'to'),
            reason: typeof b.reason === 'string' && b.reason ? b.reason : 'kept by an operator',
          });
          return reply.code(201).send(hold);
        } catch (err) {
          return sendError(reply, err);
        }
      });
      app.delete<{ Params: { id: string } }>(VideoRoutes.hold, async (req, reply) => {
        try {
          const hold = video.holds().find((h) => h.id === req.params.id);
          if (hold && !mayUseCamera(req, hold.cameraId, 'recordings'))
            throw new VideoRequestError(404, 'not_found', `No hold "${req.params.id}".`, 'id');
          video.removeHold(req.params.id);
          return reply.code(204).send();
        } catch (err) {
          return sendError(reply, err);
        }
      });
    },
  };
}
