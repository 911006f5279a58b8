import jpeg from 'jpeg-js';
import type { Box } from '../contract/media.js';
import type { RgbImage } from './detectors/types.js';

/** Encodes packed RGB as JPEG (base64). jpeg-js wants RGBA, so the pixels are widened once. */
export function encodeJpegBase64(image: RgbImage, quality: number): string {
  const { width, height, data } = image;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0, j = 0; i < width * height * 3; i += 3, j += 4) {
    rgba[j] = data[i] as number;
    rgba[j + 1] = data[i + 1] as number;
    rgba[j + 2] = data[i + 2] as number;
    rgba[j + 3] = 255;
  }
  return jpeg.encode({ width, height, data: rgba }, quality).data.toString('base64');
}

/** Cuts the box (normalised), padded by `pad` of its size on every side, out of the image. */
export function cropBox(image: RgbImage, box: Box, pad = 0.15): RgbImage {
  const { width: W, height: H, data } = image;
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const x1 = Math.max(0, Math.floor((box[0] - bw * pad) * W));
  const y1 = Math.max(0, Math.floor((box[1] - bh * pad) * H));
  const x2 = Math.min(W, Math.ceil((box[2] + bw * pad) * W));
  const y2 = Math.min(H, Math.ceil((box[3] + bh * pad) * H));
  const w = Math.max(1, x2 - x1);
  const h = Math.max(1, y2 - y1);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const src = ((y1 + y) * W + x1) * 3;
    out.set(data.subarray(src, src + w * 3), y * w * 3);
  }
  return { width: w, height: h, data: out };
}
