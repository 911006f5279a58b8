import { HandoverBanner, HandoverView, handoverViewId } from './HandoverView';

/** Registration of the Handover view for the application shell's navigation (route "#/handover"). */
export const handoverView = { id: handoverViewId, label: 'Handover', component: HandoverView } as const;
export { HandoverBanner, HandoverView };
