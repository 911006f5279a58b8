import type { PixelRect, RgbImage } from './types.js';

/** Layout of the model input tensor. */
export type TensorLayout = 'nhwc' | 'nchw';

/**
 * Crops `region` out of `image` and resizes it (bilinear) to size×size floats, scaled by `scale` (1 keeps 0–255),
 * in the requested layout, in one pass over the output. Doing this in plain JS into one Float32Array is cheaper
 * than building a uint8 tensor and running resize, cast and transpose kernels on the backend.
 */
export function cropResizeToFloat(
  image: RgbImage,
  region: PixelRect,
  size: number,
  layout: TensorLayout,
  out: Float32Array = new Float32Array(size * size * 3),
  scale = 1,
): Float32Array {
  const { width: w, height: h, data } = image;
  if (data.length < w * h * 3) throw new Error(`image data too short for ${w}x${h} rgb24`);
  const sx = region.width / size;
  const sy = region.height / size;
  const plane = size * size;
  const xs0 = new Int32Array(size);
  const xs1 = new Int32Array(size);
  const fx = new Float32Array(size);
  for (let ox = 0; ox < size; ox++) {
    const x = Math.min(Math.max(region.x + (ox + 0.5) * sx - 0.5, 0), w - 1);
    const x0 = Math.floor(x);
    xs0[ox] = x0 * 3;
    xs1[ox] = Math.min(x0 + 1, w - 1) * 3;
    fx[ox] = x - x0;
  }
  for (let oy = 0; oy < size; oy++) {
    const y = Math.min(Math.max(region.y + (oy + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = y - y0;
    const row0 = y0 * w * 3;
    const row1 = y1 * w * 3;
    for (let ox = 0; ox < size; ox++) {
      const a = row0 + (xs0[ox] as number);
      const b = row0 + (xs1[ox] as number);
      const c = row1 + (xs0[ox] as number);
      const d = row1 + (xs1[ox] as number);
      const wx = fx[ox] as number;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const r =
        ((data[a] as number) * w00 +
          (data[b] as number) * w01 +
          (data[c] as number) * w10 +
          (data[d] as number) * w11) *
        scale;
      const g =
        ((data[a + 1] as number) * w00 +
          (data[b + 1] as number) * w01 +
          (data[c + 1] as number) * w10 +
          (data[d + 1] as number) * w11) *
        scale;
      const bl =
        ((data[a + 2] as number) * w00 +
          (data[b + 2] as number) * w01 +
          (data[c + 2] as number) * w10 +
          (data[d + 2] as number) * w11) *
        scale;
      const p = oy * size + ox;
      if (layout === 'nhwc') {
        out[p * 3] = r;
        out[p * 3 + 1] = g;
        out[p * 3 + 2] = bl;
      } else {
        out[p] = r;
        out[plane + p] = g;
        out[2 * plane + p] = bl;
      }
    }
  }
  return out;
}

/** The whole image as a region. */
export function fullRect(image: { width: number; height: number }): PixelRect {
  return { x: 0, y: 0, width: image.width, height: image.height };
}
