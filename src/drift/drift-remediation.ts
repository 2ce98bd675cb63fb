/**
 * When a drifted workspace with `drift.remediate: true` gets its deploy (docs/drift.md, decision 034),
 * pure: only while it is deployed and wanted up — an uptime workspace inside an open window (outside,
 * the window's own deploy at its next start brings the code back anyway), an edge workspace while its
 * last deploy/destroy edge says up (or it has none: it is up because someone deployed it) — never while
 * a run holds it, never on a disabled workspace. The deploy is keyed by the instant the drift began, so
 * a drift is remediated at most once however often checks find it again.
 */
export interface RemediationInput {
  readonly remediate: boolean;
  /** `enabled` in its config, the API's override winning. */
  readonly enabled: boolean;
  readonly hasUptime: boolean;
  /** What the schedules want now (src/schedule/desired-state.ts). */
  readonly desired: { readonly state: 'up' | 'down' | 'none'; readonly mode?: string };
  readonly status: string;
  readonly mode: string | null;
  readonly activeRun: unknown;
  readonly drifted: boolean;
  readonly driftSince: Date | null;
}

export interface Remediation {
  /** The ledger instant: when the drift began. */
  readonly at: Date;
  /** The mode to deploy in: the window's, or the one deployed. */
  readonly mode: string | null;
  readonly reason: string;
}

export const REMEDIATION_SCHEDULE_KEY = 'drift:remediate';

export function decideRemediation(input: RemediationInput): Remediation | null {
  if (!input.remediate || !input.enabled || !input.drifted || !input.driftSince) return null;
  if (input.activeRun || input.status !== 'deployed') return null;
  const wantedUp = input.hasUptime ? input.desired.state === 'up' : input.desired.state !== 'down';
  if (!wantedUp) return null;
  return {
    at: input.driftSince,
    mode: input.hasUptime ? (input.desired.mode ?? null) : input.mode,
    reason: 'drift remediation',
  };
}
