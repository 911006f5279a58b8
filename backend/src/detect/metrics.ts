import { Counter, Histogram, register } from 'prom-client';

function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (
    (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames })
  );
}

/** Detection metrics in the default registry (served on /metrics). Created once per process. */
export const detectMetrics = {
  framesIn: counter('vigil_detect_frames_total', 'Analysis frames received by detection', ['camera']),
  framesAnalysed: counter('vigil_detect_frames_analysed_total', 'Frames the object detector ran on', [
    'camera',
  ]),
  framesSkipped: counter(
    'vigil_detect_frames_skipped_total',
    'Frames not analysed: reason "no_motion" (motion gating) or "behind" (detector queue full, oldest dropped)',
    ['camera', 'reason'],
  ),
  events: counter('vigil_detect_events_total', 'Events started', ['camera', 'label']),
  alerts: counter('vigil_alerts_raised_total', 'Alerts raised by alert rules', ['camera', 'severity']),
  inference:
    (register.getSingleMetric('vigil_detect_inference_seconds') as
      Histogram<'model' | 'backend'> | undefined) ??
    new Histogram({
      name: 'vigil_detect_inference_seconds',
      help: 'Time of one object detector call (pre-processing, inference, post-processing)',
      labelNames: ['model', 'backend'],
      buckets: [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5],
    }),
};
