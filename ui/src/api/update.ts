// The self-update routes (`/api/update*`). The desktop shell runs the updater and publishes its state; a headless
// viban-server answers `supported: false` and refuses the actions with 409 `updates_unsupported`.
import type { InstallUpdateRequest, UpdateSettings, UpdateState } from './generated/types';
import { request } from './http';

export const updateApi = {
  /** Phase, offer and notes, download progress, the last error and the last install's outcome. */
  get: () => request<UpdateState>('GET', '/api/update'),
  /** 202: the shell checks now (the answer is the state before the check; poll for the result). */
  check: () => request<UpdateState>('POST', '/api/update/check', {}),
  /** 202: installs and restarts. 409 `agents_running` (ask, then resend with `stop_agents: true`), `no_update`. */
  install: (body: InstallUpdateRequest) => request<UpdateState>('POST', '/api/update/install', body),
  /** Channel and custom manifest URL; 400 `validation` for an endpoint that is not https (http only on loopback). */
  saveSettings: (body: UpdateSettings) => request<UpdateState>('PUT', '/api/update/settings', body),
  /** 204: hides the "updated" / "rolled back" / "install failed" outcome. */
  dismiss: () => request<void>('POST', '/api/update/dismiss', {}),
};
