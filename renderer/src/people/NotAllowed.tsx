import { Component, type ReactNode } from 'react';
import { roleLabel, useSession } from './session';

/** What a view the caller may not open shows instead (a link from someone else, an old bookmark). */
export function NotAllowed({ what }: { what: string }) {
  const role = useSession()?.session.role;
  return (
    <div className="not-allowed" role="note">
      <h2>{what} is not part of your work here</h2>
      <p>
        {role ? `Your role (${roleLabel(role)}) does not include ${what}.` : `You may not open ${what}.`} If
        you need it, ask an administrator to change your role.
      </p>
    </div>
  );
}

/** Keeps a view that failed while drawing from blanking the whole window: says so, in words, and offers a retry. */
export class ViewBoundary extends Component<{ children: ReactNode; view: string }, { failed?: string }> {
  override state: { failed?: string } = {};
  static getDerivedStateFromError(err: unknown) {
    return { failed: err instanceof Error ? err.message : String(err) };
  }
  override componentDidUpdate(prev: { view: string }) {
    if (prev.view !== this.props.view && this.state.failed) this.setState({ failed: undefined });
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="not-allowed" role="alert">
        <h2>This view could not be shown</h2>
        <p className="muted">{this.state.failed}</p>
        <button type="button" onClick={() => this.setState({ failed: undefined })}>
          Try again
        </button>
      </div>
    );
  }
}

/** Above the events of a caller without the archive: how far back they reach. */
export function LookbackNote() {
  const session = useSession()?.session;
  if (!session || session.permissions.includes('events.search') || session.lookbackMinutes === undefined)
    return null;
  return (
    <div className="lookback-note" role="note" aria-label="Look-back">
      Recent events: the last {session.lookbackMinutes} minutes of your cameras. Older events are for
      investigators and supervisors.
    </div>
  );
}
