import type { PixelRect, RgbImage } from '../../contract/detector.js';

/** Layout of the model input tensor. */
export type TensorLayout = 'nhwc' | 'nchw';

/** Width and height of a model input, pixels. */
export interface InputShape {
  width: number;
  height: number;
}

/**
 * The model input for a region: its long side `longSide`, its short side in proportion, both rounded to
 * `multiple` (at least one multiple). A 640×480 frame at 512 gets 512×384; 1280×720 gets 512×288.
 */
export function inputShapeFor(
  region: { width: number; height: number },
  longSide: number,
  multiple = 32,
): InputShape {
  const round = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  const long = round(longSide);
  const short = round((long * Math.min(region.width, region.height)) / Math.max(region.width, region.height));
  return region.width >= region.height ? { width: long, height: short } : { width: short, height: long };
}

/**
 * Crops `region` out of `image` and resizes it (bilinear) to `shape` floats, scaled by `scale` (1 keeps 0–255),
 * in the requested layout, in one pass over the output. Doing this in plain JS into one Float32Array is cheaper
 * than building a uint8 tensor and running resize, cast and transpose kernels on the backend. An image already of
 * the input's size (a mosaic composed at it) is only converted to floats.
 */
export function cropResizeToFloat(
  image: RgbImage,
  region: PixelRect,
  shape: InputShape,
  layout: TensorLayout,
  out: Float32Array = new Float32Array(shape.width * shape.height * 3),
  scale = 1,
): Float32Array {
  const { width: w, height: h, data } = image;
  if (data.length < w * h * 3) throw new Error(`image data too short for ${w}x${h} rgb24`);
  if (out.length < shape.width * shape.height * 3)
    throw new Error(`output too short for ${shape.width}x${shape.height}`);
  const whole = region.x === 0 && region.y === 0 && region.width === w && region.height === h;
  if (whole && w === shape.width && h === shape.height && layout === 'nhwc' && scale === 1) {
    for (let i = 0; i < w * h * 3; i++) out[i] = data[i] as number;
    return out;
  }
  resizeInto(image, region, { data: out, width: shape.width, height: shape.height, layout, scale });
  return out;
}

/** Where `resizeInto` writes: a rectangle of a packed RGB buffer of `stride` pixels per row (NHWC), or planes. */
export interface ResizeTarget {
  data: Float32Array | Uint8ClampedArray;
  /** Size of the rectangle written. */
  width: number;
  height: number;
  /** Its top-left corner in the buffer (0, 0 by default). */
  x?: number;
  y?: number;
  /** Pixels per row of the buffer (`width` by default). */
  stride?: number;
  layout?: TensorLayout;
  /** Multiplier of the 0–255 values. */
  scale?: number;
}

/**
 * Bilinear resize of `region` of `image` into a rectangle of `target`: the model input itself, or one cell of a
 * mosaic (uint8, rounded and clamped by the Uint8ClampedArray).
 */
export function resizeInto(image: RgbImage, region: PixelRect, target: ResizeTarget): void {
  const { width: w, height: h, data } = image;
  const {
    data: out,
    width: outW,
    height: outH,
    x: offX = 0,
    y: offY = 0,
    layout = 'nhwc',
    scale = 1,
  } = target;
  const stride = target.stride ?? outW;
  const plane = out.length / 3; // NCHW: the buffer holds the three planes
  const sx = region.width / outW;
  const sy = region.height / outH;
  const xs0 = new Int32Array(outW);
  const xs1 = new Int32Array(outW);
  const fx = new Float32Array(outW);
  for (let ox = 0; ox < outW; ox++) {
    const x = Math.min(Math.max(region.x + (ox + 0.5) * sx - 0.5, 0), w - 1);
    const x0 = Math.floor(x);
    xs0[ox] = x0 * 3;
    xs1[ox] = Math.min(x0 + 1, w - 1) * 3;
    fx[ox] = x - x0;
  }
  for (let oy = 0; oy < outH; oy++) {
    const y = Math.min(Math.max(region.y + (oy + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = y - y0;
    const row0 = y0 * w * 3;
    const row1 = y1 * w * 3;
    const rowOut = (offY + oy) * stride + offX;
    for (let ox = 0; ox < outW; ox++) {
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
      const p = rowOut + ox;
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
}

/** The whole image as a region. */
export function fullRect(image: { width: number; height: number }): PixelRect {
  return { x: 0, y: 0, width: image.width, height: image.height };
}
