/**
 * `tide import provisioner <state-dir> [--config-dir D] [--apply]`: adopts a Provisioner installation
 * (src/provisioner-import/). It opens the database directly, like `tide db migrate`, because the state it
 * imports is sealed with this installation's encryption key. Dry-run unless `--apply`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfigDirectory } from '../../config/config-loader.ts';
import { TideError } from '../../errors/tide-error.ts';
import { readProvisionerInstallation } from '../../provisioner-import/provisioner-files.ts';
import {
  importProvisioner,
  type ImportItem,
  type ImportReport,
  type TemplateImporter,
} from '../../provisioner-import/provisioner-import.ts';
import { loadKeyring } from '../../secrets/encryption-key.ts';
import type { Store } from '../../store/database.ts';
import { TemplateService } from '../../template/template.service.ts';
import { systemClock } from '../../time/clock.ts';
import { withOfflineStore, withStoreOptions, type StoreOptions } from '../offline-store.ts';
import { printJson, type CliContext } from '../output.ts';
import { loadEnv } from '../settings.ts';

interface ImportOptions extends StoreOptions {
  configDir?: string;
  apply?: boolean;
  json?: boolean;
}

export interface ImportCommandDeps {
  /** Registers git templates; without it the report gives the `tide template add` command for each. */
  readonly templateImporter?: TemplateImporter;
}

const outcomeText: Record<ImportItem['outcome'], string> = {
  imported: 'imported',
  would_import: 'would import',
  already_imported: 'already imported',
  not_imported: 'not imported',
};

export function formatImportReport(report: ImportReport): string[] {
  const head = report.applied
    ? `Provisioner installation ${report.state_dir}: imported`
    : `Provisioner installation ${report.state_dir}: dry run, nothing written (add --apply to import)`;
  const lines = [head];
  for (const item of report.items) {
    lines.push(
      `${item.kind.padEnd(8)} ${item.name.padEnd(24)} ${outcomeText[item.outcome].padEnd(16)} ${item.detail}`,
    );
    if (item.command) lines.push(`${' '.repeat(51)}${item.command}`);
  }
  const count = (outcome: ImportItem['outcome']) => report.items.filter((i) => i.outcome === outcome).length;
  lines.push(
    `${count(report.applied ? 'imported' : 'would_import')} ${report.applied ? 'imported' : 'to import'}, ${count('already_imported')} already imported, ${count('not_imported')} not imported`,
  );
  return lines;
}

/** Reading needs the migrated tables; a database without them gets a clear message, not a driver error. */
async function requireTables(store: Store): Promise<void> {
  const tables = new Set((await store.db.introspection.getTables()).map((table) => table.name));
  if (!tables.has('state_versions') || !tables.has('workspace_status'))
    throw new TideError(
      'database_unavailable',
      `${store.location} is not migrated: run tide db migrate (or start tide serve) first`,
    );
}

async function requireDirectory(directory: string): Promise<void> {
  const found = await stat(directory).catch(() => null);
  if (!found?.isDirectory())
    throw new TideError('not_found', `Provisioner state directory ${directory} does not exist`);
}

/** The registry's entries go to the template service, pinned like `tide template add` does. */
function gitTemplateImporter(templates: () => TemplateService): TemplateImporter {
  return {
    async importTemplate(template, actor) {
      const result = await templates().importTemplate(
        { name: template.name, url: template.url, ref: template.ref, subdir: template.subdir ?? undefined },
        actor,
      );
      return { imported: result.imported, detail: `${template.url} pinned to ${result.template.commit}` };
    },
  };
}

export function registerImport(program: Command, ctx: CliContext, deps: ImportCommandDeps = {}): void {
  const command = program
    .command('import')
    .description('Adopt what another tool manages')
    .command('provisioner')
    .description(
      "Adopt a Provisioner installation: each workspace's state, status and last deploy/destroy times (dry run unless --apply)",
    )
    .argument('<state-dir>', "the Provisioner's state directory (scheduler.json, deployments/, templates/)")
    .option('--config-dir <dir>', "import only workspaces defined in Tide's configuration directory")
    .option('--apply', 'write the import (default: a dry run that only reports)')
    .option('--json', 'print the report as JSON');
  withStoreOptions(command).action(async (stateDirArg: string, options: ImportOptions) => {
    const env = loadEnv(ctx.env);
    const stateDir = path.resolve(ctx.cwd, stateDirArg);
    await requireDirectory(stateDir);
    let configWorkspaces: { directory: string; names: ReadonlySet<string> } | undefined;
    if (options.configDir !== undefined) {
      const directory = path.resolve(ctx.cwd, options.configDir);
      const { snapshot } = await loadConfigDirectory(directory, { defaultTimeZone: env.TIDE_TIMEZONE });
      configWorkspaces = { directory, names: new Set(snapshot.workspaces.keys()) };
    }
    const installation = await readProvisionerInstallation(stateDir);
    const dataDir = options.dataDir ?? env.TIDE_DATA_DIR;
    const report = await withOfflineStore(
      options,
      async (store) => {
        await requireTables(store);
        // Only an import that writes needs the key (and, in development, may generate it).
        const keyring = options.apply
          ? await loadKeyring({
              key: env.TIDE_ENCRYPTION_KEY,
              previousKeys: env.TIDE_ENCRYPTION_KEY_PREVIOUS,
              dataDir,
              production: env.TIDE_ENV === 'production',
              logger: { warn: (_fields, message) => ctx.output.err(`tide: warning: ${message}`) },
            })
          : undefined;
        return importProvisioner(installation, {
          db: store.db,
          keyring,
          apply: options.apply ?? false,
          now: systemClock.now(),
          configWorkspaces,
          templateImporter:
            deps.templateImporter ??
            gitTemplateImporter(() => {
              if (!keyring) throw new Error('a template is imported only with --apply');
              return new TemplateService({ db: store.db, keyring, clock: systemClock, dataDir });
            }),
          actor: 'cli:import-provisioner',
        });
      },
      ctx.env,
    );
    if (options.json) printJson(ctx.output, report);
    else for (const line of formatImportReport(report)) ctx.output.out(line);
    // Files it could not read are worth a non-zero exit: a script must not take a partial import for done.
    if (report.items.some((item) => item.kind === 'file')) ctx.exitCode = 1;
  });
}
