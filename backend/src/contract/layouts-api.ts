/** HTTP DTOs of named wall layouts: saved on the backend so that every window and browser of the site shares them. */
import { z } from 'zod';

/** Grid of a live wall: n×n tiles, or one large tile with five small ones. */
export const LayoutKind = z.enum(['1x1', '2x2', '3x3', '4x4', '1+5']);
export type LayoutKind = z.infer<typeof LayoutKind>;

/** How many tiles each grid has. */
export const LAYOUT_TILE_COUNTS: Readonly<Record<LayoutKind, number>> = {
  '1x1': 1,
  '2x2': 4,
  '3x3': 9,
  '4x4': 16,
  '1+5': 6,
};

/** A wall layout: its grid and the camera id shown in each tile (null: an empty tile). */
export const WallLayout = z
  .strictObject({
    kind: LayoutKind.describe('Grid of the wall.'),
    tiles: z
      .array(z.string().min(1).max(64).nullable())
      .max(16)
      .describe(
        'Camera id per tile, in reading order; null for an empty tile. As many entries as the grid has tiles.',
      ),
  })
  .refine((l) => l.tiles.length === LAYOUT_TILE_COUNTS[l.kind], {
    message: 'tiles must have one entry per tile of the grid (1x1: 1, 2x2: 4, 3x3: 9, 4x4: 16, 1+5: 6)',
    path: ['tiles'],
  })
  .describe('A live wall layout.');
export type WallLayout = z.infer<typeof WallLayout>;

/** Name of a saved layout, as the operator typed it. */
export const LayoutName = z.string().trim().min(1, 'a layout needs a name').max(80, 'at most 80 characters');

/** GET /api/layouts (list), PUT /api/layouts/:name (answer). */
export const NamedLayout = z
  .strictObject({
    name: LayoutName,
    layout: WallLayout,
    updatedAt: z
      .number()
      .min(0)
      .max(8_640_000_000_000_000)
      .describe('When the layout was last saved (ms since the epoch).'),
  })
  .describe('A named wall layout.');
export type NamedLayout = z.infer<typeof NamedLayout>;

/** Routes of named wall layouts. */
export const LayoutsApiRoutes = {
  layouts: '/api/layouts',
  layout: '/api/layouts/:name',
} as const;
