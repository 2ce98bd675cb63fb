/**
 * The configuration as the rest of Tide sees it: validated, normalised (durations in ms, schedules as
 * lists, defaults applied) and frozen. Produced by config-loader.ts from the files; never written back.
 */
import type { Calendar, EdgeSchedule, UptimeWindow } from '../schedule/schedule-model.ts';
import type { EventTrigger } from './schedule-field.schema.ts';

/** The mode of a deploy that names none: what its run sees as TIDE_MODE and its workspace records. */
export const DEFAULT_MODE = 'default';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface WorkspacePolicy {
  readonly catchUp: 'latest' | 'none';
  readonly startingDeadlineMs: number;
  readonly concurrency: 'queue' | 'skip' | 'replace';
  readonly jitterMs: number;
  readonly retries: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly retryOn: readonly string[];
  readonly timeoutMs: number;
}

export interface PreDestroyCheck {
  /** argv: run without a shell. Exactly one of command and http. */
  readonly command?: readonly string[];
  readonly http?: string;
  readonly timeoutMs: number;
}

export interface NotificationRule {
  readonly on: readonly string[];
  /** For run events: only these actions; empty = all. */
  readonly actions: readonly string[];
  readonly email: readonly string[];
  readonly webhook?: string;
  /** Global secret that signs `webhook` deliveries. */
  readonly webhookSecret?: string;
  /** Global secrets holding the incoming-webhook URLs. */
  readonly slackUrlSecret?: string;
  readonly teamsUrlSecret?: string;
  /** A target of the global notifications file. */
  readonly target?: string;
  readonly remindBeforeMs: readonly number[];
}

/** Where a notification goes; secrets by name only (src/notification/). */
export type NotificationTarget =
  | { readonly type: 'webhook'; readonly url: string; readonly secret?: string }
  | { readonly type: 'slack'; readonly urlSecret: string }
  | { readonly type: 'teams'; readonly urlSecret: string }
  | { readonly type: 'email'; readonly to: readonly string[] };

export interface NotificationSmtp {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user?: string;
  readonly passwordSecret?: string;
  readonly from: string;
}

/** The global notifications file (`<config>/notifications.yaml`), normalised. */
export interface NotificationSettings {
  readonly file: string;
  readonly smtp?: NotificationSmtp;
  readonly targets: ReadonlyMap<string, NotificationTarget>;
  readonly rules: readonly {
    readonly on: readonly string[];
    readonly targets: readonly string[];
    /** Name patterns; empty = every workspace and the cluster-wide events. */
    readonly workspaces: readonly string[];
    readonly actions: readonly string[];
  }[];
}

export interface JobDefinition {
  readonly name: string;
  /** Owning workspace, or `_standalone_`. */
  readonly scope: string;
  /** Workspace whose context a standalone job runs in, if any; for workspace jobs, the workspace. */
  readonly workspace?: string;
  readonly description: string;
  readonly type: 'script' | 'command' | 'template';
  readonly script?: string;
  readonly command?: string | readonly string[];
  readonly template?: string;
  readonly schedules: readonly EdgeSchedule[];
  readonly events: readonly Exclude<EventTrigger, '@reboot'>[];
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  readonly timeoutMs: number;
  readonly enabled: boolean;
  readonly dependsOn: readonly string[];
  readonly retries: number;
  readonly timezone: string;
  readonly tags: readonly string[];
  /** Config file, relative to the config directory. */
  readonly file: string;
}

export interface CustomCommands {
  readonly init_command?: string;
  readonly plan_command?: string;
  readonly apply_command?: string;
  readonly destroy_command?: string;
}

export interface WorkspaceDefinition {
  readonly name: string;
  readonly enabled: boolean;
  readonly description: string;
  readonly timezone: string;
  readonly template?: string;
  /** deploy/destroy/mode/plan schedules, plus workspace job cron schedules. */
  readonly edges: readonly EdgeSchedule[];
  readonly uptime: readonly UptimeWindow[];
  readonly enforce: boolean;
  readonly calendars: readonly string[];
  /** Every mode the workspace knows (from `modes`, `mode_schedules` and `uptime`), with its variables. */
  readonly modes: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly sensitiveVariables: readonly string[];
  readonly dependsOn: readonly string[];
  readonly ttlMs?: number;
  /** Asked before a scheduled, window or TTL destroy (src/scheduler/pre-destroy-check.ts). */
  readonly preDestroyCheck?: PreDestroyCheck;
  readonly protect: boolean;
  /** `drift.remediate`: a drifted workspace gets a deploy in its next allowed window (docs/drift.md). */
  readonly driftRemediate: boolean;
  readonly hourlyCost?: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly policy: WorkspacePolicy;
  readonly notifications: readonly NotificationRule[];
  readonly jobs: readonly JobDefinition[];
  readonly customDeploy?: CustomCommands;
  readonly customDestroy?: CustomCommands;
  /** Absolute path of the workspace folder. */
  readonly directory: string;
  /** Config file, relative to the config directory (e.g. `workspaces/web/config.json`). */
  readonly file: string;
  /** Files of the folder (relative, sorted) that make up the workspace's code, config included. */
  readonly files: readonly string[];
  /** sha256 over the folder's files and its template's content: changes whenever anything that matters does. */
  readonly contentHash: string;
}

