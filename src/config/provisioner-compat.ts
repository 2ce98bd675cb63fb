/**
 * Values the Provisioner's own tools write that mean "not set" (docs/migration-from-provisioner.md): its
 * Go structs serialise an unset schedule as `null` (`workspacectl add`, `workspacectl update`) and an
 * unset string as `""` (hand edits of those files keep them). They are read as absent before validation,
 * so a config the Provisioner wrote loads as it wrote it, and everything else is validated unchanged.
 */

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function without(value: Raw, drop: (key: string, field: unknown) => boolean): Raw {
  return Object.fromEntries(Object.entries(value).filter(([key, field]) => !drop(key, field)));
}

const jobTypeFields = ['script', 'command', 'template'] as const;

/** A job as the Provisioner wrote it: `"schedule": null` (manual only) and `""` for unused type fields. */
export function provisionerJobValue(value: unknown): unknown {
  if (!isObject(value)) return value;
  return without(
    value,
    (key, field) =>
      (key === 'schedule' && field === null) ||
      ((jobTypeFields as readonly string[]).includes(key) && key !== value.type && field === ''),
  );
}

/** A workspace config as the Provisioner wrote it: null schedules and `"template": ""` are unset. */
export function provisionerWorkspaceValue(value: unknown): unknown {
  if (!isObject(value)) return value;
  const workspace = without(
    value,
    (key, field) =>
      ((key === 'deploy_schedule' || key === 'destroy_schedule') && field === null) ||
      (key === 'template' && field === ''),
  );
  if (Array.isArray(workspace.jobs)) workspace.jobs = workspace.jobs.map(provisionerJobValue);
  return workspace;
}
