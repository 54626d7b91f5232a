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

export function ConnectionStatus({ state }: { state: ConnectionState }) {
  return (
    <div
      className={`connection connection-${state}`}
      data-testid="connection-status"
      data-state={state}
      role="status"
      title={TITLES[state]}
    >
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[state]}
    </div>
  );
}
