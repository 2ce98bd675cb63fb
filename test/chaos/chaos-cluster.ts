/**
 * The parts of the chaos test: real `tide serve` replicas on one PostgreSQL database, each with a data
 * directory of its own, and the marker file their engines' provisioners write to. A provisioner records
 * when it starts, then waits for the test to release it, then records its effect (the create or destroy
 * it stands for) and its end; killed, its shell's trap records that instead. So the test decides when a
 * step is running and when it ends, and never depends on how fast the machine is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, processExists, TIDE_BIN, waitFor } from '../helpers/serve-process.ts';

export type Phase = 'create' | 'destroy';

export interface ProvisionerEvent {
  /** `gone`: written by the test once the process of a step whose replica it killed no longer exists. */
  readonly kind: 'start' | 'effect' | 'end' | 'killed' | 'gone';
  readonly phase: Phase;
  readonly workspace: string;
  readonly runId: string;
  readonly at: number;
  /** The provisioner shell's pid (start lines). */
  readonly pid: number;
}

/** One provisioner execution: a run's create or destroy step, from its start to its end or its death. */
export interface StepSpan {
  readonly key: string;
  readonly phase: Phase;
  readonly workspace: string;
  readonly runId: string;
  readonly start: number;
  readonly pid: number;
  /** Its end, its trap's record of being killed, or when the test saw it gone (whichever came first). */
  readonly finish: number | null;
  readonly effect: boolean;
  readonly killed: boolean;
}

/** Engine code whose provisioners report to `markerFile` and wait for `<releaseDir>/<run>-<phase>`. */
export function chaosWorkspaceTf(markerFile: string, releaseDir: string): string {
  const step = (phase: Phase, workspace: string) => {
    const line = (kind: string) =>
      `echo ${kind} ${phase} ${workspace} $TIDE_RUN_ID $(date +%s%3N) $$ >> ${markerFile}`;
    return [
      line('start'),
      `trap '${line('killed')}; exit 1' TERM INT`,
      `while [ ! -e ${releaseDir}/$TIDE_RUN_ID-${phase} ]; do sleep 0.05 & wait $!; done`,
      line('effect'),
      line('end'),
    ].join('; ');
  };
  return `
variable "workspace" { type = string }
resource "terraform_data" "unit" {
  input = var.workspace
  provisioner "local-exec" {
    command = ${JSON.stringify(step('create', '${var.workspace}'))}
  }
  provisioner "local-exec" {
    when    = destroy
    command = ${JSON.stringify(step('destroy', '${self.input}'))}
  }
}
`;
}

export function readEvents(markerFile: string): ProvisionerEvent[] {
  if (!existsSync(markerFile)) return [];
  return readFileSync(markerFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [kind, phase, workspace, runId, at, pid] = line.split(' ');
      return { kind, phase, workspace, runId, at: Number(at), pid: Number(pid) } as ProvisionerEvent;
    });
}

/** The events grouped into one span per provisioner execution. */
export function spansOf(events: readonly ProvisionerEvent[]): StepSpan[] {
  const spans = new Map<string, StepSpan>();
  for (const event of events) {
    const key = `${event.runId}-${event.phase}`;
    const span = spans.get(key);
    if (event.kind === 'start') {
      spans.set(key, { key, ...event, start: event.at, finish: null, effect: false, killed: false });
    } else if (span) {
      const ends = event.kind === 'end' || event.kind === 'killed' || event.kind === 'gone';
      spans.set(key, {
        ...span,
        finish: ends && span.finish === null ? event.at : span.finish,
        effect: span.effect || event.kind === 'effect',
        killed: span.killed || event.kind === 'killed' || event.kind === 'gone',
      });
    }
  }
  return [...spans.values()];
}

/** Pairs of spans of one workspace, from different runs, whose executions overlapped in time. */
export function overlaps(spans: readonly StepSpan[]): [StepSpan, StepSpan][] {
  const found: [StepSpan, StepSpan][] = [];
  for (const a of spans)
    for (const b of spans) {
      if (a.key >= b.key || a.workspace !== b.workspace || a.runId === b.runId) continue;
      const aEnd = a.finish ?? Number.POSITIVE_INFINITY;
      const bEnd = b.finish ?? Number.POSITIVE_INFINITY;
      if (a.start < bEnd && b.start < aEnd) found.push([a, b]);
    }
  return found;
}

