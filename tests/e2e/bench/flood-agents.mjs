// The agents configuration the terminal benchmarks run (cockpit.mjs, echo-socket.mjs): `flood` prints --rate MiB/s
// of coloured lines in --ticks bursts a second for --seconds (`flood-agent.mjs`, next to this file); `floodecho`
// does the same and echoes, in raw mode, every key typed into its terminal.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FLOOD = join(dirname(fileURLToPath(import.meta.url)), 'flood-agent.mjs');

/** config/agents.toml for a server: the two agents, and room for eight runs at once. */
export function floodAgentsToml({ rate, ticks, seconds }) {
  const args = (echo) => [FLOOD, '--rate', String(rate), '--ticks', String(ticks), '--seconds', String(seconds), ...(echo ? ['--echo'] : [])];
  return `[runs]
max_concurrent = 8
max_per_project = 8

[agents.flood]
name = "Flood"
command = ${JSON.stringify(process.execPath)}
args = ${JSON.stringify(args(false))}

[agents.floodecho]
name = "Flood + echo"
command = ${JSON.stringify(process.execPath)}
args = ${JSON.stringify(args(true))}
`;
}
