import type { ConnectionState } from './liveConnection';

const LABELS: Record<ConnectionState, string> = {
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const TITLES: Record<ConnectionState, string> = {
  connected: 'Live updates are on',
  reconnecting: 'Reconnecting to the live change feed',
  offline: 'The viban server cannot be reached; retrying automatically',
};

/** `restarting`: a planned restart to update is under way, so being away is expected (not shown as an outage). */
export function ConnectionStatus({ state, restarting = false }: { state: ConnectionState; restarting?: boolean }) {
  const planned = restarting && state !== 'connected';
  return (
    <div
      className={`connection connection-${planned ? 'reconnecting' : state}`}
      data-testid="connection-status"
      data-state={state}
      role="status"
      title={planned ? 'viban is restarting to update; reconnecting by itself' : TITLES[state]}
    >
      <span className="connection-dot" aria-hidden="true" />
      {planned ? 'Restarting…' : LABELS[state]}
    </div>
  );
}
