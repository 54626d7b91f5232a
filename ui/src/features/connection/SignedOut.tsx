/** Shown when the server answers 401: this browser has no session cookie yet. */
export function SignedOut() {
  const example = `${window.location.origin}/auth?token=…`;
  return (
    <div className="empty-state empty-state-big" data-testid="signed-out">
      <div className="empty-icon" aria-hidden="true">
        ⚿
      </div>
      <h2>Not signed in</h2>
      <p>
        Open the link printed by <code>viban-server</code> when it started:
      </p>
      <p>
        <code className="code-block">{example}</code>
      </p>
      <p className="muted small">
        The token is also in <code>server.json</code> in the viban data folder. The link sets a session cookie for this
        browser and brings you back here.
      </p>
      <button type="button" className="button" onClick={() => window.location.reload()}>
        I have signed in, reload
      </button>
    </div>
  );
}
