import type { CameraPlacement, TrailSighting } from '../../../backend/src/contract/investigation';

/** A point on the plan, in the plan's pixels. */
export interface PlanPoint {
  x: number;
  y: number;
}

/** One numbered marker of a trail: a camera and the numbers of its sightings there ("1, 3"). */
export interface TrailMarker extends PlanPoint {
  cameraId: string;
  numbers: number[];
  /** Every sighting at this camera is still a candidate (not confirmed). */
  candidate: boolean;
}

/** An arrow from one sighting's camera to the next one's, in time order. */
export interface TrailArrow {
  from: PlanPoint;
  to: PlanPoint;
  /** The number of the sighting it leads to. */
  n: number;
}

/** The trail as drawn on a plan of `width`×`height` pixels: markers at the cameras and arrows in time order. */
export interface TrailDrawing {
  markers: TrailMarker[];
  arrows: TrailArrow[];
  /** Cameras of the trail that are not placed on the map (listed beside it instead). */
  unplaced: string[];
}

/** Radius of a trail marker on a plan of this size (a fixed share of its longer side, so it reads at any size). */
export function markerRadius(width: number, height: number): number {
  return Math.max(width, height) * 0.026;
}

/**
 * Where a trail's sightings (already in time order) are drawn: one marker per camera listing its sighting numbers,
 * and an arrow between consecutive sightings on different placed cameras, stopped at the markers' edges.
 */
export function drawTrail(
  sightings: ReadonlyArray<Pick<TrailSighting, 'cameraId' | 'confirmed'>>,
  placements: readonly CameraPlacement[],
  width: number,
  height: number,
): TrailDrawing {
  const at = new Map(placements.map((p) => [p.cameraId, { x: p.x * width, y: p.y * height }]));
  const markers = new Map<string, TrailMarker>();
  const unplaced: string[] = [];
  const r = markerRadius(width, height);
  const arrows: TrailArrow[] = [];
  let previous: { cameraId: string; point: PlanPoint } | undefined;
  sightings.forEach((s, i) => {
    const n = i + 1;
    const point = at.get(s.cameraId);
    if (!point) {
      if (!unplaced.includes(s.cameraId)) unplaced.push(s.cameraId);
      return;
    }
    const marker = markers.get(s.cameraId);
    if (marker) {
      marker.numbers.push(n);
      marker.candidate &&= !s.confirmed;
    } else markers.set(s.cameraId, { cameraId: s.cameraId, ...point, numbers: [n], candidate: !s.confirmed });
    if (previous && previous.cameraId !== s.cameraId) {
      const dx = point.x - previous.point.x;
      const dy = point.y - previous.point.y;
      const length = Math.hypot(dx, dy);
      if (length > 2 * r) {
        const ux = dx / length;
        const uy = dy / length;
        arrows.push({
          from: { x: previous.point.x + ux * r, y: previous.point.y + uy * r },
          to: { x: point.x - ux * r * 1.15, y: point.y - uy * r * 1.15 },
          n,
        });
      }
    }
    previous = { cameraId: s.cameraId, point };
  });
  return { markers: [...markers.values()], arrows, unplaced };
}

/**
 * The wedge of a camera's field of view: an SVG path from the camera towards `heading` (degrees clockwise from the
 * top of the plan), `spread` degrees wide and `length` pixels long.
 */
export function viewWedge(at: PlanPoint, heading: number, length: number, spread = 60): string {
  const point = (deg: number) => {
    const rad = ((deg - 90) * Math.PI) / 180;
    return `${(at.x + Math.cos(rad) * length).toFixed(1)} ${(at.y + Math.sin(rad) * length).toFixed(1)}`;
  };
  return `M ${at.x.toFixed(1)} ${at.y.toFixed(1)} L ${point(heading - spread / 2)} A ${length.toFixed(1)} ${length.toFixed(1)} 0 0 1 ${point(heading + spread / 2)} Z`;
}

/** A pointer position over an element showing the plan → fractions of the plan, kept inside it. */
export function planFraction(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
): { x: number; y: number } {
  const clamp = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  return {
    x: Math.round(clamp((clientX - rect.left) / rect.width) * 10_000) / 10_000,
    y: Math.round(clamp((clientY - rect.top) / rect.height) * 10_000) / 10_000,
  };
}
