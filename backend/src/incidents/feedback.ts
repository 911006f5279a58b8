import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FeedbackItem } from '../contract/incidents.js';

/**
 * The feedback set: snapshots a person marked as a false positive ("not a person"), kept as labelled examples for
 * retraining the model. Under <dataDir>/feedback: `items.jsonl` (one item a line, appended) and the JPEGs.
 */
export class FeedbackStore {
  readonly #items: string;
  readonly #images: string;

  constructor(readonly dir: string) {
    this.#items = path.join(dir, 'items.jsonl');
    this.#images = path.join(dir, 'images');
  }

  #image(id: string, kind: 'frame' | 'crop'): string {
    return path.join(this.#images, `${id}-${kind}.jpg`);
  }

  /** Keeps an item with its pictures (written before the item line, so a listed item always has them). */
  add(item: Omit<FeedbackItem, 'id'>, images: { frame?: Uint8Array; crop?: Uint8Array }): FeedbackItem {
    const full: FeedbackItem = { id: crypto.randomUUID(), ...item };
    fs.mkdirSync(this.#images, { recursive: true });
    for (const kind of ['frame', 'crop'] as const) {
      const bytes = images[kind];
      if (bytes) fs.writeFileSync(this.#image(full.id, kind), bytes);
    }
    fs.appendFileSync(this.#items, `${JSON.stringify(full)}\n`);
    return full;
  }

  list(): FeedbackItem[] {
    if (!fs.existsSync(this.#items)) return [];
    return fs
      .readFileSync(this.#items, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FeedbackItem);
  }

  image(id: string, kind: 'frame' | 'crop'): Buffer | undefined {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    try {
      return fs.readFileSync(this.#image(id, kind));
    } catch {
      return undefined;
    }
  }

  /**
   * The set as a labelled data set, JSON Lines: one example a line with its full-frame JPEG (base64), the box in
   * normalised and pixel-free form, what the detector said and the human verdict (`not-<label>`).
   */
  *exportLines(): Generator<string> {
    for (const item of this.list()) {
      const frame = this.image(item.id, 'frame');
      const crop = this.image(item.id, 'crop');
      yield `${JSON.stringify({
        id: item.id,
        camera: item.cameraId,
        detected: item.detectedLabel,
        label: `not-${item.detectedLabel}`,
        score: item.score,
        box: item.box,
        ts: item.ts,
        markedBy: item.by,
        markedTs: item.markedTs,
        ...(frame ? { frameJpegBase64: frame.toString('base64') } : {}),
        ...(crop ? { cropJpegBase64: crop.toString('base64') } : {}),
      })}\n`;
    }
  }
}
