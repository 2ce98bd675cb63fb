/**
 * The documented shapes of an environment and of a switch as the API shows them (`EnvironmentView`,
 * `SwitchView` in environment.service.ts): the OpenAPI response schemas of the environment routes and
 * the source of the dashboard's generated `Environment`, `EnvironmentDetail` and `EnvironmentSwitch`.
 */
import { z } from 'zod';
import { environmentSwitchResults } from '../store/schema.ts';
import type { SameShape } from '../types/same-shape.d.ts';
import type { EnvironmentView, SwitchView } from './environment.service.ts';

const healthCheckResultSchema = z
  .object({ address: z.string(), ok: z.boolean(), detail: z.string() })
  .meta({ id: 'HealthCheck' });

const commandResultSchema = z
  .object({
    argv: z.array(z.string()),
    ok: z.boolean(),
    exit_code: z.number().int().nullable(),
    output: z.string(),
  })
  .meta({ id: 'CommandResult' });

export const switchViewSchema = z
  .object({
    id: z.string(),
    environment: z.string(),
    from_workspace: z.string().nullable(),
    to_workspace: z.string(),
    actor: z.string(),
    result: z.enum(environmentSwitchResults),
    reason: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string(),
    targets: z.array(z.object({ resource: z.string(), server: z.string() })),
    checks: z.array(healthCheckResultSchema),
    actions: z.array(commandResultSchema),
    verification: z.array(healthCheckResultSchema),
    restore: z
      .object({
        workspace: z.string(),
        ok: z.boolean(),
        error: z.string().optional(),
        actions: z.array(commandResultSchema),
      })
      .nullable(),
  })
  .meta({ id: 'EnvironmentSwitch' });

const environmentFields = {
  name: z.string(),
  file: z.string(),
  config_error: z.string().nullable(),
  layout: z.enum(['environments', 'provisioner']).nullable(),
  description: z.string().nullable(),
  domain: z.string().nullable(),
  reserved_ips: z.array(z.string()),
  assigned_workspace: z.string().nullable(),
  assignment_source: z.enum(['database', 'file', 'none']),
  assigned_at: z.string().nullable(),
  assigned_by: z.string().nullable(),
  switching_to: z.string().nullable(),
  health_check: z
    .object({
      type: z.string(),
      path: z.string().optional(),
      port: z.number().int().optional(),
      command: z.array(z.string()).optional(),
      timeout: z.string(),
    })
    .nullable(),
  action: z
    .object({
      command: z.array(z.string()),
      template: z.string().optional(),
      variables: z.array(z.string()).optional(),
      timeout: z.string(),
      implicit: z.boolean(),
    })
    .nullable(),
  verify: z.boolean().nullable(),
  outputs: z.object({ addresses: z.string(), address_map: z.string() }).nullable(),
};

export const environmentViewSchema = z.object(environmentFields).meta({ id: 'Environment' });

export const environmentDetailSchema = z
  .object({ ...environmentFields, switches: z.array(switchViewSchema) })
  .meta({ id: 'EnvironmentDetail' });

const _environmentViewMatches: SameShape<EnvironmentView, z.output<typeof environmentViewSchema>> = true;
const _environmentDetailMatches: SameShape<
  EnvironmentView & { switches: SwitchView[] },
  z.output<typeof environmentDetailSchema>
> = true;
const _switchViewMatches: SameShape<SwitchView, z.output<typeof switchViewSchema>> = true;
