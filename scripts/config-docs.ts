/**
 * Documentation derived from the config schemas: JSON Schema files for editors (docs/schema/) and the field
 * tables of docs/configuration.md. `npm run generate` writes them; a test fails when they are stale.
 */
import { z } from 'zod';
import { envVariables, renderEnvSample } from '../src/env/env.schema.ts';
import { environmentFileSchema } from '../src/config/environment.schema.ts';
import { notificationsFileSchema } from '../src/config/notifications.schema.ts';
import { standaloneJobSchema } from '../src/config/job-config.schema.ts';
import { workspaceConfigSchema } from '../src/config/workspace-config.schema.ts';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
  $ref?: string;
};

const schemaBase = 'https://tide.dev/schema';

function toJsonSchema(schema: z.ZodType, file: string, title: string): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { $schema: generated.$schema, $id: `${schemaBase}/${file}`, title, ...generated };
}

/** File name (under docs/schema/) → JSON Schema. */
export function configJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'workspace.schema.json': toJsonSchema(
      workspaceConfigSchema,
      'workspace.schema.json',
      'Tide workspace config.json / config.yaml',
    ),
    'job.schema.json': toJsonSchema(
      standaloneJobSchema,
      'job.schema.json',
      'Tide standalone job (jobs/<name>.json)',
    ),
    'environment.schema.json': toJsonSchema(
      environmentFileSchema,
      'environment.schema.json',
      "Tide environment (environments/<name>.json, or the Provisioner's <config>/<name>.json)",
    ),
    'notifications.schema.json': toJsonSchema(
      notificationsFileSchema,
      'notifications.schema.json',
      'Tide notifications (<config>/notifications.yaml)',
    ),
  };
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' \\| ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(', ');
  if (schema.type === 'array') return `${schema.items ? typeOf(schema.items) : 'any'}[]`;
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  if (schema.$ref || !schema.type) return 'any JSON value';
  return Array.isArray(schema.type) ? schema.type.join(' \\| ') : schema.type;
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    const name = `${prefix}${key}`;
    out.push(`| \`${name}\` | ${typeOf(field)} | ${(field.description ?? '').replace(/\|/g, '\\|')} |`);
    const item = field.type === 'array' ? field.items : undefined;
    const value = typeof field.additionalProperties === 'object' ? field.additionalProperties : undefined;
    if (field.properties) rows(field, `${name}.`, out);
    else if (item?.properties) rows(item, `${name}[].`, out);
    else if (value?.properties) rows(value, `${name}.<name>.`, out);
  }
}

function fieldTable(schema: Record<string, unknown>): string {
  const out = ['| Field | Type | Meaning |', '|---|---|---|'];
  rows(schema as JsonSchema, '', out);
  return out.join('\n');
}

function envTable(): string {
  const lines = ['| Variable | Default / example | Meaning |', '|---|---|---|'];
  for (const variable of envVariables)
    lines.push(`| \`${variable.name}\` | \`${variable.example || '(unset)'}\` | ${variable.description} |`);
  return lines.join('\n');
}

/** Marker name → generated Markdown for docs/configuration.md. */
export function configurationDocBlocks(): Record<string, string> {
  const schemas = configJsonSchemas();
  return {
    'workspace-fields': fieldTable(schemas['workspace.schema.json']!),
    'job-fields': fieldTable(schemas['job.schema.json']!),
    'env-variables': envTable(),
  };
}

/** Replaces each `<!-- generated:NAME:start -->…<!-- generated:NAME:end -->` block. */
export function fillGeneratedBlocks(markdown: string, blocks: Record<string, string>): string {
  let result = markdown;
  for (const [name, content] of Object.entries(blocks)) {
    const start = `<!-- generated:${name}:start -->`;
    const end = `<!-- generated:${name}:end -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/configuration.md lacks the ${start} … ${end} markers`);
    result = `${result.slice(0, from + start.length)}\n${content}\n${result.slice(to)}`;
  }
  return result;
}

/** Every generated file: path relative to the repo → content. */
export function generatedFiles(currentConfigurationDoc: string): Record<string, string> {
  const files: Record<string, string> = {
    'docs/configuration.md': fillGeneratedBlocks(currentConfigurationDoc, configurationDocBlocks()),
    '.env.sample': renderEnvSample(),
  };
  for (const [file, schema] of Object.entries(configJsonSchemas()))
    files[`docs/schema/${file}`] = `${JSON.stringify(schema, null, 2)}\n`;
  return files;
}
