import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from './metrics.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** prom-client's Node.js process metrics: documented as a family, not one by one. */
const PROCESS_PREFIX = 'tide_process_';
/** Series that Prometheus (`up`) and the blackbox exporter (`probe_success`) provide, not Tide. */
const EXTERNAL_SERIES = new Set(['up', 'probe_success']);
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

const exposed = new Set(
  createMetrics()
    .registry.getMetricsAsArray()
    .map((metric) => metric.name),
);
const tideMetrics = [...exposed].filter((name) => !name.startsWith(PROCESS_PREFIX)).sort();

/** The exposed metric a series belongs to (a histogram's `…_bucket`, `…_sum`, `…_count`), if any. */
function metricOf(series: string): string | undefined {
  if (exposed.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return exposed.has(base) ? base : undefined;
}

/**
 * The series names a PromQL expression selects: what is left once strings, label matchers, ranges,
 * grouping clauses, functions and keywords are gone.
 */
function seriesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const identifiers = [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(?!\w|\s*\()/g)].map((m) => m[1]!);
  return identifiers.filter((name) => !PROMQL_KEYWORDS.has(name));
}

function expectKnownSeries(expr: string, where: string): void {
  const series = seriesIn(expr);
  expect(series.length, `${where} selects no metric: ${expr}`).toBeGreaterThan(0);
  for (const name of series) {
    expect(
      metricOf(name) !== undefined || EXTERNAL_SERIES.has(name),
      `${where}: unknown metric ${name} in ${expr}`,
    ).toBe(true);
  }
}

interface Panel {
  readonly title?: string;
  readonly id?: number;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly Panel[];
}

describe('monitoring docs, alerts and dashboard', () => {
  const doc = read('docs/monitoring.md');

  it('documents every metric Tide exposes in docs/monitoring.md, and no metric that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `(tide_\w+)` \|/gm)].map((m) => m[1]!).sort();
    expect(documented).toEqual(tideMetrics);
    expect(doc).toContain(`\`${PROCESS_PREFIX}\``);
    // Names in prose and example queries too, so a renamed metric cannot linger in the docs.
    const mentioned = [...doc.matchAll(/\btide_\w+/g)]
      .map((m) => m[0])
      .filter((name) => name !== PROCESS_PREFIX);
    expect(mentioned.filter((name) => metricOf(name) === undefined)).toEqual([]);
    const queries = [...doc.matchAll(/```promql\n([\s\S]*?)```/g)].flatMap((m) =>
      m[1]!.split(/\n(?=#|\n)/).map((block) => block.replace(/^#.*$/gm, '').trim()),
    );
    expect(queries.length).toBeGreaterThan(5);
    for (const query of queries.filter(Boolean)) expectKnownSeries(query, 'docs/monitoring.md');
  });

  it('ships alert rules over existing metrics, each one documented', () => {
    const rules = parse(read('deploy/prometheus/tide-alerts.yaml')) as {
      groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string } }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'TideDown',
        'TideNotReady',
        'TideRunsFailing',
        'TideScheduleLagHigh',
        'TideQueueGrowing',
        'TideConfigReloadErrors',
        'TideBackupStale',
      ]),
    );
    for (const rule of alerts) {
      expectKnownSeries(rule.expr, rule.alert);
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(doc, `docs/monitoring.md row for ${rule.alert}`).toContain(`| \`${rule.alert}\` |`);
    }
  });

  it('ships a Grafana dashboard whose every query uses existing metrics and which shows each of them', () => {
    const dashboard = JSON.parse(read('deploy/grafana/tide-dashboard.json')) as {
      uid: string;
      panels: Panel[];
    };
    const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs = panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ expr: target.expr ?? '', title: panel.title ?? '?' })),
    );
    for (const { expr, title } of exprs) expectKnownSeries(expr, `panel "${title}"`);
    const shown = new Set(exprs.flatMap(({ expr }) => seriesIn(expr).map(metricOf)));
    expect(tideMetrics.filter((name) => !shown.has(name))).toEqual([]);
  });

  it('reads the series names out of PromQL, not labels, ranges, functions or keywords', () => {
    expect(
      seriesIn(
        'histogram_quantile(0.99, sum by (le) (rate(tide_schedule_lag_seconds_bucket{job="tide"}[1h]))) > 2 and up == 0',
      ),
    ).toEqual(['tide_schedule_lag_seconds_bucket', 'up']);
    expect(seriesIn('time() - max(tide_backup_last_success_timestamp_seconds) > 26 * 3600')).toEqual([
      'tide_backup_last_success_timestamp_seconds',
    ]);
  });
});
