/** Wall layouts: which grid, and which camera in each tile. Pure logic; named layouts are saved on the backend. */
import type { LayoutKind, WallLayout } from '../../../backend/src/contract';

export type { LayoutKind, WallLayout };

export const LAYOUT_KINDS: readonly LayoutKind[] = ['1x1', '2x2', '3x3', '4x4', '1+5'];

export function tileCount(kind: LayoutKind): number {
  switch (kind) {
    case '1x1':
      return 1;
    case '2x2':
      return 4;
    case '3x3':
      return 9;
    case '4x4':
      return 16;
    case '1+5':
      return 6;
  }
}

/** CSS grid placement of tile `i`: a fixed grid, so tiles never move when a camera drops. */
export function gridTemplate(kind: LayoutKind): { columns: number; rows: number } {
  switch (kind) {
    case '1x1':
      return { columns: 1, rows: 1 };
    case '2x2':
      return { columns: 2, rows: 2 };
    case '3x3':
    case '1+5':
      return { columns: 3, rows: 3 };
    case '4x4':
      return { columns: 4, rows: 4 };
  }
}

export function tileArea(kind: LayoutKind, i: number): { gridColumn?: string; gridRow?: string } {
  if (kind !== '1+5') return {};
  if (i === 0) return { gridColumn: '1 / span 2', gridRow: '1 / span 2' };
  const spots: Array<[number, number]> = [
    [3, 1],
    [3, 2],
    [1, 3],
    [2, 3],
    [3, 3],
  ];
  const [c, r] = spots[i - 1] ?? [1, 1];
  return { gridColumn: String(c), gridRow: String(r) };
}

/** A layout of `kind` keeping the cameras of `previous` in order (extra cameras dropped, new tiles empty). */
export function withKind(
  previous: WallLayout | undefined,
  kind: LayoutKind,
  fill: readonly string[] = [],
): WallLayout {
  const n = tileCount(kind);
  const tiles: Array<string | null> = [];
  for (let i = 0; i < n; i++) tiles.push(previous?.tiles[i] ?? null);
  if (!previous) fill.slice(0, n).forEach((id, i) => (tiles[i] = id));
  return { kind, tiles };
}

/**
 * Puts a camera in a tile. If the camera was shown in another tile, the two tiles swap (a camera appears once per
 * wall, and dragging between tiles moves it).
 */
export function assignCamera(layout: WallLayout, tile: number, cameraId: string | null): WallLayout {
  if (tile < 0 || tile >= layout.tiles.length) return layout;
  const tiles = [...layout.tiles];
  const from = cameraId === null ? -1 : tiles.indexOf(cameraId);
  if (from >= 0 && from !== tile) tiles[from] = tiles[tile] ?? null;
  tiles[tile] = cameraId;
  return { ...layout, tiles };
}

export function isLayout(value: unknown): value is WallLayout {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as WallLayout;
  return (
    LAYOUT_KINDS.includes(v.kind) &&
    Array.isArray(v.tiles) &&
    v.tiles.length === tileCount(v.kind) &&
    v.tiles.every((t) => t === null || typeof t === 'string')
  );
}

/** Compact URL form for a second wall window: `2x2:cam1,cam2,,cam4`. */
export function encodeLayout(layout: WallLayout): string {
  return `${layout.kind}:${layout.tiles.map((t) => (t ? encodeURIComponent(t) : '')).join(',')}`;
}

export function decodeLayout(text: string | null | undefined): WallLayout | undefined {
  if (!text) return undefined;
  const sep = text.indexOf(':');
  const kind = (sep < 0 ? text : text.slice(0, sep)) as LayoutKind;
  if (!LAYOUT_KINDS.includes(kind)) return undefined;
  const ids = sep < 0 ? [] : text.slice(sep + 1).split(',');
  const tiles = Array.from({ length: tileCount(kind) }, (_, i) => {
    const id = ids[i];
    return id ? decodeURIComponent(id) : null;
  });
  return { kind, tiles };
}
