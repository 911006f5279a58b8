import type { Box } from '../contract/media.js';
import type { NormPoint } from '../contract/detect-api.js';

/** Is point (x, y) inside the polygon (even-odd rule)? Points and polygon share one coordinate system. */
export function pointInPolygon(x: number, y: number, polygon: readonly NormPoint[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as NormPoint;
    const [xj, yj] = polygon[j] as NormPoint;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Bottom centre of a box: where a person's feet or a car's wheels touch the ground. */
export function anchorPoint(box: Box): [number, number] {
  return [(box[0] + box[2]) / 2, box[3]];
}

export function boxArea(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

export function boxCentre(box: Box): [number, number] {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

/**
 * Rasterises polygons (normalised coordinates) into a width×height mask (1 = inside any polygon), sampling pixel
 * centres.
 */
export function rasterisePolygons(
  polygons: readonly (readonly NormPoint[])[],
  width: number,
  height: number,
): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const polygon of polygons) {
    if (polygon.length < 3) continue;
    for (let y = 0; y < height; y++) {
      const ny = (y + 0.5) / height;
      for (let x = 0; x < width; x++) {
        if (!mask[y * width + x] && pointInPolygon((x + 0.5) / width, ny, polygon)) mask[y * width + x] = 1;
      }
    }
  }
  return mask;
}
