/**
 * A watchdog for the engine's process groups, so no engine process outlives the Tide process that started
 * it. The groups run detached (a signal to Tide must not reach them), so nothing would stop them when Tide
 * dies of SIGKILL. The watchdog is one POSIX `sh` per Tide process, in a group of its own, that reads a pipe
 * from Tide: `+<pgid>` when a group starts, `-<pgid>` when it ends under Tide's control. When Tide dies,
 * however it dies, the kernel closes Tide's end, the read hits end-of-file, and the watchdog sends SIGTERM
 * to every group still listed — the provisioners' shells and sleeps die at once, the engine gets a chance
 * to write its state — then SIGKILL to whatever is left after 2 s (checked every 0.1 s).
 *
 * One shared watchdog rather than one per group: a spawn from Node blocks its event loop, and a second
 * spawn per engine step doubled the scheduling lag at high firing rates (docs/benchmarks.md).
 * Its argv holds no group id and no secret; its environment only a PATH.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

const WATCHDOG_SCRIPT = [
  // Signals meant for Tide or its terminal (Ctrl-C, a hang-up) must not end the watchdog first.
  "trap '' INT TERM HUP QUIT",
  'groups=',
  'while IFS= read -r line; do',
  '  case $line in',
  '    +*) groups="$groups ${line#+}" ;;',
  '    -*) kept=; for g in $groups; do [ "$g" = "${line#-}" ] || kept="$kept $g"; done; groups=$kept ;;',
  '  esac',
  'done',
  '[ -n "$groups" ] || exit 0',
  'for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done',
  'i=0',
  'while [ "$i" -lt 20 ]; do',
  '  alive=; for g in $groups; do kill -s 0 -- "-$g" 2>/dev/null && alive=1; done',
  '  [ -n "$alive" ] || exit 0',
  '  sleep 0.1; i=$((i + 1))',
  'done',
  'for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done',
  'exit 0',
].join('\n');

export interface GroupWatchdog {
  /** The group ended under Tide's control: the watchdog forgets it. */
  release(): void;
}

class SharedWatchdog {
  private child: ChildProcessByStdio<Writable, null, null> | null = null;
  private readonly groups = new Set<number>();

  constructor(private readonly shell: string) {}

  watch(pgid: number, onUnprotected: (reason: string) => void): GroupWatchdog {
    this.groups.add(pgid);
    if (this.child) this.child.stdin.write(`+${pgid}\n`);
    else this.start(onUnprotected);
    return {
      release: () => {
        if (this.groups.delete(pgid)) this.child?.stdin.write(`-${pgid}\n`);
      },
    };
  }

  /** Starts a watchdog that learns every group still running (the first, or one after its predecessor ended). */
  private start(onUnprotected: (reason: string) => void): void {
    const child = spawn(this.shell, ['-c', WATCHDOG_SCRIPT, 'tide-watchdog'], {
      detached: true,
      // Only where to find `sleep` (`kill` is a shell builtin): nothing of the server's environment.
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.child = child;
    const gone = (): void => {
      if (this.child === child) this.child = null;
    };
    // A watchdog that could not start only means less protection: the run goes on, and says so.
    child.on('error', (error) => {
      gone();
      onUnprotected(error.message);
    });
    child.on('exit', gone);
    child.stdin.on('error', () => undefined);
    // Neither the watchdog nor its pipe may keep Tide running.
    child.unref();
    (child.stdin as unknown as Socket).unref();
    for (const group of this.groups) child.stdin.write(`+${group}\n`);
  }
}

const watchdogs = new Map<string, SharedWatchdog>();

/**
 * Puts process group `pgid` under this process's watchdog; it acts only if this process dies before
 * release(). `onUnprotected` hears why, if the watchdog could not start: the run goes on, its log says so.
 */
export function watchGroup(
  pgid: number,
  onUnprotected: (reason: string) => void,
  shell = '/bin/sh',
): GroupWatchdog {
  let watchdog = watchdogs.get(shell);
  if (!watchdog) {
    watchdog = new SharedWatchdog(shell);
    watchdogs.set(shell, watchdog);
  }
  return watchdog.watch(pgid, onUnprotected);
}
