// A stand-in agent for bench/cockpit.mjs: prints coloured 64-character lines at --rate MiB/s, in 16 bursts a second
// (as agents print: a chunk, then a pause), for --seconds, then stays until stopped. With --echo the terminal is in
// raw mode and every key typed is written back at once by this process, while a child prints the flood into the
// same terminal (a write to a terminal blocks until the server has read it, so one process doing both would hold
// each echo behind its own burst: the echo measures viban's path, not this script's).
//
//   node flood-agent.mjs --rate 1 --seconds 140 [--ticks 16] [--echo]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '60' },
    echo: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    // Bursts a second: 16 prints in chunks; 200 is close to a stream of small writes.
    ticks: { type: 'string', default: '16' },
  },
});
const rate = Number(values.rate) * 1024 * 1024;
const seconds = Number(values.seconds);
const LINE = Buffer.from(`\x1b[2m${'0123456789abcdef'.repeat(4)}\x1b[0m\r\n`);
const TICK_MS = 1000 / Number(values.ticks);

if (!values.quiet) process.stdout.write(`\x1b[1;35mflood-agent\x1b[0m ${values.rate} MiB/s${values.echo ? ', echoing keys' : ''}\r\n`);
if (values.echo) {
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on('data', (keys) => process.stdout.write(keys));
  const flood = spawn(process.execPath, [fileURLToPath(import.meta.url), '--rate', values.rate, '--seconds', values.seconds, '--ticks', values.ticks, '--quiet'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.on('SIGTERM', () => {
    flood.kill('SIGTERM');
    process.exit(0);
  });
} else {
  flood();
}

/** Whole lines up to where the clock says the output should be, `ticks` times a second, for `seconds`. */
function flood() {
  const started = performance.now();
  let written = 0;
  const tick = () => {
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= seconds) return;
    const due = Math.floor((elapsed * rate - written) / LINE.length);
    if (due > 0) {
      process.stdout.write(Buffer.concat(Array(due).fill(LINE)));
      written += due * LINE.length;
    }
    setTimeout(tick, TICK_MS);
  };
  tick();
}

// Stay until stopped.
setInterval(() => {}, 3_600_000);
