/**
 * A watchdog per engine process group, so no engine process outlives the Tide process that started it.
 * The group runs detached (a signal to Tide must not reach it), so nothing would stop it when Tide dies
 * of SIGKILL. The watchdog is a POSIX `sh` in a group of its own that blocks reading a pipe from Tide.
 * When the run ends normally Tide writes a line and it exits. When Tide dies, however it dies, the kernel
 * closes Tide's end, the read hits end-of-file, and the watchdog sends SIGTERM to the engine's group —
 * the provisioners' shells and sleeps die at once, the engine gets a chance to write its state — then
 * SIGKILL to whatever is left after 2 s (checked every 0.1 s, so a group that is gone ends it early).
 * Its argv holds only the group id: no secret ever reaches a command line.
 */
import { spawn } from 'node:child_process';

const WATCHDOG_SCRIPT = [
  // Signals meant for Tide or its terminal (Ctrl-C, a hang-up) must not end the watchdog first.
  "trap '' INT TERM HUP QUIT",
  'IFS= read -r _ && exit 0',
  'kill -s TERM -- "-$1" 2>/dev/null || exit 0',
  'i=0',
  'while [ "$i" -lt 20 ] && kill -s 0 -- "-$1" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done',
  'kill -s KILL -- "-$1" 2>/dev/null',
  'exit 0',
].join('\n');

export interface GroupWatchdog {
  /** The group ended under Tide's control: the watchdog exits without signalling it. */
  release(): void;
}

/**
 * Starts the watchdog of process group `pgid`; it acts only if this process dies before release().
 * `onUnprotected` hears why, if the watchdog could not start: the run goes on, but its log says so.
 */
export function watchGroup(
  pgid: number,
  onUnprotected: (reason: string) => void,
  shell = '/bin/sh',
): GroupWatchdog {
  const watchdog = spawn(shell, ['-c', WATCHDOG_SCRIPT, 'tide-watchdog', String(pgid)], {
    detached: true,
    // Only where to find `sleep` (`kill` is a shell builtin): nothing of the server's environment.
    env: { PATH: '/usr/bin:/bin' },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // A watchdog that could not start only means less protection: the run goes on, and says so.
  watchdog.on('error', (error) => onUnprotected(error.message));
  watchdog.stdin.on('error', () => undefined);
  watchdog.unref();
  return {
    release(): void {
      watchdog.stdin.end('\n');
    },
  };
}
