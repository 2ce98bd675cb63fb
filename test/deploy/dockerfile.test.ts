/**
 * The container image cannot be built here (no container runtime on the CI machine), so this test reads
 * the Dockerfile with a small parser and checks what a build would rely on: hadolint-style rules, the
 * properties docs/deployment.md promises (non-root, read-only root filesystem friendly, init, health
 * check, engine checksum), and that every file the build copies is in the repository and in the build
 * context that .dockerignore leaves. The health check command and the checksum verification are run for
 * real against a local HTTP server and a file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envVariables, type EnvVariable } from '../../src/env/env.schema.ts';

const root = path.resolve(import.meta.dirname, '../..');

// ---------------------------------------------------------------------------------------------------
// Parser

interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY… */
  readonly keyword: string;
  /** The arguments, continuation lines joined with a space, flags included. */
  readonly args: string;
  /** `--name=value` flags at the start of the arguments (COPY --from, HEALTHCHECK --interval). */
  readonly flags: Readonly<Record<string, string>>;
  /** The arguments after the flags. */
  readonly rest: string;
  /** Exec form (`["a", "b"]`) parsed, or null for shell form. */
  readonly exec: readonly string[] | null;
  /** 1-based line of the keyword. */
  readonly line: number;
}

interface Stage {
  readonly name: string | null;
  /** The image as written (`${NODE_IMAGE}`) and with global ARG defaults substituted. */
  readonly from: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

interface ParsedDockerfile {
  /** ARG lines before the first FROM: name → default. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

function parseExec(text: string): string[] | null {
  if (!text.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

function parseFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let match = /^--([a-z-]+)=(\S+)\s*/.exec(rest); match; match = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    flags[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** Replaces `${NAME}` and `$NAME` from `values`; unknown names are left as written. */
function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare!;
      return values[name] ?? whole;
    },
  );
}

/**
 * Dockerfile syntax as BuildKit reads it: `#` lines are comments (also between continuation lines),
 * a line ending in `\` continues on the next, the first word is the keyword, parser directives
 * (`# syntax=`) count as comments, FROM starts a stage.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (first === '' || first.startsWith('#')) continue;
    const line = i + 1;
    let joined = '';
    let current = lines[i]!;
    for (;;) {
      const trimmedEnd = current.replace(/\s+$/, '');
      if (!trimmedEnd.endsWith('\\')) {
        joined += trimmedEnd.trim();
        break;
      }
      joined += `${trimmedEnd.slice(0, -1).trim()} `;
      // Comment and blank lines inside a continuation are dropped, as BuildKit does.
      do i++;
      while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#')));
      if (i >= lines.length) throw new Error(`line ${line}: continuation runs past the end of the file`);
      current = lines[i]!;
    }
    const match = /^(\S+)\s*(.*)$/s.exec(joined)!;
    const args = match[2]!.trim();
    const { flags, rest } = parseFlags(args);
    instructions.push({ keyword: match[1]!.toUpperCase(), args, flags, rest, exec: parseExec(rest), line });
  }
  const globalArgs: Record<string, string> = {};
  const stages: { name: string | null; from: string; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.rest.split(/\s+/);
      if (as !== undefined && as.toUpperCase() !== 'AS')
        throw new Error(`line ${instruction.line}: FROM expects "AS name"`);
      stages.push({
        name: name ?? null,
        from: from!,
        image: substitute(from!, globalArgs),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG')
        throw new Error(`line ${instruction.line}: only ARG may come before the first FROM`);
      const [name, value] = splitAssignment(instruction.rest);
      globalArgs[name] = value ?? '';
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new Error('no FROM instruction');
  return { globalArgs, stages };
}

function splitAssignment(text: string): [string, string | undefined] {
  const at = text.indexOf('=');
  return at < 0 ? [text.trim(), undefined] : [text.slice(0, at).trim(), unquote(text.slice(at + 1).trim())];
}

function unquote(text: string): string {
  return /^".*"$/s.test(text) ? text.slice(1, -1) : text;
}

/** `A=1 B="two words"` (ENV, LABEL) → entries; a value may be quoted. */
function parseAssignments(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of text.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g))
    result[match[1]!] = unquote(match[2]!);
  return result;
}

function stageArgs(stage: Stage): Record<string, string> {
  const args: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((i) => i.keyword === 'ARG')) {
    const [name, value] = splitAssignment(instruction.rest);
    if (value !== undefined) args[name] = value;
  }
  return args;
}

