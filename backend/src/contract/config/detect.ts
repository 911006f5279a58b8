import { z } from 'zod';
import { Limits } from './limits.js';

/** Per-label filter: what counts as a real object of that label. */
export const LabelFilter = z
  .strictObject({
    label: z
      .string()
      .max(Limits.name)
      .min(1)
      .describe('COCO label the filter applies to, e.g. "person" or "car".'),
    cameraId: z
      .string()
      .max(63)
      .optional()
      .describe('Camera the filter applies to; absent: every camera (a camera-specific filter wins).'),
    minScore: z
      .number()
      .min(0)
      .max(1)
      .default(0.35)
      .describe('Lowest detector score kept. Below about 0.3 the models report shadows and posts as people.'),
    minArea: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Smallest box area kept, as a share of the frame area (0.001 = 0.1 %).'),
    maxArea: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe('Largest box area kept, as a share of the frame area.'),
  })
  .describe('A filter for one label, on one camera or all.');
export type LabelFilter = z.infer<typeof LabelFilter>;

/** Long side of a detector input, pixels: the network's feature maps need multiples of 32. */
const InputLongSide = z.int().min(128).max(1024).multipleOf(32).default(512);

/** Object detection, motion gating, tracking and events. */
export const DetectConfig = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run motion and object detection on analysis frames.'),
    detector: z
      .string()
      .max(Limits.token)
      .min(1)
      .default('centernet')
      .describe('Object detector plugin: "centernet" (default, best on small people) or "nanodet".'),
    backend: z
      .enum(['auto', 'tfjs-node', 'wasm', 'cpu'])
      .default('auto')
      .describe(
        'TensorFlow.js backend. auto: tfjs-node when installed, else WebAssembly (SIMD), else the slow pure-JS CPU backend.',
      ),
    workers: z
      .union([z.literal('auto'), z.int().min(1).max(16)])
      .default('auto')
      .describe(
        'Detector worker threads, each with its own copy of the model (about 180 MB of memory), analysing frames of different cameras in parallel. They run at a lower priority than video ingest and the API (Linux), so they only take CPU time that is left over. auto: one per CPU core, at most 4.',
      ),
    inputSize: InputLongSide.describe(
      'Long side of the image the detector analyses, pixels (CenterNet; NanoDet always uses 416×416). The short side follows the frame’s aspect ratio: a 4:3 frame is analysed at 512×384. Larger finds smaller, more distant objects and costs about the square more.',
    ),
    candidateScore: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('Score below which raw detections are dropped before non-maximum suppression.'),
    nmsIou: z
      .number()
      .min(0.1)
      .max(0.95)
      .default(0.5)
      .describe('Overlap (IoU) above which the weaker of two boxes of the same label is suppressed.'),
    labels: z
      .array(z.string().max(Limits.name).min(1))
      .max(Limits.list)
      .default(['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'])
      .describe('Labels that are tracked and become events; other detections are ignored.'),
    filters: z
      .array(LabelFilter)
      .max(Limits.list)
      .default([
        { label: 'person', minScore: 0.35, minArea: 0.0004, maxArea: 0.5 },
        { label: 'car', minScore: 0.35, minArea: 0.001, maxArea: 0.8 },
      ])
      .describe(
        'Per-label (and optionally per-camera) score and size filters. Labels without one use minScore 0.35.',
      ),
    queueCapacity: z
      .int()
      .min(1)
      .max(256)
      .default(8)
      .describe(
        'Frames waiting for the detector, all cameras together. When full, the oldest frame of the same camera is dropped (counted as skipped).',
      ),
    mosaic: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'When frames of several cameras wait for the detector (it is behind), analyse up to four in one call as a 2×2 mosaic, each frame in a quarter of it: about four times the frames per second instead of dropping them. A frame that waits alone is analysed at inputSize.',
          ),
        inputSize: InputLongSide.describe(
          'Long side of a 2×2 mosaic, pixels; each frame gets a cell of half that (256×192 for 4:3 frames at 512), and two or three frames go in a row. 640 finds nearly as many people as whole frames at 512 but costs about 1.6 times as much per mosaic.',
        ),
        scoreScale: z
          .number()
          .min(0.3)
          .max(1)
          .default(0.7)
          .describe(
            'With a quarter of the pixels the model scores objects lower; a detection found in a mosaic is kept at this share of its label filter’s minScore (0.7 × 0.35 ≈ 0.25). Measured on the hand-annotated vtest frames: precision 0.98, recall 0.85 at 0.25 in a mosaic of 512; 0.92 and 0.90 at 0.35 on whole frames at 512.',
          ),
      })
      .prefault({})
      .describe('Mosaic batching of several cameras into one detector call when the detector is behind.'),
    motion: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Run the object detector only on frames with motion. Off: every analysis frame is analysed.',
          ),
        width: z
          .int()
          .min(32)
          .max(640)
          .default(160)
          .describe('Width of the grayscale image motion is computed on; smaller is cheaper and coarser.'),
        pixelThreshold: z
          .int()
          .min(1)
          .max(255)
          .default(25)
          .describe('Grey-level difference from the background above which a pixel counts as moving.'),
        minAreaShare: z
          .number()
          .min(0)
          .max(1)
          .default(0.0015)
          .describe('Smallest moving area, as a share of the frame, that counts as motion.'),
        backgroundAlpha: z
          .number()
          .min(0.001)
          .max(1)
          .default(0.1)
          .describe('How fast the background learns the scene (share of each new frame blended in).'),
        cropToMotion: z
          .boolean()
          .default(false)
          .describe(
            'Run the detector on a square crop around the motion instead of the whole frame (finds small, distant people better; objects outside the crop are not seen).',
          ),
        keepAliveSec: z
          .number()
          .min(0)
          .max(60)
          .default(2)
          .describe(
            'Keep analysing this long after motion stops, so tracked objects that halt are not lost at once.',
          ),
      })
      .prefault({})
      .describe('Motion gating: a cheap frame difference decides which frames reach the object detector.'),
    tracking: z
      .strictObject({
        matchIou: z
          .number()
          .min(0.05)
          .max(0.95)
          .default(0.2)
          .describe('Smallest overlap (IoU) between a track and a new box to continue the track.'),
        endAfterSec: z
          .number()
          .min(0.5)
          .max(600)
          .default(3)
          .describe('An event ends when its object has not been seen for this long.'),
        minHits: z
          .int()
          .min(1)
          .max(20)
          .default(2)
          .describe('Sightings needed before a track becomes an event (filters one-frame false positives).'),
        stationaryAfterSec: z
          .number()
          .min(1)
          .max(3600)
          .default(20)
          .describe(
            'An object that moved less than stationaryMovement for this long is stationary: no alerts.',
          ),
        stationaryMovement: z
          .number()
          .min(0)
          .max(1)
          .default(0.02)
          .describe(
            'Movement of the box centre, as a share of the frame, under which an object counts as still.',
          ),
        updateEverySec: z
          .number()
          .min(0.2)
          .max(600)
          .default(5)
          .describe('How often an ongoing event publishes an update.'),
      })
      .prefault({})
      .describe('Tracking detections across frames into objects.'),
    snapshots: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Attach the best snapshot (crop and full frame) to events.'),
        quality: z.int().min(30).max(100).default(80).describe('JPEG quality of snapshots.'),
      })
      .prefault({})
      .describe('Event snapshots.'),
    incidents: z
      .strictObject({
        quietGapSec: z
          .number()
          .min(5)
          .max(3600)
          .default(60)
          .describe(
            'An incident (rule hits on one camera, and zone when the rule names one) closes after this long without a new hit or a member object moving; later activity opens a new incident.',
          ),
        maxSnapshots: z
          .int()
          .min(1)
          .max(20)
          .default(6)
          .describe('Best snapshots kept in an incident’s strip (one per object).'),
      })
      .prefault({})
      .describe('Grouping rule hits into incidents, what a guard acts on.'),
  })
  .prefault({})
  .describe('Motion-gated object detection, tracking, events, alerts and incidents.');
export type DetectConfig = z.infer<typeof DetectConfig>;
