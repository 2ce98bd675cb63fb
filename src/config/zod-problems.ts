import type { z } from 'zod';

/** Dotted JSON path as people read it: `jobs[1].schedule`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Turns zod issues into (path, message) pairs worded for people editing a config file. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: `unknown key "${key}"` });
      }
      continue;
    }
    if (issue.code === 'invalid_type') {
      const got = 'input' in issue ? describeType(issue.input) : undefined;
      problems.push({
        path: formatPath(issue.path),
        message:
          got === 'undefined'
            ? `required ${issue.expected} is missing`
            : `expected ${issue.expected}${got ? `, got ${got}` : ''}`,
      });
      continue;
    }
    if (issue.code === 'invalid_value' && 'values' in issue) {
      problems.push({
        path: formatPath(issue.path),
        message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      });
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  return problems;
}
