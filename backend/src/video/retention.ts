import type { VideoConfig } from '../contract/config/video.js';
import type { SegmentRecord, VideoStore } from '../contract/video.js';
import type { Logger } from '../platform/log.js';
import type { RecordingIndex } from './recording-index.js';

export interface RetentionResult {
  deleted: number;
  bytes: number;
  /** Segments that would have gone but are held. */
  kept: number;
}

export interface RetentionDeps {
  index: RecordingIndex;
  store: VideoStore;
  config: VideoConfig['retention'];
  log: Logger;
  onDeleted(bytes: number, kind: 'age' | 'budget' | 'free-space'): void;
}

const DAY = 86_400_000;

/**
 * Deletes footage past its camera's maximum age, then the oldest footage while the recordings exceed the byte
 * budget or the disk has less free space than asked. Held ranges are never deleted; every deletion is logged.
 */
export async function runRetention(d: RetentionDeps): Promise<RetentionResult> {
  const result: RetentionResult = { deleted: 0, bytes: 0, kept: 0 };
  const now = Date.now();
  const remove = async (
    seg: SegmentRecord,
    reason: string,
    kind: 'age' | 'budget' | 'free-space',
  ): Promise<number> => {
    const freed = await d.store.delete(seg.key);
    const bytes = freed || seg.bytes;
    d.index.removeSegment(seg.id);
    d.index.logDeletion({
      ts: Date.now(),
      cameraId: seg.cameraId,
      start: seg.start,
      end: seg.end,
      bytes,
      reason,
    });
    d.onDeleted(bytes, kind);
    d.log.info({ camera: seg.cameraId, start: seg.start, end: seg.end, bytes, reason }, 'footage deleted');
    result.deleted++;
    result.bytes += bytes;
    return bytes;
  };

  for (const cameraId of Object.keys(d.index.bytesByCamera())) {
    const days = d.config.perCameraMaxAgeDays[cameraId] ?? d.config.maxAgeDays;
    if (!(days > 0)) continue;
    for (const seg of d.index.segmentsOlderThan(cameraId, now - days * DAY)) {
      if (d.index.isHeld(seg.cameraId, seg.start, seg.end)) result.kept++;
      else await remove(seg, `older than ${days} days`, 'age');
    }
  }

  const used = Object.values(d.index.bytesByCamera()).reduce((a, b) => a + b, 0);
  let overBudget = d.config.maxBytes > 0 ? used - d.config.maxBytes : 0;
  let belowFree = 0;
  const cap = d.config.minFreePercent > 0 ? await d.store.capacity?.() : undefined;
  if (cap && cap.totalBytes > 0) belowFree = (cap.totalBytes * d.config.minFreePercent) / 100 - cap.freeBytes;
  if (overBudget <= 0 && belowFree <= 0) return result;

  let offset = 0;
  while (overBudget > 0 || belowFree > 0) {
    const batch = d.index.oldestSegments(100, offset);
    if (batch.length === 0) break;
    for (const seg of batch) {
      if (overBudget <= 0 && belowFree <= 0) break;
      if (d.index.isHeld(seg.cameraId, seg.start, seg.end)) {
        result.kept++;
        offset++;
        continue;
      }
      const [reason, kind] =
        overBudget > 0
          ? ([`recordings over the disk budget of ${d.config.maxBytes} bytes`, 'budget'] as const)
          : ([`less than ${d.config.minFreePercent}% of the disk free`, 'free-space'] as const);
      const freed = await remove(seg, reason, kind);
      overBudget -= freed;
      belowFree -= freed;
    }
  }
  if (result.kept > 0) d.log.info({ kept: result.kept }, 'held footage kept past its retention');
  return result;
}
