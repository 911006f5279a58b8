import { spawn } from 'node:child_process';
import jpeg from 'jpeg-js';
import type SharpDefault from 'sharp';
import type { Box } from '../contract/media.js';
import { findFfmpeg } from '../platform/binaries.js';
import { createLogger } from '../platform/log.js';
import type { PixelRect, RgbImage } from './detectors/types.js';

const log = createLogger('detect.snapshot');

/** Encodes packed RGB as JPEG (base64) in JS. Slow (100+ ms for 640×480); the fallback when ffmpeg is missing. */
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

/** Cuts a pixel rectangle out of the image. */
export function cropImage(image: RgbImage, r: PixelRect): RgbImage {
  const out = new Uint8Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const src = ((r.y + y) * image.width + r.x) * 3;
    out.set(image.data.subarray(src, src + r.width * 3), y * r.width * 3);
  }
  return { width: r.width, height: r.height, data: out };
}

export interface SnapshotJpegs {
  frameJpeg: string;
  cropJpeg: string;
}

type Sharp = typeof SharpDefault;
let sharpModule: Promise<Sharp | undefined> | undefined;

/** libvips through sharp, when its prebuilt binary loads on this platform. */
function loadSharp(): Promise<Sharp | undefined> {
  sharpModule ??= import('sharp')
    .then((m) => {
      const sharp = m.default;
      // One thread per image (several snapshots still encode in parallel on libuv's pool) and no pixel cache:
      // snapshots are one-off images and the cores belong to video and detection.
      sharp.concurrency(1);
      sharp.cache(false);
      return sharp;
    })
    .catch((err: unknown) => {
      log.warn({ err }, 'sharp (libvips) not usable; snapshots are encoded with ffmpeg');
      return undefined;
    });
  return sharpModule;
}

/**
 * Encodes event snapshots (full frame + crop around the object). libvips (sharp) encodes in libuv's thread pool,
 * a few milliseconds of CPU and none on the event loop. Without it, an ffmpeg child process per snapshot (its start
 * alone costs tens of milliseconds of CPU, which adds up with many cameras), and without ffmpeg, 100+ ms of JS.
 */
export class SnapshotEncoder {
  readonly #ffmpeg = findFfmpeg()?.path;

  constructor(private readonly quality: number) {}

  async encode(image: RgbImage, box: Box): Promise<SnapshotJpegs> {
    const rect = cropRect(image, box);
    const sharp = await loadSharp();
    if (sharp) {
      try {
        return await this.#encodeWithSharp(sharp, image, rect);
      } catch (err) {
        log.warn({ err }, 'sharp failed to encode a snapshot; trying ffmpeg');
      }
    }
    if (this.#ffmpeg) {
      try {
        return await this.#encodeWithFfmpeg(this.#ffmpeg, image, rect);
      } catch {
        // fall through to the JS encoder
      }
    }
    return {
      frameJpeg: encodeJpegBase64(image, this.quality),
      cropJpeg: encodeJpegBase64(cropImage(image, rect), this.quality),
    };
  }

  async #encodeWithSharp(sharp: Sharp, image: RgbImage, rect: PixelRect): Promise<SnapshotJpegs> {
    const raw = { width: image.width, height: image.height, channels: 3 as const };
    const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.width * image.height * 3);
    const jpegOptions = { quality: this.quality, mozjpeg: false };
    const [frame, crop] = await Promise.all([
      sharp(input, { raw }).jpeg(jpegOptions).toBuffer(),
      sharp(input, { raw })
        .extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
        .jpeg(jpegOptions)
        .toBuffer(),
    ]);
    return { frameJpeg: frame.toString('base64'), cropJpeg: crop.toString('base64') };
  }

  async #encodeWithFfmpeg(ffmpeg: string, image: RgbImage, rect: PixelRect): Promise<SnapshotJpegs> {
    // ffmpeg's JPEG quantiser: 2 (best) … 31; quality 80 → 5.
    const q = String(Math.min(31, Math.max(2, Math.round((100 - this.quality) / 5) + 1)));
    const args = ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24'];
    args.push('-s', `${image.width}x${image.height}`, '-i', 'pipe:0');
    args.push(
      '-filter_complex',
      `[0]split[f][c];[c]crop=${rect.width}:${rect.height}:${rect.x}:${rect.y}[cc]`,
    );
    args.push('-map', '[f]', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', q, '-f', 'image2pipe', 'pipe:1');
    args.push('-map', '[cc]', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', q, '-f', 'image2pipe', 'pipe:3');
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const frame: Buffer[] = [];
    const crop: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => frame.push(c));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => crop.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => {}); // a dying ffmpeg closes its input; the exit code reports it
    child.stdin.end(image.data);
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', resolve);
      });
      if (code !== 0 || !frame.length || !crop.length)
        throw new Error(`ffmpeg JPEG encoding failed: ${stderr}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    return {
      frameJpeg: Buffer.concat(frame).toString('base64'),
      cropJpeg: Buffer.concat(crop).toString('base64'),
    };
  }
}
