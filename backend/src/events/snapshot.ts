import type { Box } from '../contract/media.js';
import { encodeJpeg } from '../platform/jpeg.js';
import type { PixelRect, RgbImage } from '../contract/detector.js';

/** Shape of the event cards' thumbnails (width / height); a crop of another shape is cut again by the card. */
export const THUMBNAIL_ASPECT = 4 / 3;

/**
 * The crop of an event thumbnail, in pixels: the box with context around it (`pad` of its size on every side),
 * widened or heightened to the cards' 4:3, at least a quarter of the frame wide, moved (not cut) to stay inside
 * the frame. A tight crop of a standing person is three times taller than wide; a 4:3 card showed its middle
 * only, a torso.
 */
export function cropRect(image: { width: number; height: number }, box: Box, pad = 0.3): PixelRect {
  const { width: W, height: H } = image;
  const bw = (box[2] - box[0]) * W;
  const bh = (box[3] - box[1]) * H;
  const cx = ((box[0] + box[2]) / 2) * W;
  const cy = ((box[1] + box[3]) / 2) * H;
  let w = Math.max(bw * (1 + 2 * pad), W / 4);
  let h = bh * (1 + 2 * pad);
  if (w / h < THUMBNAIL_ASPECT) w = h * THUMBNAIL_ASPECT;
  else h = w / THUMBNAIL_ASPECT;
  // Larger than the frame: the whole frame's width or height, keeping the shape where the frame allows.
  if (w > W) {
    h = Math.min(H, h * (W / w));
    w = W;
  }
  if (h > H) {
    w = Math.min(W, w * (H / h));
    h = H;
  }
  // Even sizes: JPEG chroma subsampling of odd sizes trips some decoders.
  const width = Math.max(2, Math.round(w) & ~1);
  const height = Math.max(2, Math.round(h) & ~1);
  const x = Math.round(Math.min(Math.max(0, cx - width / 2), W - width));
  const y = Math.round(Math.min(Math.max(0, cy - height / 2), H - height));
  return { x, y, width, height };
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
