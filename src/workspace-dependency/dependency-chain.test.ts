import { describe, expect, it } from 'vitest';
import type { WorkspaceObservedStatus } from '../store/schema.ts';
import {
  declaredChain,
  dependentsGraph,
  describeChain,
  directionOf,
  planChain,
  reachableInOrder,
  type ActiveRun,
  type ChainInput,
} from './dependency-chain.ts';

// web → app → db → net, and app → cache; report → db.
const graph = new Map<string, string[]>([
  ['net', []],
  ['db', ['net']],
  ['cache', []],
  ['app', ['db', 'cache']],
  ['web', ['app']],
  ['report', ['db']],
]);

function plan(
  target: string,
  direction: 'deploy' | 'destroy',
  statuses: Record<string, WorkspaceObservedStatus> = {},
  active: Record<string, ActiveRun> = {},
  extra: Partial<ChainInput> = {},
) {
  return planChain({
    target,
    direction,
    graph,
    status: (w) => statuses[w] ?? 'destroyed',
    lastActive: (w) => active[w] ?? null,
    ...extra,
  });
}

describe('the deploy chain', () => {
  it('brings up every dependency, transitively, each after what it depends on', () => {
    const chain = plan('app', 'deploy');
    expect(chain.steps.map((s) => s.workspace)).toEqual(['cache', 'net', 'db']);
    expect(chain.steps.find((s) => s.workspace === 'db')?.waitsFor).toEqual(['net']);
    expect(chain.steps.find((s) => s.workspace === 'cache')?.waitsFor).toEqual([]);
    expect(describeChain(chain)).toBe('cache → net → db → app');
  });

  it('leaves out the dependencies already deployed, but still brings up what they depend on', () => {
    const chain = plan('app', 'deploy', { db: 'deployed', cache: 'deployed' });
    expect(chain.steps).toEqual([{ workspace: 'net', run: { kind: 'queue' }, waitsFor: [] }]);
  });

  it('redeploys every dependency when asked for all of them', () => {
    const deployed = { db: 'deployed', cache: 'deployed', net: 'deployed' } as const;
    expect(plan('app', 'deploy', deployed).steps).toEqual([]);
    expect(plan('app', 'deploy', deployed, {}, { all: true }).steps.map((s) => s.workspace)).toEqual([
      'cache',
      'net',
      'db',
    ]);
  });

  it('brings up a failed or half-destroyed dependency again', () => {
    const chain = plan('db', 'deploy', { net: 'deploy_failed' });
    expect(chain.steps.map((s) => s.workspace)).toEqual(['net']);
    expect(plan('db', 'deploy', { net: 'destroy_failed' }).steps.map((s) => s.workspace)).toEqual(['net']);
  });

  it('waits for a deploy already queued or running instead of asking twice', () => {
    const chain = plan('db', 'deploy', {}, { net: { id: 'run-net', action: 'deploy' } });
    expect(chain.steps).toEqual([
      { workspace: 'net', run: { kind: 'await', runId: 'run-net' }, waitsFor: [] },
    ]);
    const mode = plan('db', 'deploy', {}, { net: { id: 'run-mode', action: 'mode' } });
    expect(mode.steps[0]?.run).toEqual({ kind: 'await', runId: 'run-mode' });
  });

  it('queues a deploy behind a destroy of a deployed dependency', () => {
    const chain = plan('db', 'deploy', { net: 'deployed' }, { net: { id: 'run-down', action: 'destroy' } });
    expect(chain.steps).toEqual([{ workspace: 'net', run: { kind: 'queue' }, waitsFor: [] }]);
  });

  it('ignores an active job or plan: the status decides', () => {
    expect(plan('db', 'deploy', { net: 'deployed' }, { net: { id: 'j', action: 'job' } }).steps).toEqual([]);
    expect(plan('db', 'deploy', {}, { net: { id: 'p', action: 'plan' } }).steps[0]?.run).toEqual({
      kind: 'queue',
    });
  });

  it('is empty for a workspace that depends on nothing', () => {
    expect(plan('net', 'deploy').steps).toEqual([]);
    expect(describeChain(plan('net', 'deploy'))).toBe('net');
  });
});

describe('the destroy chain', () => {
  const up = { web: 'deployed', app: 'deployed', report: 'deployed', db: 'deployed' } as const;

  it('takes down every dependent first, dependents of dependents before them', () => {
    const chain = plan('db', 'destroy', up);
    expect(chain.steps.map((s) => s.workspace)).toEqual(['web', 'app', 'report']);
    expect(chain.steps.find((s) => s.workspace === 'app')?.waitsFor).toEqual(['web']);
    expect(describeChain(chain)).toBe('web → app → report → db');
  });

  it('leaves out dependents already destroyed', () => {
    const chain = plan('db', 'destroy', { app: 'deployed' });
    expect(chain.steps.map((s) => s.workspace)).toEqual(['app']);
  });

  it('waits for a destroy already under way, and queues one behind a deploy', () => {
    const chain = plan(
      'db',
      'destroy',
      {},
      {
        app: { id: 'run-app-down', action: 'destroy' },
        report: { id: 'run-report-up', action: 'deploy' },
      },
    );
    expect(chain.steps).toEqual([
      { workspace: 'app', run: { kind: 'await', runId: 'run-app-down' }, waitsFor: [] },
      { workspace: 'report', run: { kind: 'queue' }, waitsFor: [] },
    ]);
  });
});

describe('graph helpers', () => {
  it('reverses the graph, dependents sorted', () => {
    expect(dependentsGraph(graph).get('db')).toEqual(['app', 'report']);
    expect(dependentsGraph(new Map([['a', ['gone']]])).get('a')).toEqual([]);
  });

  it('walks reachable nodes in post-order, skipping unknown ones', () => {
    expect(reachableInOrder(graph, 'web')).toEqual(['cache', 'net', 'db', 'app']);
    expect(reachableInOrder(new Map([['a', ['missing']]]), 'a')).toEqual([]);
  });

  it('names the direction of an action', () => {
    expect(['deploy', 'mode', 'destroy', 'plan', 'job'].map(directionOf)).toEqual([
      'deploy',
      'deploy',
      'destroy',
      null,
      null,
    ]);
  });

  it('declares the chain both ways for the schedule preview', () => {
    expect(declaredChain(graph, 'db')).toEqual({ deploy: ['net'], destroy: ['web', 'app', 'report'] });
  });
});
