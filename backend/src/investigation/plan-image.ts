import type SharpDefault from 'sharp';
import type { Metadata } from 'sharp';
import { PLAN_MAX_BYTES, PLAN_MAX_SIDE, type PlanType } from '../contract/investigation.js';

/** A plan upload refused; the message says why and what to upload instead (answered as 400). */
export class PlanRejectedError extends Error {
  readonly statusCode = 400;
}

/** A plan as stored: re-encoded bytes without metadata, its type and size. */
export interface NormalisedPlan {
  bytes: Buffer;
  type: PlanType;
  width: number;
  height: number;
}

const FORMAT_TYPES: Readonly<Record<string, PlanType>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

let sharpModule: Promise<typeof SharpDefault> | undefined;

/**
 * Checks an uploaded plan and re-encodes it with libvips (sharp): only PNG, JPEG or WebP pictures up to
 * PLAN_MAX_SIDE pixels a side are kept, decoded in full (a truncated or hostile file fails here, not in a
 * browser), turned upright by their EXIF orientation and written again without metadata (no GPS position or
 * camera serial of whoever photographed the plan).
 */
export async function normalisePlan(input: Buffer): Promise<NormalisedPlan> {
  if (input.length === 0) throw new PlanRejectedError('The plan is empty: upload a PNG, JPEG or WebP image.');
  if (input.length > PLAN_MAX_BYTES)
    throw new PlanRejectedError(
      `The plan is ${Math.ceil(input.length / 1048576)} MB; at most ${PLAN_MAX_BYTES / 1048576} MB.`,
    );
  sharpModule ??= import('sharp').then((m) => m.default);
  const sharp = await sharpModule.catch(() => {
    throw new Error('image processing (sharp) is not available on this backend');
  });
  const open = () =>
    sharp(input, { failOn: 'error', limitInputPixels: PLAN_MAX_SIDE * PLAN_MAX_SIDE, animated: false });
  let meta: Metadata;
  try {
    meta = await open().metadata();
  } catch {
    throw new PlanRejectedError('The file is not a readable image: upload a PNG, JPEG or WebP floor plan.');
  }
  const type = meta.format ? FORMAT_TYPES[meta.format] : undefined;
  if (!type)
    throw new PlanRejectedError(
      `A ${meta.format ?? 'file of an unknown kind'} is not accepted: upload a PNG, JPEG or WebP image.`,
    );
  // EXIF orientations 5–8 turn the picture a quarter: its upright width is the stored height.
  const turned = (meta.orientation ?? 1) >= 5;
  const width = turned ? meta.height : meta.width;
  const height = turned ? meta.width : meta.height;
  if (!width || !height || width > PLAN_MAX_SIDE || height > PLAN_MAX_SIDE)
    throw new PlanRejectedError(
      `The plan is ${width}×${height} pixels; at most ${PLAN_MAX_SIDE} pixels a side. Scale it down and upload it again.`,
    );
  let pipeline = open().autoOrient();
  pipeline =
    type === 'image/png'
      ? pipeline.png()
      : type === 'image/jpeg'
        ? pipeline.jpeg({ quality: 90 })
        : pipeline.webp({ quality: 90 });
  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return { bytes: data, type, width: info.width, height: info.height };
  } catch {
    throw new PlanRejectedError('The image is damaged and cannot be decoded: upload the plan again.');
  }
}
