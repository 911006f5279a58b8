import { describe, expect, it } from 'vitest';
import { decodeJpeg, encodeJpeg } from './jpeg.js';

/** A 64×48 frame with a horizontal red ramp and a vertical green ramp. */
function gradient(): { width: number; height: number; data: Uint8Array } {
  const [width, height] = [64, 48];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([x * 4, y * 5, 128], (y * width + x) * 3);
  return { width, height, data };
}

describe('JPEG coding', () => {
  it('round-trips a frame and a crop of it within JPEG error', async () => {
    const image = gradient();
    const whole = await decodeJpeg(await encodeJpeg(image, 90));
    expect([whole.width, whole.height]).toEqual([64, 48]);
    let worst = 0;
    for (let i = 0; i < image.data.length; i++)
      worst = Math.max(worst, Math.abs((whole.data[i] as number) - (image.data[i] as number)));
    expect(worst).toBeLessThan(24);
    // The crop holds the pixels of the rectangle: its top-left is pixel (16, 8) of the frame.
    const crop = await decodeJpeg(await encodeJpeg(image, 90, { x: 16, y: 8, width: 32, height: 20 }));
    expect([crop.width, crop.height]).toEqual([32, 20]);
    expect(Math.abs((crop.data[0] as number) - 16 * 4)).toBeLessThan(12);
    expect(Math.abs((crop.data[1] as number) - 8 * 5)).toBeLessThan(12);
  });

  it('rejects data that is not a JPEG, and pictures over the pixel limit, with an error', async () => {
    await expect(decodeJpeg(Buffer.from('not a picture at all'))).rejects.toThrow();
    const big = await encodeJpeg(gradient(), 80);
    await expect(decodeJpeg(big, 1000)).rejects.toThrow(/pixel|limit/i);
    await expect(encodeJpeg({ width: 10, height: 10, data: new Uint8Array(5) }, 80)).rejects.toThrow(/bytes/);
  });
});
