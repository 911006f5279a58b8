import type { Box } from '../contract/media.js';
import { iou } from './nms.js';

export interface MatchCounts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/**
 * Greedy matching of detections (best score first) to ground-truth boxes at an IoU threshold, the usual way
 * detection precision and recall are counted: each truth box matches at most one detection.
 */
export function matchDetections(
  detections: ReadonlyArray<{ box: Box; score: number }>,
  truth: readonly Box[],
  iouThreshold = 0.5,
): MatchCounts {
  const used = new Set<number>();
  let tp = 0;
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = iouThreshold;
    truth.forEach((t, i) => {
      if (used.has(i)) return;
      const v = iou(d.box, t);
      if (v >= bestIou) {
        bestIou = v;
        best = i;
      }
    });
    if (best >= 0) {
      used.add(best);
      tp++;
    }
  }
  return { truePositives: tp, falsePositives: detections.length - tp, falseNegatives: truth.length - tp };
}
