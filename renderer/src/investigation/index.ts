import { InvestigationView, investigationViewId, trailHash } from './InvestigationView';
import { TrailActions } from './TrailActions';

/** Registration of the Investigation view for the application shell's navigation (route "#/investigation"). */
export const investigationView = {
  id: investigationViewId,
  label: 'Investigation',
  component: InvestigationView,
} as const;
export { InvestigationView, TrailActions, trailHash };
