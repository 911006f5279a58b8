import type { Box } from '../contract/media.js';
import { encodeJpeg } from '../platform/jpeg.js';
import type { PixelRect, RgbImage } from './detectors/types.js';

/** The box (normalised), padded by `pad` of its size on every side, as an even-sized pixel rectangle. */
export function cropRect(image: { width: number; height: number }, box: Box, pad = 0.15): PixelRect {
  const { width: W, height: H } = image;
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const x1 = Math.max(0, Math.floor((box[0] - bw * pad) * W));
  const y1 = Math.max(0, Math.floor((box[1] - bh * pad) * H));
  const x2 = Math.min(W, Math.ceil((box[2] + bw * pad) * W));
  const y2 = Math.min(H, Math.ceil((box[3] + bh * pad) * H));
  // Even sizes: JPEG chroma subsampling of odd sizes trips some decoders.
  const width = Math.max(2, (x2 - x1) & ~1);
  const height = Math.max(2, (y2 - y1) & ~1);
  return { x: Math.min(x1, W - width), y: Math.min(y1, H - height), width, height };
}

export interface SnapshotJpegs {
  frameJpeg: string;
  cropJpeg: string;
}

/**
 * Encodes event snapshots (full frame + crop around the object) with libvips, off the event loop: about 3 ms of
 * CPU for a 640×480 frame. (An ffmpeg process per snapshot cost tens of milliseconds of CPU for its start alone,
 * which with eight busy cameras took a third of a core.)
 */
export class SnapshotEncoder {
  constructor(private readonly quality: number) {}

  async encode(image: RgbImage, box: Box): Promise<SnapshotJpegs> {
    const [frame, crop] = await Promise.all([
      encodeJpeg(image, this.quality),
      encodeJpeg(image, this.quality, cropRect(image, box)),
    ]);
    return { frameJpeg: frame.toString('base64'), cropJpeg: crop.toString('base64') };
  }
}
