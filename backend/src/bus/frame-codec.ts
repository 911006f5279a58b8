import { z } from 'zod';
import type { AnalysisFrame } from '../contract/media.js';
import { decodeJpeg, encodeJpeg } from '../platform/jpeg.js';

/** Kafka headers that describe a frame on `vigil.frames.v1`; the message value is the JPEG itself. */
const FrameHeaders = z.strictObject({
  'vigil-camera': z.string().min(1),
  'vigil-ts': z.coerce.number().int().nonnegative(),
  'vigil-seq': z.coerce.number().int().nonnegative(),
  'vigil-width': z.coerce.number().int().min(1).max(7680),
  'vigil-height': z.coerce.number().int().min(1).max(4320),
  'vigil-format': z.literal('jpeg'),
});

export interface EncodedFrame {
  value: Buffer;
  headers: Record<string, string>;
  /** JPEG quality that fitted under the size limit. */
  quality: number;
}

/** Thrown when a frame cannot be made to fit the size limit; the frame is dropped, like any late frame. */
export class FrameTooLargeError extends Error {}

const QUALITIES = [80, 65, 50, 35];

/**
 * Encodes an rgb24 analysis frame as a JPEG for the wire, lowering the quality until it fits `maxBytes` (Kafka
 * brokers reject messages above `message.max.bytes`; raw 640×360 RGB is 690 kB, its JPEG about 30 kB).
 */
export async function encodeFrame(frame: AnalysisFrame, maxBytes: number): Promise<EncodedFrame> {
  const { width, height, data } = frame;
  if (data.length !== width * height * 3) {
    throw new Error(
      `frame of camera ${frame.cameraId}: ${data.length} bytes of pixels for ${width}x${height} rgb24 (expected ${width * height * 3})`,
    );
  }
  for (const quality of QUALITIES) {
    const jpg = await encodeJpeg(frame, quality);
    if (jpg.length <= maxBytes) {
      return {
        value: jpg,
        quality,
        headers: {
          'vigil-camera': frame.cameraId,
          'vigil-ts': String(frame.ts),
          'vigil-seq': String(frame.seq),
          'vigil-width': String(width),
          'vigil-height': String(height),
          'vigil-format': 'jpeg',
        },
      };
    }
  }
  throw new FrameTooLargeError(
    `frame of camera ${frame.cameraId} (${width}x${height}) does not fit ${maxBytes} bytes even as a JPEG at quality ${QUALITIES.at(-1)}`,
  );
}

/** Decodes a frame message back to an rgb24 analysis frame. Throws a readable error for anything malformed. */
export async function decodeFrame(
  value: Buffer | null,
  rawHeaders: Record<string, unknown> | undefined,
  maxBytes: number,
): Promise<AnalysisFrame> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawHeaders ?? {})) {
    if (Buffer.isBuffer(v)) headers[k] = v.toString('utf8');
    else if (typeof v === 'string') headers[k] = v;
  }
  const parsed = FrameHeaders.safeParse(headers);
  if (!parsed.success) throw new Error(`frame headers: ${z.prettifyError(parsed.error)}`);
  if (!value || value.length === 0) throw new Error('frame without JPEG data');
  if (value.length > maxBytes)
    throw new Error(`frame of ${value.length} bytes exceeds the ${maxBytes} byte limit`);
  const h = parsed.data;
  let img;
  try {
    img = await decodeJpeg(value);
  } catch (err) {
    throw new Error(`frame JPEG does not decode: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (img.width !== h['vigil-width'] || img.height !== h['vigil-height']) {
    throw new Error(
      `frame JPEG is ${img.width}x${img.height} but its headers say ${h['vigil-width']}x${h['vigil-height']}`,
    );
  }
  return {
    cameraId: h['vigil-camera'],
    ts: h['vigil-ts'],
    seq: h['vigil-seq'],
    width: img.width,
    height: img.height,
    format: 'rgb24',
    data: img.data,
  };
}
