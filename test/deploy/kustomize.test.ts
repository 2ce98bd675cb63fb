/**
 * The Kubernetes manifests (deploy/k8s) as a cluster would receive them: each overlay is rendered with
 * `kubectl kustomize` and every property docs/kubernetes.md promises is checked on the rendered objects
 * — probes, resources, security context, disruption budget, network policy, service, configuration,
 * secret references, scraping, shutdown grace, and what differs between dev (SQLite) and prod
 * (PostgreSQL, 3 replicas, image by digest). The prod overlay as shipped holds placeholders and
 * scripts/check-k8s-placeholders.mjs must call it not deployable; filled in, deployable.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateDirectory } from '../../src/cli/commands/validate.ts';
import { envVariables, parseEnv, type EnvVariable } from '../../src/env/env.schema.ts';
import { parseDuration } from '../../src/time/duration.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const k8s = path.join(root, 'deploy/k8s');
const checkScript = path.join(root, 'scripts/check-k8s-placeholders.mjs');

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
type K8sObject = Record<string, any>;

async function render(directory: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', directory], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as K8sObject;
  });
}

async function checkPlaceholders(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [checkScript, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found.map((o) => `${o.kind}/${o.metadata.name}`)).toHaveLength(1);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const secretVariables = (envVariables as readonly EnvVariable[]).filter((v) => v.secret);
const knownVariables = new Set((envVariables as readonly EnvVariable[]).map((v) => v.name));

interface Overlay {
  readonly name: 'dev' | 'prod';
  objects: K8sObject[];
}
const overlays: Overlay[] = [
  { name: 'dev', objects: [] },
  { name: 'prod', objects: [] },
];

beforeAll(async () => {
  for (const overlay of overlays) overlay.objects = await render(path.join(k8s, 'overlays', overlay.name));
});

describe.each(overlays)('the $name overlay', (overlay) => {
  const deployment = () => only(overlay.objects, 'Deployment', 'tide');
  const pod = () => deployment().spec.template;
  const container = () => {
    const containers = pod().spec.containers as K8sObject[];
    expect(containers.map((c) => c.name)).toEqual(['tide']);
    return containers[0]!;
  };
  const env = () => new Map((container().env as K8sObject[]).map((e) => [e.name as string, e]));
  const literal = (name: string) => env().get(name)?.value as string | undefined;

  it('renders only objects of kinds the docs describe, all in one namespace, and no Secret', () => {
    const kinds = overlay.objects.map((o) => o.kind);
    expect(kinds).not.toContain('Secret');
    const namespaces = new Set(overlay.objects.map((o) => o.metadata.namespace));
    expect(namespaces).toEqual(new Set([overlay.name === 'dev' ? 'tide-dev' : 'tide']));
    for (const kind of kinds)
      expect([
        'ServiceAccount',
        'ConfigMap',
        'Service',
        'Deployment',
        'PodDisruptionBudget',
        'NetworkPolicy',
        'PersistentVolumeClaim',
        'ServiceMonitor',
      ]).toContain(kind);
  });

  it('selects its own pods, and every env var it sets is a setting Tide knows, with a valid value', () => {
    expect(matches(deployment().spec.selector.matchLabels, pod().metadata.labels)).toBe(true);
    for (const name of env().keys()) expect([...knownVariables, 'HOME', 'TMPDIR']).toContain(name);
    const literals = Object.fromEntries(
      [...env().entries()].filter(([, e]) => typeof e.value === 'string').map(([n, e]) => [n, e.value]),
    );
    const parsed = parseEnv(literals);
    expect(parsed).toMatchObject({ ok: true });
  });

  it('probes liveness and startup on /api/health/live and readiness on /api/health/ready, on the API port', () => {
    const c = container();
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(literal('TIDE_PORT')).toBe('8080');
    expect(literal('TIDE_HOST')).toBe('0.0.0.0');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/api/health/live', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/api/health/live', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/api/health/ready', port: 'http' });
    // Migrations at start get minutes before liveness may restart the pod.
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe])
      expect(probe.timeoutSeconds).toBeGreaterThanOrEqual(2);
  });

  it('requests CPU and memory and caps memory', () => {
    const { requests, limits } = container().resources;
    expect(requests.cpu).toMatch(/^\d+m?$/);
    expect(requests.memory).toMatch(/^\d+(Mi|Gi)$/);
    expect(limits.memory).toMatch(/^\d+(Mi|Gi)$/);
  });

  it('runs as a fixed non-root user, read-only, without privilege escalation or capabilities, under seccomp', () => {
    const podContext = pod().spec.securityContext;
    expect(podContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container().securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod().spec.automountServiceAccountToken).toBe(false);
    expect(only(overlay.objects, 'ServiceAccount', 'tide').automountServiceAccountToken).toBe(false);
    expect(pod().spec.serviceAccountName).toBe('tide');
  });

  it('writes only to volumes: /tmp (HOME, TMPDIR) and the data directory are mounted, the config read-only', () => {
    const mounts = new Map((container().volumeMounts as K8sObject[]).map((m) => [m.mountPath as string, m]));
    const volumes = new Map((pod().spec.volumes as K8sObject[]).map((v) => [v.name as string, v]));
    expect(volumes.get(mounts.get('/tmp')!.name)!.emptyDir).toBeDefined();
    expect(literal('HOME')).toBe('/tmp');
    expect(literal('TMPDIR')).toBe('/tmp');
    // The data directory is a directory Tide creates (and so owns, 0700) inside a writable volume.
    const dataDir = literal('TIDE_DATA_DIR')!;
    const dataMount = mounts.get(path.posix.dirname(dataDir))!;
    expect(dataMount.name).toBe('data');
    expect(dataMount.readOnly).toBeFalsy();
    const configMount = mounts.get(literal('TIDE_CONFIG_DIR')!)!;
    expect(configMount.readOnly).toBe(true);
    for (const mount of mounts.values()) expect(volumes.has(mount.name)).toBe(true);
  });

  it('gives Kubernetes longer to wait than Tide takes to shut down gracefully', () => {
    const grace = parseDuration(literal('TIDE_SHUTDOWN_GRACE_PERIOD') ?? '30s');
    expect(grace.ok).toBe(true);
    const graceSeconds = grace.ok ? grace.ms / 1000 : Infinity;
    // After the grace period Tide sends SIGINT and gives the engine up to 10 s to write its state.
    expect(pod().spec.terminationGracePeriodSeconds).toBeGreaterThan(graceSeconds + 10);
  });

  it('takes secrets only by reference to Secrets the operator creates, never as values', () => {
    const vars = env();
    for (const variable of secretVariables) {
      const entry = vars.get(variable.name);
      if (entry === undefined) {
        expect(variable.optional, `${variable.name} is required in production`).toBe(true);
        continue;
      }
      expect(entry.value, variable.name).toBeUndefined();
      expect(entry.valueFrom.secretKeyRef.name, variable.name).toMatch(/^tide-/);
    }
    for (const name of ['TIDE_ENCRYPTION_KEY', 'TIDE_JWT_SECRET', 'TIDE_AUDIT_KEY'])
      expect(vars.get(name)?.valueFrom.secretKeyRef).toEqual({
        name: 'tide-secrets',
        key: expect.any(String),
      });
    // No ConfigMap smuggles a secret either.
    for (const configMap of overlay.objects.filter((o) => o.kind === 'ConfigMap'))
      expect(JSON.stringify(configMap.data)).not.toMatch(
        /TIDE_(ENCRYPTION_KEY|JWT_SECRET|AUDIT_KEY)|postgres:\/\//,
      );
  });

  it('mounts the configuration directory from the generated ConfigMap, every key at its path', () => {
    const configMap = only(overlay.objects, 'ConfigMap');
    expect(configMap.metadata.name).toMatch(/^tide-config-[a-z0-9]{10}$/);
    const volume = (pod().spec.volumes as K8sObject[]).find((v) => v.configMap)!;
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const items = volume.configMap.items as { key: string; path: string }[];
    expect(items.map((i) => i.key).sort()).toEqual(Object.keys(configMap.data).sort());
    for (const item of items) expect(item.path).toBe(item.key.replaceAll('__', '/'));
  });

  it('serves the API port through a Service named tide that selects the pods', () => {
    const service = only(overlay.objects, 'Service', 'tide');
    expect(matches(service.spec.selector, pod().metadata.labels)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('bounds voluntary disruption with a PodDisruptionBudget over the pods', () => {
    const budget = only(overlay.objects, 'PodDisruptionBudget', 'tide');
    expect(matches(budget.spec.selector.matchLabels, pod().metadata.labels)).toBe(true);
    const replicas = deployment().spec.replicas as number;
    if (budget.spec.minAvailable !== undefined) {
      expect(budget.spec.minAvailable).toBeLessThan(replicas);
      expect(budget.spec.maxUnavailable).toBeUndefined();
    } else expect(budget.spec.maxUnavailable).toBe(1);
  });

  it('admits traffic only to the API port and lets out only DNS, Tide replicas, HTTPS and listed ports', () => {
    const policies = overlay.objects.filter((o) => o.kind === 'NetworkPolicy');
    for (const policy of policies)
      expect(matches(policy.spec.podSelector.matchLabels, pod().metadata.labels)).toBe(true);
    const base = only(overlay.objects, 'NetworkPolicy', 'tide');
    expect(base.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const ingressPorts = (base.spec.ingress as K8sObject[]).flatMap((rule) => rule.ports);
    expect(ingressPorts).toEqual([{ protocol: 'TCP', port: 8080 }]);
    const egress = policies.flatMap((p) => (p.spec.egress ?? []) as K8sObject[]);
    // Every egress rule names its ports: nothing is open to everything.
    for (const rule of egress) expect(rule.ports?.length).toBeGreaterThan(0);
    const ports = egress.flatMap((rule) => rule.ports as { protocol: string; port: number }[]);
    const dns = egress.find((rule) => rule.ports.some((p: K8sObject) => p.port === 53))!;
    expect(dns.ports).toEqual(
      expect.arrayContaining([
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ]),
    );
    expect(dns.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    const expected = overlay.name === 'prod' ? [53, 8080, 443, 5432] : [53, 8080, 443];
    expect(new Set(ports.map((p) => p.port))).toEqual(new Set(expected));
  });

  it('carries Prometheus scrape annotations for /metrics on the API port', () => {
    expect(pod().metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });
});

describe('the dev overlay', () => {
  const objects = () => overlays[0]!.objects;
  const deployment = () => only(objects(), 'Deployment', 'tide');

  it('runs one replica on SQLite, recreated rather than rolled, its data directory on a PersistentVolumeClaim', () => {
    const spec = deployment().spec;
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    const env = spec.template.spec.containers[0].env as K8sObject[];
    expect(env.map((e) => e.name)).not.toContain('TIDE_DATABASE_URL');
    const dataDir = env.find((e) => e.name === 'TIDE_DATA_DIR')!.value as string;
    const mount = (spec.template.spec.containers[0].volumeMounts as K8sObject[]).find(
      (m) => m.mountPath === path.posix.dirname(dataDir),
    )!;
    const volume = (spec.template.spec.volumes as K8sObject[]).find((v) => v.name === mount.name)!;
    expect(volume).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'tide-data' } });
    const claim = only(objects(), 'PersistentVolumeClaim', 'tide-data');
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(claim.spec.resources.requests.storage).toMatch(/Gi$/);
  });

  it('has no placeholder left', async () => {
    const result = await checkPlaceholders('deploy/k8s/overlays/dev');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('deployable: no placeholders');
  });
});

describe('the prod overlay', () => {
  const objects = () => overlays[1]!.objects;
  const deployment = () => only(objects(), 'Deployment', 'tide');
  const podLabels = () => deployment().spec.template.metadata.labels;

  it('runs three replicas on PostgreSQL, its URL from a Secret, rolling one at a time with none down', () => {
    const spec = deployment().spec;
    expect(spec.replicas).toBe(3);
    expect(spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    const env = spec.template.spec.containers[0].env as K8sObject[];
    expect(env.find((e) => e.name === 'TIDE_DATABASE_URL')).toEqual({
      name: 'TIDE_DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'tide-database', key: 'url' } },
    });
    expect(env.find((e) => e.name === 'TIDE_ENV')!.value).toBe('production');
    expect(only(objects(), 'PodDisruptionBudget', 'tide').spec.minAvailable).toBe(2);
    expect(objects().map((o) => o.kind)).not.toContain('PersistentVolumeClaim');
  });

  it('spreads replicas over nodes (strictly) and zones', () => {
    const constraints = deployment().spec.template.spec.topologySpreadConstraints as K8sObject[];
    expect(constraints.map((c) => [c.topologyKey, c.whenUnsatisfiable, c.maxSkew])).toEqual([
      ['kubernetes.io/hostname', 'DoNotSchedule', 1],
      ['topology.kubernetes.io/zone', 'ScheduleAnyway', 1],
    ]);
    for (const constraint of constraints)
      expect(matches(constraint.labelSelector.matchLabels, podLabels())).toBe(true);
  });

  it('pins the image by digest', () => {
    expect(deployment().spec.template.spec.containers[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('is scraped by a ServiceMonitor on the Service, so the job is "tide" as the alert rules expect', async () => {
    const monitor = only(objects(), 'ServiceMonitor', 'tide');
    const service = only(objects(), 'Service', 'tide');
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(monitor.spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
    ]);
    const alerts = await readFile(path.join(root, 'deploy/prometheus/tide-alerts.yaml'), 'utf8');
    expect(alerts).toContain('job="tide"');
  });

  it('is reported not deployable while placeholders remain, naming each one', async () => {
    const result = await checkPlaceholders('--require-digest', 'deploy/k8s/overlays/prod');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Deployment/tide spec.template.spec.containers[0].image');
    expect(result.stdout).toContain('placeholder image digest (all zeros)');
    expect(result.stdout).toContain('REPLACE_WITH_REGISTRY');
    expect(result.stdout).toContain('REPLACE_WITH_PUBLIC_HOST');
    expect(result.stdout).toMatch(/NOT DEPLOYABLE: 2 value\(s\) to replace/);
  });

  describe('filled in by an operator overlay', () => {
    let directory = '';
    beforeAll(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'tide-k8s-'));
      await writeFile(
        path.join(directory, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          `  - ${path.relative(directory, path.join(k8s, 'overlays/prod'))}`,
          'images:',
          '  - name: REPLACE_WITH_REGISTRY/tide',
          '    newName: registry.acme.test/platform/tide',
          `    digest: sha256:${'ab'.repeat(32)}`,
          'patches:',
          '  - patch: |',
          '      apiVersion: apps/v1',
          '      kind: Deployment',
          '      metadata: { name: tide }',
          '      spec:',
          '        template:',
          '          spec:',
          '            containers:',
          '              - name: tide',
          '                env:',
          '                  - name: TIDE_PUBLIC_URL',
          '                    value: https://tide.acme.test',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    it('is deployable once the image digest and the public URL are set', async () => {
      const objects = await render(directory);
      const env = only(objects, 'Deployment', 'tide').spec.template.spec.containers[0].env as K8sObject[];
      expect(env.find((e) => e.name === 'TIDE_PUBLIC_URL')!.value).toBe('https://tide.acme.test');
      const result = await checkPlaceholders('--require-digest', directory);
      expect(result.stdout).toContain('deployable: no placeholders');
      expect(result.code).toBe(0);
    });
  });

  it('is refused by the check when the manifests cannot be rendered', async () => {
    const result = await checkPlaceholders('deploy/k8s/overlays/none');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('deploy/k8s/overlays/none: cannot render the manifests');
  });
});

describe('the example configuration shipped in the ConfigMap', () => {
  let directory = '';
  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('is a valid Tide configuration directory as the kubelet lays it out (top-level entries are symlinks)', async () => {
    const [configMap] = (await render(path.join(k8s, 'base'))).filter((o) => o.kind === 'ConfigMap');
    directory = await mkdtemp(path.join(tmpdir(), 'tide-k8s-config-'));
    // The kubelet writes a ConfigMap volume into a timestamped directory, points `..data` at it and
    // links each top-level entry through `..data`, so a change is swapped in atomically.
    const versioned = path.join(directory, '..2026_12_01_00_00_00.000000001');
    const tops = new Set<string>();
    for (const [key, content] of Object.entries(configMap!.data as Record<string, string>)) {
      const relative = key.replaceAll('__', '/');
      tops.add(relative.split('/')[0]!);
      await mkdir(path.dirname(path.join(versioned, relative)), { recursive: true });
      await writeFile(path.join(versioned, relative), content);
    }
    await symlink(path.basename(versioned), path.join(directory, '..data'));
    for (const top of tops) await symlink(path.join('..data', top), path.join(directory, top));

    const result = await validateDirectory(directory, 'UTC');
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, workspaces: ['hello'] });
  });
});