function stageEnv(stage: Stage): Record<string, string> {
  return Object.assign(
    {},
    ...stage.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseAssignments(i.rest)),
  );
}

function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

// ---------------------------------------------------------------------------------------------------
// .dockerignore, as moby/patternmatcher reads it

interface IgnoreRule {
  readonly regex: RegExp;
  readonly exclusion: boolean;
}

function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let pattern = raw.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const exclusion = pattern.startsWith('!');
    if (exclusion) pattern = pattern.slice(1).trim();
    pattern = path.posix.normalize(pattern).replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ regex: patternRegex(pattern), exclusion });
  }
  return rules;
}

/** Go filepath.Match plus `**` (any number of directories), as the Docker build context uses them. */
function patternRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else source += '.*';
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether `file` (relative, `/`-separated) is sent to the builder: the last rule that matches it or a parent wins. */
function inContext(rules: readonly IgnoreRule[], file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regex.test(candidate))) excluded = !rule.exclusion;
  }
  return !excluded;
}

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** The files scripts/build.mjs does not compile (its `isTestOnly`): the build context may leave them out. */
const isTestOnly = (file: string) => file.endsWith('.test.ts') || file.endsWith('/test-fixtures.ts');

// ---------------------------------------------------------------------------------------------------

const dockerfile = parseDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const ignoreRules = parseDockerignore(readFileSync(path.join(root, '.dockerignore'), 'utf8'));
const finalStage = dockerfile.stages.at(-1)!;
const finalArgs = { ...dockerfile.globalArgs, ...stageArgs(finalStage) };
const finalEnv = stageEnv(finalStage);
const allInstructions = dockerfile.stages.flatMap((stage) => stage.instructions);
const runs = allInstructions.filter((instruction) => instruction.keyword === 'RUN');

