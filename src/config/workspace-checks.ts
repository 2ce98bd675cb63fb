import { checkDependencies } from './dependency-graph.ts';
import { reservedVariableNames } from './names.ts';
import type { WorkspaceConfig } from './workspace-config.schema.ts';

export interface Finding {
  severity: 'error' | 'warning';
  path: string;
  message: string;
}

/**
 * Rules that span fields of one workspace and that a schema cannot say. Rules involving other workspaces,
 * templates or calendars live in cross-checks.ts.
 */
export function checkWorkspace(
  config: WorkspaceConfig,
  context: { name: string; files: readonly string[] },
): Finding[] {
  return [
    ...checkScheduleKinds(config),
    ...checkDriftSchedule(config),
    ...checkModes(config),
    ...checkVariables(config),
    ...checkJobs(config),
    ...checkCode(config, context.files),
    ...(config.depends_on?.includes(context.name)
      ? [{ severity: 'error' as const, path: 'depends_on', message: 'a workspace cannot depend on itself' }]
      : []),
    ...(config.name !== undefined && config.name !== context.name
      ? [
          {
            severity: 'warning' as const,
            path: 'name',
            message: `ignored: the workspace is named after its folder ("${context.name}"), not "${config.name}"`,
          },
        ]
      : []),
  ];
}

/** `plan_schedule` is the old name of `drift_schedule`: still accepted, never together with it. */
function checkDriftSchedule(config: WorkspaceConfig): Finding[] {
  if (config.plan_schedule === undefined) return [];
  if (config.drift_schedule !== undefined) {
    return [
      {
        severity: 'error',
        path: 'plan_schedule',
        message: 'set drift_schedule or its deprecated alias plan_schedule, not both',
      },
    ];
  }
  return [
    {
      severity: 'warning',
      path: 'plan_schedule',
      message: 'plan_schedule is deprecated: rename it to drift_schedule (same meaning)',
    },
  ];
}

function checkScheduleKinds(config: WorkspaceConfig): Finding[] {
  const findings: Finding[] = [];
  if (config.mode_schedules !== undefined && config.deploy_schedule !== undefined) {
    // The Provisioner's wording, kept so its users recognise it.
    findings.push({
      severity: 'error',
      path: 'mode_schedules',
      message: "cannot specify both 'mode_schedules' and 'deploy_schedule'",
    });
  }
  if (config.uptime !== undefined) {
    const edges = (['deploy_schedule', 'destroy_schedule', 'mode_schedules'] as const).filter(
      (key) => config[key] !== undefined,
    );
    if (edges.length > 0) {
      findings.push({
        severity: 'error',
        path: 'uptime',
        message: `uptime windows cannot be combined with ${edges.join(', ')}: the windows already say when to deploy and destroy`,
      });
    }
  } else if (config.enforce !== undefined) {
    findings.push({
      severity: 'error',
      path: 'enforce',
      message: '"enforce" applies to uptime windows and this workspace has none',
    });
  }
  return findings;
}

function checkModes(config: WorkspaceConfig): Finding[] {
  if (config.modes === undefined) return [];
  const declared = Object.keys(config.modes);
  const used: { mode: string; path: string }[] = [
    ...Object.keys(config.mode_schedules ?? {}).map((mode) => ({ mode, path: `mode_schedules.${mode}` })),
    ...(config.uptime ?? []).flatMap((window, index) =>
      window.mode ? [{ mode: window.mode, path: `uptime[${index}].mode` }] : [],
    ),
  ];
  return used
    .filter(({ mode }) => !declared.includes(mode))
    .map(({ mode, path }) => ({
      severity: 'error' as const,
      path,
      message: `mode "${mode}" is not declared in "modes" (declared: ${declared.join(', ') || 'none'})`,
    }));
}

function checkVariables(config: WorkspaceConfig): Finding[] {
  const findings: Finding[] = [];
  const variableSets = [
    { path: 'variables', values: config.variables ?? {} },
    ...Object.entries(config.modes ?? {}).map(([mode, settings]) => ({
      path: `modes.${mode}.variables`,
      values: settings.variables ?? {},
    })),
  ];
  for (const { path, values } of variableSets) {
    for (const reserved of reservedVariableNames) {
      if (reserved in values) {
        findings.push({
          severity: 'error',
          path: `${path}.${reserved}`,
          message: `"${reserved}" is set by Tide for every run; use another name`,
        });
      }
    }
  }
  (config.sensitive_variables ?? []).forEach((name, index) => {
    if (name in (config.variables ?? {})) {
      findings.push({
        severity: 'error',
        path: `sensitive_variables[${index}]`,
        message: `"${name}" is also in "variables": sensitive values are set through the API, never in files`,
      });
    }
  });
  return findings;
}

function checkJobs(config: WorkspaceConfig): Finding[] {
  const jobs = config.jobs ?? [];
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  jobs.forEach((job, index) => {
    if (seen.has(job.name)) {
      findings.push({
        severity: 'error',
        path: `jobs[${index}].name`,
        message: `duplicate job name "${job.name}" (also jobs[${seen.get(job.name)}])`,
      });
    } else seen.set(job.name, index);
  });
  // A duplicate is already reported; its first definition is the one dependencies refer to.
  const graph = new Map([...seen].map(([name, index]) => [name, jobs[index]!.depends_on ?? []]));
  const { missing, cycles } = checkDependencies(graph);
  for (const { from, to } of missing) {
    findings.push({
      severity: 'error',
      path: `jobs[${seen.get(from)}].depends_on`,
      message: `job "${from}" depends on non-existent job "${to}"`,
    });
  }
  for (const cycle of cycles) {
    findings.push({
      severity: 'error',
      path: `jobs[${seen.get(cycle[0]!)}].depends_on`,
      message: `circular dependency between jobs: ${cycle.join(' → ')}`,
    });
  }
  return findings;
}

function checkCode(config: WorkspaceConfig, files: readonly string[]): Finding[] {
  // OpenTofu reads only the root directory of a module, so only top-level files count.
  const hasCode = files.some((file) => !file.includes('/') && /\.tf(\.json)?$/.test(file));
  if (hasCode || config.template !== undefined) return [];
  return [
    {
      severity: 'error',
      path: '',
      message: 'no OpenTofu code: add *.tf files to the folder or set "template"',
    },
  ];
}
