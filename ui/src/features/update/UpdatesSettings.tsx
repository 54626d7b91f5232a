import { useEffect, useId, useState, type FormEvent } from 'react';
import type { UpdateChannel, UpdateState } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { CHANNEL_ENDPOINTS, checkResultText, customEndpointOf, endpointErrorText, isBusy, settingsBody, whenText } from './update';
import { updateApi } from '../../api/update';
import { useRestartToUpdate } from './useRestartToUpdate';
import { useUpdate } from './useUpdate';

/**
 * Settings → Updates: the running version, the channel, a custom update URL (self-hosting), Check for updates with
 * the last check's time and result, and the versions skipped after a failed start. Where viban cannot update
 * itself (headless, not installed from a package) only the version and why.
 */
export function UpdatesSettings() {
  const update = useUpdate();
  const { refresh } = update;
  // Opening Settings asks again: the last poll may be a minute old.
  useEffect(() => refresh(), [refresh]);
  const state = update.state;

  return (
    <div className="updates-settings" data-testid="updates-settings">
      <div className="agents-toolbar">
        <span className="field-label">Updates</span>
        {state && (
          <span className="muted small" data-testid="update-current-version">
            viban {state.current_version}
          </span>
        )}
      </div>
      {!state && !update.error && <p className="muted small">Loading…</p>}
      {!state && update.error && (
        <div className="form-error" role="alert">
          <span>Cannot read the update state: {update.error}</span>
          <span>
            <button type="button" className="button" onClick={refresh}>
              Retry
            </button>
          </span>
        </div>
      )}
      {state && !state.supported && (
        <p className="muted small" data-testid="update-unsupported">
          Updates are not available here: {state.why_unsupported ?? 'this viban cannot update itself'}.
        </p>
      )}
      {state && state.supported && <Supported state={state} />}
    </div>
  );
}

function Supported({ state }: { state: UpdateState }) {
  const update = useUpdate();
  const restart = useRestartToUpdate();
  const [checkError, setCheckError] = useState<string | null>(null);
  const [asked, setAsked] = useState(false);
  const [saved, setSaved] = useState(false);
  const result = checkResultText(state);
  const canRestart = state.phase === 'available' || state.phase === 'ready';

  const check = () => {
    setAsked(true);
    setCheckError(null);
    updateApi
      .check()
      .then(() => update.expectChange())
      .catch((e: unknown) => setCheckError(errorMessage(e)))
      .finally(() => setAsked(false));
  };

  return (
    <div className="updates-body">
      <SettingsForm
        key={`${state.channel}|${state.endpoint ?? ''}`}
        state={state}
        onSaved={() => {
          setSaved(true);
          update.expectChange();
        }}
        onEdit={() => setSaved(false)}
      />
      {saved && (
        <p className="small land-notice" role="status" data-testid="update-settings-saved">
          Saved. Checking for updates with the new settings…
        </p>
      )}

      <div className="updates-check">
        <button
          type="button"
          className="button"
          data-testid="update-check"
          onClick={check}
          disabled={asked || isBusy(state.phase)}
        >
          {(asked || state.phase === 'checking') && <span className="spinner" aria-hidden="true" />}
          Check for updates
        </button>
        {canRestart && (
          <button type="button" className="button button-primary" data-testid="update-settings-restart" onClick={restart.start} disabled={restart.busy}>
            {restart.busy ? 'Restarting…' : 'Restart to update'}
          </button>
        )}
        <span className="muted small" data-testid="update-last-check">
          Last checked: {whenText(state.last_check, Date.now())}
        </span>
      </div>
      <p className={`small update-result update-result-${result.tone}`} role="status" data-testid="update-check-result">
        {result.text}
      </p>
      {checkError && (
        <p className="form-error small" role="alert">
          Could not check for updates: {checkError}
        </p>
      )}

      {state.skipped.length > 0 && (
        <div className="updates-skipped" data-testid="update-skipped">
          <span className="field-label">Skipped versions</span>
          <p className="muted small">These did not start correctly after installing and are not offered again.</p>
          <ul>
            {state.skipped.map((v) => (
              <li key={v}>
                <code>{v}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {restart.dialog}
    </div>
  );
}

/** Channel and custom URL, saved together (`PUT /api/update/settings`); a refused URL is said under its field. */
function SettingsForm({ state, onSaved, onEdit }: { state: UpdateState; onSaved: () => void; onEdit: () => void }) {
  const [channel, setChannel] = useState<UpdateChannel>(state.channel);
  const [url, setUrl] = useState(() => customEndpointOf(state));
  const [saving, setSaving] = useState(false);
  const [urlError, setUrlError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const urlErrorId = useId();
  const dirty = channel !== state.channel || url.trim() !== customEndpointOf(state);

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (saving || !dirty) return;
    setSaving(true);
    setUrlError(null);
    setError(null);
    updateApi
      .saveSettings(settingsBody(channel, url))
      .then(() => onSaved())
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'validation') setUrlError(endpointErrorText(err.message));
        else setError(errorMessage(err));
      })
      .finally(() => setSaving(false));
  };

  return (
    <form className="updates-form" onSubmit={save} aria-label="Update settings">
      <label className="field updates-channel">
        <span>Channel</span>
        <select
          data-testid="update-channel"
          value={channel}
          onChange={(e) => {
            setChannel(e.target.value === 'beta' ? 'beta' : 'stable');
            onEdit();
          }}
        >
          <option value="stable">Stable</option>
          <option value="beta">Beta</option>
        </select>
      </label>
      <label className="field updates-url">
        <span>Custom update URL (optional)</span>
        <input
          type="text"
          inputMode="url"
          spellCheck={false}
          autoComplete="off"
          data-testid="update-endpoint"
          placeholder={CHANNEL_ENDPOINTS[channel]}
          value={url}
          aria-invalid={urlError !== null}
          aria-describedby={urlError ? urlErrorId : undefined}
          onChange={(e) => {
            setUrl(e.target.value);
            setUrlError(null);
            onEdit();
          }}
        />
      </label>
      <div className="form-actions">
        <button type="submit" className="button" data-testid="update-settings-save" disabled={saving || !dirty}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <span className="muted small">Empty: the channel's own address. https only (plain http on 127.0.0.1 or localhost).</span>
      </div>
      {urlError && (
        <p id={urlErrorId} className="form-error small" role="alert" data-testid="update-endpoint-error">
          {urlError}
        </p>
      )}
      {error && (
        <p className="form-error small" role="alert">
          Could not save the update settings: {error}
        </p>
      )}
    </form>
  );
}