describe('Dockerfile parser', () => {
  it('joins continuation lines, drops comments between them, and splits stages with their names', () => {
    const parsed = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=debian:12-slim',
        'FROM ${BASE} AS one',
        'RUN a \\',
        '  # a comment inside the continuation',
        '  && b',
        'FROM one',
        'COPY --from=one --chown=1:1 /x /y',
        'CMD ["tide", "serve"]',
      ].join('\n'),
    );
    expect(parsed.globalArgs).toEqual({ BASE: 'debian:12-slim' });
    expect(parsed.stages.map((s) => [s.name, s.image])).toEqual([
      ['one', 'debian:12-slim'],
      [null, 'one'],
    ]);
    expect(parsed.stages[0]!.instructions[0]).toMatchObject({ keyword: 'RUN', args: 'a && b', line: 4 });
    expect(parsed.stages[1]!.instructions[0]).toMatchObject({
      flags: { from: 'one', chown: '1:1' },
      rest: '/x /y',
    });
    expect(parsed.stages[1]!.instructions[1]!.exec).toEqual(['tide', 'serve']);
  });

  it('refuses instructions other than ARG before the first FROM and a continuation at the end', () => {
    expect(() => parseDockerfile('RUN x\nFROM a')).toThrow(/only ARG may come before the first FROM/);
    expect(() => parseDockerfile('FROM a\nRUN x \\')).toThrow(/continuation runs past the end/);
  });

  it('reads .dockerignore like Docker: the last matching rule wins, parents count, ** spans folders', () => {
    const rules = parseDockerignore('*\n!src/\nsrc/**/*.test.ts\n# comment\n');
    expect(inContext(rules, 'package.json')).toBe(false);
    expect(inContext(rules, 'src/a/b.ts')).toBe(true);
    expect(inContext(rules, 'src/a/b.test.ts')).toBe(false);
    expect(inContext(rules, 'src/b.test.ts')).toBe(false);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage: build, engine and a runtime stage that is last', () => {
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'engine', 'runtime']);
  });

  it('uses Node 22 LTS images pinned by tag (never latest or untagged)', () => {
    for (const stage of dockerfile.stages) {
      expect(stage.image, `stage ${stage.name}`).toMatch(
        /^node:22(\.\d+){0,2}-bookworm-slim(@sha256:[0-9a-f]{64})?$/,
      );
      expect(stage.image).not.toMatch(/:latest\b/);
    }
  });

  it('runs the final stage as a fixed, numeric, non-root user, and nothing switches back to root', () => {
    const users = instructionsOf(finalStage, 'USER');
    expect(users).toHaveLength(1);
    const user = substitute(users[0]!.rest, finalArgs);
    expect(user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = user.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    // The account exists with those ids, so files and `id` agree with the numeric USER.
    const setup = instructionsOf(finalStage, 'RUN')
      .map((run) => substitute(run.rest, finalArgs))
      .join('\n');
    expect(setup).toContain(`groupadd --system --gid "${gid}" tide`);
    expect(setup).toContain(`useradd --system --uid "${uid}" --gid tide`);
    // The data directory belongs to it, private.
    expect(setup).toMatch(/chown tide:tide \/var\/lib\/tide/);
    expect(setup).toMatch(/chmod 0700 \/var\/lib\/tide/);
  });

  it('adds nothing from URLs (no ADD at all) and installs with npm ci, never npm install', () => {
    expect(allInstructions.filter((instruction) => instruction.keyword === 'ADD')).toEqual([]);
    expect(runs.some((run) => /\bnpm ci\b/.test(run.rest))).toBe(true);
    for (const run of runs) expect(run.rest, `line ${run.line}`).not.toMatch(/\bnpm (install|i)\b/);
  });

  it('follows the apt rules: update and install in one RUN, -y, no recommends, lists removed, no upgrade', () => {
    const aptRuns = runs.filter((run) => /apt-get install/.test(run.rest));
    expect(aptRuns.length).toBeGreaterThan(0);
    for (const run of aptRuns) {
      const where = `line ${run.line}`;
      expect(run.rest, where).toMatch(/apt-get update\s*&&.*apt-get install -y --no-install-recommends /);
      expect(run.rest, where).toContain('rm -rf /var/lib/apt/lists/*');
    }
    for (const run of runs) {
      expect(run.rest, `line ${run.line}`).not.toMatch(
        /\bapt (install|update)\b|apt-get (dist-)?upgrade|\bsudo\b/,
      );
      expect(run.rest, `line ${run.line}`).not.toMatch(/(^|&&\s*)cd /);
    }
  });

  it('sets pipefail in every stage whose RUN lines pipe, so a failing download fails the build', () => {
    for (const stage of dockerfile.stages) {
      if (!instructionsOf(stage, 'RUN').some((run) => /[^|]\|[^|]/.test(run.rest))) continue;
      const shell = instructionsOf(stage, 'SHELL')[0];
      expect(shell?.exec, `stage ${stage.name}`).toEqual(['/bin/bash', '-o', 'pipefail', '-c']);
    }
  });

  it('uses absolute WORKDIRs and copies between stages only from earlier, named stages', () => {
    const seen: string[] = [];
    for (const stage of dockerfile.stages) {
      for (const workdir of instructionsOf(stage, 'WORKDIR')) expect(workdir.rest).toMatch(/^\//);
      for (const copy of instructionsOf(stage, 'COPY')) {
        if (copy.flags.from !== undefined) expect(seen, `line ${copy.line}`).toContain(copy.flags.from);
      }
      if (stage.name) seen.push(stage.name);
    }
  });

  it('declares in each stage every variable the stage uses (a global ARG is not visible until re-declared)', () => {
    for (const stage of dockerfile.stages) {
      const declared = new Set<string>();
      for (const instruction of stage.instructions) {
        for (const match of instruction.args.matchAll(/\$\{(\w+)\}|\$(\w+)/g)) {
          const name = match[1] ?? match[2]!;
          expect(
            declared.has(name),
            `stage ${stage.name}, line ${instruction.line}: $${name} is declared`,
          ).toBe(true);
        }
        if (instruction.keyword === 'ARG') declared.add(splitAssignment(instruction.rest)[0]);
        if (instruction.keyword === 'ENV')
          for (const name of Object.keys(parseAssignments(instruction.rest))) declared.add(name);
      }
    }
  });

  describe('engine', () => {
    const engine = dockerfile.stages.find((stage) => stage.name === 'engine')!;
    const args = stageArgs(engine);
    const download = instructionsOf(engine, 'RUN').find((run) => run.rest.includes('opentofu/releases'))!;
    const steps = download.rest.split(/\s*&&\s*/);

    it('takes the version and the checksum from ARGs, the checksum being a sha256', () => {
      expect(args.TOFU_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
      expect(args.TOFU_SHA256).toMatch(/^[0-9a-f]{64}$/);
      expect(download.rest).toContain('v${TOFU_VERSION}/tofu_${TOFU_VERSION}_linux_${TARGETARCH}.tar.gz');
      expect(download.rest).toMatch(/curl -fsSL --proto '=https'/);
    });

    it('verifies the checksum before extracting, in the same RUN as the download', () => {
      const check = steps.findIndex(
        (step) => /sha256sum --check/.test(step) && step.includes('${TOFU_SHA256}'),
      );
      const extract = steps.findIndex((step) => step.startsWith('tar '));
      const fetch = steps.findIndex((step) => step.startsWith('curl '));
      expect(fetch).toBeGreaterThanOrEqual(0);
      expect(check).toBeGreaterThan(fetch);
      expect(extract).toBeGreaterThan(check);
    });

    it('the checksum step accepts the right archive and fails on a mismatch or an empty checksum', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'tide-dockerfile-'));
      try {
        const archive = path.join(dir, 'tofu.tar.gz');
        writeFileSync(archive, 'the engine archive');
        const sum = createHash('sha256').update('the engine archive').digest('hex');
        const guard = steps.find((step) => step.startsWith('test -n "${TOFU_SHA256}"'))!;
        const check = steps
          .find((step) => /sha256sum --check/.test(step))!
          .replaceAll('/tmp/tofu.tar.gz', archive);
        const script = `${guard} && ${check}`;
        const runWith = (value: string) =>
          spawnSync('bash', ['-o', 'pipefail', '-c', script], {
            env: { PATH: process.env.PATH, TOFU_SHA256: value },
            encoding: 'utf8',
          });
        expect(runWith(sum).status).toBe(0);
        const wrong = runWith('0'.repeat(64));
        expect(wrong.status).not.toBe(0);
        expect(wrong.stdout + wrong.stderr).toMatch(/FAILED/);
        const empty = runWith('');
        expect(empty.status).not.toBe(0);
        expect(empty.stderr).toContain('TOFU_SHA256 is empty');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('puts the engine on the runtime PATH', () => {
      const copy = instructionsOf(finalStage, 'COPY').find((c) => c.flags.from === 'engine')!;
      expect(copy.rest).toBe('/usr/local/bin/tofu /usr/local/bin/tofu');
    });
  });

  it('starts tide serve under tini, in exec form, with SIGTERM as the stop signal', () => {
    const entrypoint = instructionsOf(finalStage, 'ENTRYPOINT');
    expect(entrypoint).toHaveLength(1);
    expect(entrypoint[0]!.exec).toEqual(['/usr/bin/tini', '--', 'tide']);
    expect(instructionsOf(finalStage, 'CMD')[0]!.exec).toEqual(['serve']);
    expect(
      instructionsOf(finalStage, 'RUN').some((run) => /apt-get install [^&]*\btini\b/.test(run.rest)),
    ).toBe(true);
    expect(
      instructionsOf(finalStage, 'RUN').some((run) =>
        run.rest.includes('ln -s /app/bin/tide.js /usr/local/bin/tide'),
      ),
    ).toBe(true);
    expect(instructionsOf(finalStage, 'STOPSIGNAL')[0]!.rest).toBe('SIGTERM');
  });

  it('carries the OCI labels', () => {
    const labels = Object.assign(
      {},
      ...instructionsOf(finalStage, 'LABEL').map((l) => parseAssignments(l.rest)),
    ) as Record<string, string>;
    for (const key of [
      'title',
      'description',
      'version',
      'revision',
      'created',
      'licenses',
      'documentation',
      'base.name',
    ])
      expect(labels[`org.opencontainers.image.${key}`], key).toBeTruthy();
    expect(labels['org.opencontainers.image.licenses']).toBe(
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).license,
    );
  });

  it('writes only to the data volume and /tmp: data dir is a VOLUME, HOME and TMPDIR are /tmp', () => {
    expect(finalEnv.TIDE_DATA_DIR).toBe('/var/lib/tide');
    expect(finalEnv.TIDE_CONFIG_DIR).toBe('/etc/tide/config');
    expect(finalEnv.HOME).toBe('/tmp');
    expect(finalEnv.TMPDIR).toBe('/tmp');
    const volumes = instructionsOf(finalStage, 'VOLUME').flatMap((v) => v.exec ?? v.rest.split(/\s+/));
    expect(volumes).toEqual([finalEnv.TIDE_DATA_DIR]);
  });

  it('exposes the port Tide listens on and sets only known, non-secret TIDE_* variables', () => {
    expect(instructionsOf(finalStage, 'EXPOSE').map((e) => e.rest)).toEqual([finalEnv.TIDE_PORT]);
    const known = new Map<string, EnvVariable>(envVariables.map((v): [string, EnvVariable] => [v.name, v]));
    for (const name of Object.keys(finalEnv).filter((n) => n.startsWith('TIDE_'))) {
      expect(known.has(name), `${name} is a Tide setting`).toBe(true);
      expect(known.get(name)!.secret, `${name} is not a secret`).toBeFalsy();
    }
    for (const instruction of allInstructions.filter((i) => i.keyword === 'ARG'))
      expect(known.get(splitAssignment(instruction.rest)[0])?.secret, instruction.rest).toBeFalsy();
  });

  it('copies into the runtime everything bin/tide.js loads: dist/, scripts/build.mjs, node_modules, package.json', () => {
    const copied = instructionsOf(finalStage, 'COPY')
      .filter((c) => c.flags.from === 'build')
      .map((c) =>
        c.rest
          .split(/\s+/)[0]!
          .replace(/^\/src\//, '')
          .replace(/\/$/, ''),
      );
    expect(copied).toEqual(
      expect.arrayContaining(['package.json', 'bin', 'scripts/build.mjs', 'node_modules', 'dist']),
    );
    // What bin/tide.js imports (relative to the package root) is among them.
    const launcher = readFileSync(path.join(root, 'bin/tide.js'), 'utf8');
    for (const match of launcher.matchAll(/import\((?:'|")([^'"]+)(?:'|")\)|from '(\.[^']+)'/g)) {
      const target = path.posix.normalize(path.posix.join('bin', match[1] ?? match[2]!));
      expect(
        copied.some((c) => target === c || target.startsWith(`${c}/`)),
        target,
      ).toBe(true);
    }
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const contextCopies = dockerfile.stages.flatMap((stage) =>
      instructionsOf(stage, 'COPY').filter((copy) => copy.flags.from === undefined),
    );
    expect(contextCopies.length).toBeGreaterThan(0);
    for (const copy of contextCopies) {
      const sources = (copy.exec ?? copy.rest.split(/\s+/)).slice(0, -1);
      for (const source of sources) {
        const relative = source.replace(/\/$/, '');
        expect(existsSync(path.join(root, relative)), `${source} (line ${copy.line}) exists`).toBe(true);
        if (statSync(path.join(root, relative)).isDirectory()) {
          const files = filesUnder(relative).filter((file) => !isTestOnly(file));
          expect(files.length).toBeGreaterThan(0);
          for (const file of files)
            expect(inContext(ignoreRules, file), `${file} is in the build context`).toBe(true);
        } else {
          expect(inContext(ignoreRules, relative), `${source} is in the build context`).toBe(true);
        }
      }
    }
  });

  it('leaves local state, secrets, dependencies and tests out of the build context', () => {
    for (const file of [
      '.env',
      '.git/HEAD',
      'node_modules/vitest/package.json',
      'dist/.built',
      '.tide-data/tide.db',
      'coverage/index.html',
      'data/tide.db',
      'test/architecture.test.ts',
      'src/auth/password-policy.test.ts',
      'docs/api.md',
    ])
      expect(inContext(ignoreRules, file), file).toBe(false);
  });

  describe('health check', () => {
    const healthcheck = instructionsOf(finalStage, 'HEALTHCHECK')[0]!;
    const command = parseExec(healthcheck.rest.replace(/^CMD\s+/, ''));
    let server: Server;
    let status = 200;
    const requested: string[] = [];

    beforeAll(async () => {
      server = createServer((request, response) => {
        requested.push(request.url ?? '');
        response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    /**
     * Runs the health check command as Docker would, with TIDE_PORT set; its exit code. Asynchronously:
     * the server answering it lives in this process.
     */
    const probe = async (port: number): Promise<number | null> => {
      const [program, ...args] = command!;
      expect(program).toBe('node');
      const child = spawn(process.execPath, args, {
        env: { PATH: process.env.PATH, TIDE_PORT: String(port) },
        stdio: 'ignore',
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    };

    it('is an exec-form node one-liner with an interval, a timeout, a start period and retries', () => {
      expect(healthcheck.rest).toMatch(/^CMD \[/);
      expect(command).not.toBeNull();
      expect(healthcheck.flags).toMatchObject({
        interval: '30s',
        timeout: '5s',
        'start-period': '60s',
        retries: '3',
      });
      expect(healthcheck.rest).not.toMatch(/\b(curl|wget)\b/);
    });

    it('passes when /api/health/live answers 2xx and fails on another status', async () => {
      const port = (server.address() as AddressInfo).port;
      status = 200;
      expect(await probe(port)).toBe(0);
      expect(requested).toEqual(['/api/health/live']);
      status = 503;
      expect(await probe(port)).toBe(1);
    });

    it('fails when nothing listens on TIDE_PORT', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      expect(await probe(port)).toBe(1);
    });
  });
});
