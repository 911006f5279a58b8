import jpeg from 'jpeg-js';
import type SharpDefault from 'sharp';
import { createLogger } from './log.js';

const log = createLogger('platform.jpeg');

type Sharp = typeof SharpDefault;
let sharpModule: Promise<Sharp | undefined> | undefined;

/** Packed RGB pixels, 3 bytes per pixel, row-major. */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * libvips through sharp, when its prebuilt binary loads on this platform. It codes JPEG in libuv's thread pool, off
 * the event loop: a 640×480 frame takes about 3 ms of CPU to encode and 6 ms to decode, where jpeg-js takes 65–125 ms
 * and 35–60 ms of the event loop.
 */
function loadSharp(): Promise<Sharp | undefined> {
  sharpModule ??= import('sharp')
    .then((m) => {
      const sharp = m.default;
      // One thread per image (several images still code in parallel on libuv's pool) and no pixel cache: these are
      // one-off images, and the cores belong to video and detection.
      sharp.concurrency(1);
      sharp.cache(false);
      return sharp;
    })
    .catch((err: unknown) => {
      log.warn({ err }, 'sharp (libvips) not usable; JPEG is coded in JavaScript, far slower');
      return undefined;
    });
  return sharpModule;
}

/** Encodes RGB pixels (or a rectangle of them) as a JPEG. */
export async function encodeJpeg(
  image: RgbPixels,
  quality: number,
  crop?: { x: number; y: number; width: number; height: number },
): Promise<Buffer> {
  const { width, height } = image;
  if (image.data.length < width * height * 3)
    throw new Error(`${image.data.length} bytes of pixels for ${width}x${height} rgb24`);
  const sharp = await loadSharp();
  if (sharp) {
    const input = Buffer.from(image.data.buffer, image.data.byteOffset, width * height * 3);
    let pipeline = sharp(input, { raw: { width, height, channels: 3 } });
    if (crop)
      pipeline = pipeline.extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height });
    // No Huffman-table optimisation: 54 KiB for a 640×480 vtest frame either way, at 2.5 times less CPU.
    return pipeline.jpeg({ quality, optimiseCoding: false }).toBuffer();
  }
  const src = crop ? cropPixels(image, crop) : image;
  const rgba = Buffer.alloc(src.width * src.height * 4);
  for (let i = 0, j = 0; i < src.width * src.height * 3; i += 3, j += 4) {
    rgba[j] = src.data[i] as number;
    rgba[j + 1] = src.data[i + 1] as number;
    rgba[j + 2] = src.data[i + 2] as number;
    rgba[j + 3] = 255;
  }
  return jpeg.encode({ width: src.width, height: src.height, data: rgba }, quality).data;
}

/** Decodes a JPEG to RGB pixels; throws for data that is not a JPEG or is larger than `maxPixels`. */
export async function decodeJpeg(data: Buffer, maxPixels = 40_000_000): Promise<RgbPixels> {
  const sharp = await loadSharp();
  if (sharp) {
    const { data: pixels, info } = await sharp(data, { limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, not RGB`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length),
    };
  }
  const img = jpeg.decode(data, {
    formatAsRGBA: false,
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: 256,
  });
  return {
    width: img.width,
    height: img.height,
    data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length),
  };
}

/** Cuts a rectangle out of RGB pixels. */
export function cropPixels(
  image: RgbPixels,
  r: { x: number; y: number; width: number; height: number },
): RgbPixels {
  const out = new Uint8Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const src = ((r.y + y) * image.width + r.x) * 3;
    out.set(image.data.subarray(src, src + r.width * 3), y * r.width * 3);
  }
  return { width: r.width, height: r.height, data: out };
}