export interface LocalTemplate {
  readonly name: string;
  readonly directory: string;
  readonly files: readonly string[];
  readonly contentHash: string;
}

export type ProblemSeverity = 'error' | 'warning';

/** One thing wrong with the configuration: where (file + JSON path) and why. */
export interface ConfigProblem {
  readonly severity: ProblemSeverity;
  /** Relative to the config directory. */
  readonly file: string;
  /** Dotted JSON path (`jobs[1].schedule`), empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** The workspace, job, calendar or template the problem belongs to. */
  readonly unit: {
    kind: 'workspace' | 'job' | 'calendar' | 'template' | 'environment' | 'notifications' | 'directory';
    name: string;
  };
}

export interface ConfigSnapshot {
  readonly directory: string;
  readonly workspaces: ReadonlyMap<string, WorkspaceDefinition>;
  readonly jobs: ReadonlyMap<string, JobDefinition>;
  readonly calendars: ReadonlyMap<string, Calendar>;
  readonly templates: ReadonlyMap<string, LocalTemplate>;
  readonly problems: readonly ConfigProblem[];
  /**
   * Blue/green environments (docs/environments.md), from `environments/` and the Provisioner's `<env>.json`.
   * Always set by the loader; optional only so snapshots built by hand (tests) need not name it.
   */
  readonly environments?: ReadonlyMap<string, EnvironmentDefinition>;
  /** The global notifications file, when there is a valid one. */
  readonly notifications?: NotificationSettings;
}

export const defaultPolicy: WorkspacePolicy = Object.freeze({
  catchUp: 'latest',
  startingDeadlineMs: 60 * 60_000,
  concurrency: 'queue',
  jitterMs: 0,
  retries: 2,
  backoffBaseMs: 30_000,
  backoffMaxMs: 10 * 60_000,
  // Transient failures worth a retry: network trouble, provider rate limits, a state lock held by someone else.
  retryOn: Object.freeze([
    'connection (reset|refused)',
    'i/o timeout',
    'TLS handshake timeout',
    'no such host',
    'Too Many Requests|rate limit|Throttling',
    'Error acquiring the state lock',
    '503 Service Unavailable|502 Bad Gateway',
  ]),
  timeoutMs: 60 * 60_000,
});

export const defaultJobTimeoutMs = 10 * 60_000;

export interface EnvironmentHealthCheck {
  readonly type: 'http' | 'tcp' | 'command';
  /** http: the path (default `/`). */
  readonly path: string;
  /** http: default 80; tcp: required; command: unused. */
  readonly port?: number;
  /** command: the argv, `{server}` not yet replaced. */
  readonly command?: readonly string[];
  readonly timeoutMs: number;
}

export interface EnvironmentDefinition {
  readonly name: string;
  readonly description: string;
  readonly domain: string;
  readonly reservedIps: readonly string[];
  /** The file's `assigned_workspace`: the assignment until the first switch recorded in the database. */
  readonly initialWorkspace?: string;
  readonly healthCheck: EnvironmentHealthCheck;
  /** Output naming the targets, and output mapping a target id to its IP. */
  readonly outputs: { readonly addresses: string; readonly addressMap: string };
  /**
   * A command run once per reserved IP (placeholders, `{reserved_ip}`, …, not yet replaced), or a template
   * applied once per switch as a stack of its own (`command` is then empty).
   */
  readonly action: {
    readonly command: readonly string[];
    readonly template?: {
      readonly name: string;
      readonly variables: Readonly<Record<string, JsonValue>>;
    };
    readonly timeoutMs: number;
    readonly implicit: boolean;
  };
  /** Check the new targets again after the actions, and restore the previous assignment if they fail. */
  readonly verify: boolean;
  /** `environments` (Tide) or `provisioner` (`<config>/<env>.json`). */
  readonly layout: 'environments' | 'provisioner';
  /** Relative to the config directory. */
  readonly file: string;
}
