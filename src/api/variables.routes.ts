/**
 * `/api/v1/workspaces/{name}/variables` (SPEC §6): the configured variables, and the sensitive ones as
 * write-only slots. A sensitive value goes in through PUT and never comes back out of the API: reads say
 * only whether it is set and since when.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { JsonValue, WorkspaceDefinition } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { TideError } from '../errors/tide-error.ts';
import type { SecretStore, SensitiveVariableView } from '../secrets/secret-store.ts';
import type { ApiDeps } from './api-deps.ts';
import { parseRequest, variablesBody, workspaceParams } from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { routeConfig } from './route-config.ts';
import type { SameShape } from '../types/same-shape.d.ts';

export interface VariablesView {
  /** From the workspace's config file; sensitive variables are never among them (the loader refuses that). */
  readonly variables: WorkspaceDefinition['variables'];
  readonly sensitive: readonly SensitiveVariableView[];
}

/** A configured variable's value: any JSON. */
const jsonValueSchema: z.ZodType<JsonValue> = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(z.lazy(() => jsonValueSchema)),
    z.record(
      z.string(),
      z.lazy(() => jsonValueSchema),
    ),
  ])
  .meta({ id: 'JsonValue' });

export const variablesViewSchema = z
  .object({
    variables: z.record(z.string(), jsonValueSchema),
    sensitive: z.array(z.object({ name: z.string(), set: z.boolean(), updated_at: z.string().nullable() })),
  })
  .meta({ id: 'Variables' });

const _variablesViewMatches: SameShape<VariablesView, z.output<typeof variablesViewSchema>> = true;

type VariablesDeps = Pick<ApiDeps, 'config' | 'audit'> & {
  readonly secrets: Pick<SecretStore, 'describe' | 'update'>;
};

export const variablesRoutes: FastifyPluginAsync<{ deps: VariablesDeps }> = async (app, { deps }) => {
  const view = async (name: string, definition: WorkspaceDefinition): Promise<VariablesView> => ({
    variables: definition.variables,
    sensitive: await deps.secrets.describe(name, definition.sensitiveVariables),
  });

  app.get(
    '/workspaces/:name/variables',
    {
      config: routeConfig({
        permission: 'read',
        workspaceParam: 'name',
        summary: "A workspace's variables; sensitive ones only as set/unset",
        schemas: { params: workspaceParams, response: { status: 200, schema: variablesViewSchema } },
      }),
    },
    async (request) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      return view(name, definitionOf(deps.config(), name));
    },
  );

  app.put(
    '/workspaces/:name/variables',
    {
      config: routeConfig({
        permission: 'operate',
        workspaceParam: 'name',
        summary: 'Set or delete sensitive variable values (write-only)',
        schemas: {
          params: workspaceParams,
          body: variablesBody,
          response: { status: 200, schema: variablesViewSchema },
        },
      }),
    },
    async (request) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      const target = { action: 'workspace.set_variables', target: `workspace:${name}` };
      // Audited by name only: which values were set or deleted, never what they are.
      const changed = await audited(deps.audit, request, { ...target, detailsOf: namesOf }, async () => {
        const { sensitive } = parseRequest(variablesBody, request.body, 'body');
        const definition = definitionOf(deps.config(), name);
        await deps.secrets.update(name, definition.sensitiveVariables, sensitive);
        return { definition, sensitive };
      });
      return view(name, changed.definition);
    },
  );
};

function namesOf({ sensitive }: { sensitive: Readonly<Record<string, string | null>> }) {
  const names = Object.keys(sensitive).sort();
  return {
    set: names.filter((n) => sensitive[n] !== null),
    deleted: names.filter((n) => sensitive[n] === null),
  };
}

/** The definition in force: the current one, or the last good one while the files are invalid. */
function definitionOf(config: EffectiveConfig, name: string): WorkspaceDefinition {
  const effective = config.workspaces.get(name);
  if (!effective) {
    throw new TideError('not_found', `workspace "${name}" does not exist`, { details: { workspace: name } });
  }
  if (!effective.definition) {
    throw new TideError(
      'config_invalid',
      `workspace "${name}" has no valid configuration yet: ${effective.configError ?? 'unknown error'}`,
      { details: { workspace: name, config_error: effective.configError } },
    );
  }
  return effective.definition;
}