/** What replicas of one cluster share: the database and the keys. */
export interface ClusterSettings {
  readonly configDir: string;
  readonly databaseUrl: string;
  readonly leaseDuration: string;
  readonly shutdownGrace: string;
}

export class Replica {
  readonly name: string;
  readonly dataDir: string;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  port = 0;

  constructor(name: string, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.dataDir = mkdtempSync(path.join(tmpdir(), `tide-chaos-${name}-`));
    this.#env = env;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const child = spawn(process.execPath, [TIDE_BIN, 'serve', '--data-dir', this.dataDir], {
      env: { ...this.#env, TIDE_PORT: String(this.port) },
      stdio: 'ignore',
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      `${this.name} ready`,
      async () => (await fetch(`${this.url}/api/health/ready`)).ok,
      120_000,
    );
  }

  /** SIGKILL (a crash) or SIGTERM (a graceful stop); resolves once the process is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    this.#child?.kill(signal);
    await this.#exited;
    this.#child = null;
  }
}

export function clusterEnvironment(settings: ClusterSettings): NodeJS.ProcessEnv {
  const key = () => randomBytes(32).toString('base64');
  return {
    ...process.env,
    TIDE_CONFIG_DIR: settings.configDir,
    TIDE_DATABASE_URL: settings.databaseUrl,
    TIDE_ENCRYPTION_KEY: key(),
    TIDE_JWT_SECRET: key(),
    TIDE_AUDIT_KEY: key(),
    TIDE_RUN_LEASE_DURATION: settings.leaseDuration,
    TIDE_SHUTDOWN_GRACE_PERIOD: settings.shutdownGrace,
    TIDE_LOG_LEVEL: 'warn',
  };
}

/**
 * Releases every waiting provisioner except those it was asked to hold, until stopped. While it waits for
 * the next step to hold, only the steps that had started before are released.
 */
export class Releaser {
  readonly #markerFile: string;
  readonly #releaseDir: string;
  readonly #held = new Set<string>();
  /** While holdNext waits: the steps that had started before it was called (still released). */
  #before: Set<string> | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(markerFile: string, releaseDir: string) {
    this.#markerFile = markerFile;
    this.#releaseDir = releaseDir;
    this.#timer = setInterval(() => this.#releaseWaiting(), 50);
  }

  /** Keeps the next step that starts from being released; resolves with it once it is waiting. */
  async holdNext(): Promise<StepSpan> {
    const before = new Set(spansOf(readEvents(this.#markerFile)).map((span) => span.key));
    this.#before = before;
    try {
      return await waitFor(
        'a step to start',
        () => {
          const fresh = spansOf(readEvents(this.#markerFile)).find(
            (span) => !before.has(span.key) && span.finish === null,
          );
          if (fresh) this.#held.add(fresh.key);
          return fresh;
        },
        120_000,
      );
    } finally {
      this.#before = null;
    }
  }

  /** Lets a step held by holdNext go on. */
  release(span: StepSpan): void {
    this.#held.delete(span.key);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #releaseWaiting(): void {
    for (const span of spansOf(readEvents(this.#markerFile))) {
      if (span.finish !== null || this.#held.has(span.key)) continue;
      if (this.#before && !this.#before.has(span.key)) continue;
      const file = path.join(this.#releaseDir, span.key);
      if (!existsSync(file)) writeFileSync(file, '');
    }
  }
}

/**
 * After a replica was killed: waits until the provisioner of every step its runs had not finished is gone
 * (its shell's trap may have no time to say so: the engine kills its provisioners when it is told to stop),
 * and records when in the marker file. Returns how long the last one took to go.
 */
export async function recordGone(
  markerFile: string,
  steps: readonly StepSpan[],
  killedAt: number,
): Promise<number> {
  let slowest = 0;
  for (const step of steps) {
    await waitFor(`the provisioner of ${step.key} to be gone`, () => !processExists(step.pid), 60_000);
    const at = Date.now();
    slowest = Math.max(slowest, at - killedAt);
    appendFileSync(markerFile, `gone ${step.phase} ${step.workspace} ${step.runId} ${at} ${step.pid}\n`);
  }
  return slowest;
}
