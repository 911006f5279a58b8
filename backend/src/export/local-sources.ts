import type { AuditEntry, AuditLog } from '../contract/audit.js';
import type { ContinuityItem } from '../contract/backup.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { EventStore } from '../contract/store.js';
import type { VideoService } from '../video/video-service.js';
import type {
  AuditSink,
  EventSource,
  ExportedEvent,
  HoldSink,
  SegmentFile,
  SegmentSource,
} from './sources.js';

/** Segments, gaps and retention deletions from the recording index of the local video service. */
export class VideoSegmentSource implements SegmentSource {
  constructor(private readonly video: VideoService) {}

  async segments(cameraId: string, from: number, to: number): Promise<SegmentFile[]> {
    const out: SegmentFile[] = [];
    for (const s of this.video.index.segments(cameraId, from, to)) {
      const file = this.video.store.localPath?.(s.key);
      if (!file) throw new Error(`segment ${s.key} is not on a local disk; export from the recording node`);
      out.push({ path: file, start: s.start, end: s.end });
    }
    return out;
  }

  async continuity(cameraId: string, from: number, to: number): Promise<ContinuityItem[]> {
    const { gaps } = this.video.recordings(cameraId, from, to);
    const items: ContinuityItem[] = gaps.map((g) => ({
      cameraId,
      start: g.start,
      end: g.end,
      kind: 'gap',
      cause: g.cause,
      ...(g.detail ? { detail: g.detail } : {}),
    }));
    for (const d of this.video.retentionLog(10_000)) {
      if (d.cameraId === cameraId && d.end > from && d.start < to) {
        items.push({
          cameraId,
          start: d.start,
          end: d.end,
          kind: 'deleted',
          cause: `deleted by retention: ${d.reason}`,
        });
      }
    }
    return items;
  }
}

/** Events and snapshots of the event store. */
export class StoreEventSource implements EventSource {
  constructor(private readonly store: () => EventStore) {}

  async events(cameraIds: readonly string[], from: number, to: number): Promise<ExportedEvent[]> {
    const out: ExportedEvent[] = [];
    let after: { startTs: number; id: string } | undefined;
    for (;;) {
      const page = await this.store().search({
        from,
        to,
        cameras: [...cameraIds],
        labels: [],
        zones: [],
        terms: [],
        sort: 'oldest',
        limit: 500,
        ...(after ? { after } : {}),
      });
      for (const e of page.items) out.push({ ...e, ts: e.startTs });
      const last = page.items.at(-1);
      if (!page.nextCursor || !last) break;
      after = { startTs: last.startTs, id: last.id };
    }
    return out;
  }

  async snapshot(eventId: string): Promise<Buffer | undefined> {
    const bytes =
      (await this.store().readSnapshot(eventId, 'frame')) ??
      (await this.store().readSnapshot(eventId, 'crop'));
    return bytes ? Buffer.from(bytes) : undefined;
  }
}

/** The audit log: exports are recorded through the recorder, the cameras' history read from the log. */
export class AuditLogSink implements AuditSink {
  constructor(
    private readonly recorder: AuditRecorder,
    private readonly log: () => AuditLog,
  ) {}

  async record(entry: {
    actor: string;
    cameras: readonly string[];
    target: string;
    detail: Record<string, unknown>;
  }): Promise<void> {
    for (const camera of entry.cameras)
      await this.recorder.record(entry.actor, 'export', {
        camera,
        target: entry.target,
        detail: entry.detail,
      });
  }

  async history(cameraIds: readonly string[]): Promise<AuditEntry[]> {
    const all: AuditEntry[] = [];
    for (const camera of new Set(cameraIds)) all.push(...(await this.log().all({ camera })));
    return all.sort((a, b) => a.seq - b.seq);
  }
}

/** Holds on the recorder, so exported footage outlives retention. */
export class VideoHoldSink implements HoldSink {
  constructor(private readonly video: VideoService) {}

  async hold(request: { cameraId: string; from: number; to: number; reason: string }): Promise<string> {
    return this.video.addHold(request).id;
  }
}
