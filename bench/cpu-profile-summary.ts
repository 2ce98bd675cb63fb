/**
 * What a server's CPU profile (`--cpu-profile DIR`, node --cpu-prof) says in a few lines: where the main
 * thread was busy, by function, as a share of the samples that were not idle. Self time: the function's own
 * code, not what it called (`ChildProcess.spawn` is the fork itself).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  readonly busy_ms: number;
  readonly top: readonly { readonly share: number; readonly at: string }[];
}

export function summarizeCpuProfile(file: string, count = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busy++;
    const at = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    self.set(at, (self.get(at) ?? 0) + 1);
  }
  const sampleMs = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  return {
    busy_ms: Math.round(busy * sampleMs),
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([at, samples]) => ({ share: Number(((100 * samples) / Math.max(1, busy)).toFixed(1)), at })),
  };
}
