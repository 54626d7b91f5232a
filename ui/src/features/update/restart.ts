// Restart to update: ask the server to install; when agents are running it answers 409 `agents_running` and the
// user is asked first (restarting stops them); only a yes sends it again with `stop_agents: true`.
import type { InstallUpdateRequest } from '../../api/generated/types';
import { ApiError } from '../../api/client';
import { confirmMessage } from './update';
import { updateApi } from '../../api/update';

export type RestartResult = 'started' | 'cancelled';

/** Asks the user (a dialog): true to stop the agents and restart. */
export type AskToStopAgents = (message: string) => Promise<boolean>;

export type InstallCall = (body: InstallUpdateRequest) => Promise<unknown>;

/**
 * `started`: the server accepted (202) and viban restarts soon; `cancelled`: agents run and the user said no.
 * Any other refusal (`no_update`, `updates_unsupported`, network) is thrown as it came.
 */
export async function restartToUpdate(ask: AskToStopAgents, install: InstallCall = updateApi.install): Promise<RestartResult> {
  try {
    await install({ stop_agents: false });
    return 'started';
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'agents_running') throw e;
    if (!(await ask(confirmMessage(e.message)))) return 'cancelled';
  }
  await install({ stop_agents: true });
  return 'started';
}
