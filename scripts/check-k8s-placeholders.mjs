// Says whether rendered Kubernetes manifests are deployable: lists every placeholder left in them
// (a value containing REPLACE_WITH_, or the all-zero image digest) and, with --require-digest,
// every container image not pinned by digest. Exit 0: deployable; 1: not deployable (each finding
// printed as `<Kind>/<name> <field>: <value>`); 2: the manifests could not be rendered or read.
//
//   node scripts/check-k8s-placeholders.mjs [--require-digest] <kustomize directory | file.yaml | ->
//
// A directory is rendered with `kubectl kustomize`; `-` reads rendered YAML from stdin. The prod
// overlay as shipped is not deployable on purpose (docs/kubernetes.md, "Deploy prod").
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const placeholderText = /REPLACE_WITH_[A-Z0-9_]*/;
const zeroDigest = /sha256:0{64}/;

/** Every placeholder in the objects: `{ object, field, value, reason }`. */
export function findPlaceholders(objects, { requireDigest = false } = {}) {
  const findings = [];
  for (const object of objects) {
    const where = `${object?.kind ?? '?'}/${object?.metadata?.name ?? '?'}`;
    walk(object, '', (field, value) => {
      if (typeof value !== 'string') return;
      const reasons = [];
      if (placeholderText.test(value)) reasons.push(`placeholder ${placeholderText.exec(value)[0]}`);
      if (zeroDigest.test(value)) reasons.push('placeholder image digest (all zeros)');
      const isImage = /\.(initContainers|containers)\[\d+\]\.image$/.test(field);
      if (requireDigest && isImage && !/@sha256:[0-9a-f]{64}$/.test(value))
        reasons.push('image not pinned by digest');
      if (reasons.length > 0) findings.push({ object: where, field, value, reason: reasons.join('; ') });
    });
  }
  return findings;
}

function walk(value, field, visit) {
  if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${field}[${index}]`, visit));
  else if (value !== null && typeof value === 'object')
    for (const [key, child] of Object.entries(value))
      walk(child, field === '' ? key : `${field}.${key}`, visit);
  else visit(field, value);
}

/** Parses multi-document YAML, refusing a document with errors. */
export function parseManifests(text) {
  const objects = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0].message}`);
    const object = document.toJS();
    if (object !== null && object !== undefined) objects.push(object);
  }
  return objects;
}

function render(target) {
  if (target === '-') return readFileSync(0, 'utf8');
  if (statSync(target).isDirectory())
    return execFileSync('kubectl', ['kustomize', target], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  return readFileSync(target, 'utf8');
}

function main(args) {
  const requireDigest = args.includes('--require-digest');
  const targets = args.filter((arg) => arg !== '--require-digest');
  if (targets.length !== 1) {
    console.error(
      'usage: check-k8s-placeholders.mjs [--require-digest] <kustomize directory | file.yaml | ->',
    );
    return 2;
  }
  let objects;
  try {
    objects = parseManifests(render(targets[0]));
  } catch (error) {
    const detail = error.stderr ? String(error.stderr).trim() : error.message;
    console.error(`${targets[0]}: cannot render the manifests: ${detail}`);
    return 2;
  }
  const findings = findPlaceholders(objects, { requireDigest });
  if (findings.length === 0) {
    console.log(`${targets[0]}: deployable: no placeholders in ${objects.length} objects`);
    return 0;
  }
  for (const finding of findings)
    console.log(`${finding.object} ${finding.field}: ${finding.value} (${finding.reason})`);
  console.log(`${targets[0]}: NOT DEPLOYABLE: ${findings.length} value(s) to replace`);
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
