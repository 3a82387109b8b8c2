import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfigFiles } from '../../scripts/check-config.js';
import { configSchemaFiles, SCHEMAS_DIR } from '../../scripts/config-schemas.js';
import { PrincipalDirectory } from '../../src/api/auth/principals.js';
import { loadGuardrails, parsePolicy, PlaybookCatalog } from '../../src/clients/config/catalog.js';
import { ConfigFileError, ConfigFilesError } from '../../src/clients/config/config-file-error.js';
import { ConfigError } from '../../src/config/env.js';
import { loadConfigFiles } from '../../src/worker/config-files.js';
import { createStatusServer } from '../../src/worker/status-server.js';

const repo = (p: string) => new URL(`../../${p}`, import.meta.url).pathname;
const GOOD_POLICY = 'rules: []\ndefault: { mode: auto }\n';
const BAD_POLICY = [
  'rules:', //                                   1
  '  - name: prod', //                           2
  '    match: { environment: prod }', //        3
  '    decision: { mode: yolo }', //             4
  'default:', //                                 5
  '  mode: approval', //                         6
  '  tier: t', //                                7
  '  onTimeout: approve', //                     8
  'colour: red', //                              9
].join('\n');
const PLAYBOOK = (id: string) =>
  `id: ${id}\nversion: 1\nmatch: { labels: { alertname: ${id} } }\nsteps:\n  - { id: s, kind: diagnostic, action: http.request, params: { url: "http://127.0.0.1:1/" } }\n`;

let dir: string;
const write = (file: string, text: string) => {
  const full = path.join(dir, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  // Some filesystems keep mtime in whole seconds: make every write visible as a change.
  const later = new Date(Date.now() + Math.random() * 1e6);
  fs.utimesSync(full, later, later);
  return full;
};
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('configuration file errors', () => {
  it('name every problem of a file with its field path and line, not only the first', () => {
    const error = (() => {
      try {
        parsePolicy(BAD_POLICY, 'config/policy.yaml');
      } catch (err) {
        return err as ConfigFileError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error!.problems.map((p) => [p.path, p.line])).toEqual([
      ['rules.0.decision.mode', 4],
      ['default.onTimeout', 8],
      ['colour', 9],
    ]);
    expect(error!.message.split('\n')).toEqual([
      expect.stringMatching(/^config\/policy\.yaml: rules\.0\.decision\.mode: .* \(line 4\)$/),
      expect.stringMatching(/^config\/policy\.yaml: default\.onTimeout: .* \(line 8\)$/),
      'config/policy.yaml: colour: unknown field "colour" (line 9)',
    ]);
  });

  it('give the line of a YAML syntax error, and of a missing field the line of its parent', () => {
    expect(() => parsePolicy('default:\n  mode: [auto\nrules: []\n', 'p.yaml')).toThrow(
      /^p\.yaml: not valid YAML: .*\(line \d\)/,
    );
    expect(() => loadGuardrails(write('g.yaml', 'rules:\n  - id: r\n    effect: block\n'))).toThrow(
      /g\.yaml: rules\.0\.reason: .* \(line 2\)/,
    );
  });

  it('name every broken playbook of a directory at once', () => {
    write('pb/a.yaml', PLAYBOOK('a').replace('kind: diagnostic', 'kind: dignostic'));
    write('pb/b.yaml', PLAYBOOK('b'));
    write('pb/c.yaml', PLAYBOOK('c').replace('version: 1', 'version: one'));
    write('pb/d.yaml', PLAYBOOK('b'));
    const attempt = () => PlaybookCatalog.load(path.join(dir, 'pb'));
    expect(attempt).toThrow(ConfigFilesError);
    expect(attempt).toThrow(
      /a\.yaml: steps\.0\.kind: .*\(line 5\)\n.*c\.yaml: version: .*\(line 2\)\n.*d\.yaml: .*"b" is already defined in .*b\.yaml/,
    );
  });

  it('stop the worker at start with every problem of every file, without a stack', () => {
    write('pb/a.yaml', 'id: a\nversion: 1\n');
    const policy = write('policy.yaml', BAD_POLICY);
    const guardrails = write('guardrails.yaml', 'rules:\n  - { id: r, colour: red }\n');
    const attempt = () =>
      loadConfigFiles(
        { PLAYBOOKS_DIR: path.join(dir, 'pb'), POLICY_FILE: policy, GUARDRAILS_FILE: guardrails },
        { error() {}, info() {} },
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/a\.yaml: match: [\s\S]*policy\.yaml: colour: [\s\S]*guardrails\.yaml: rules\.0\.colour: /);
  });
});

describe('a broken edit while the worker runs', () => {
  function start() {
    write('pb/a.yaml', PLAYBOOK('a'));
    const logged: Array<{ level: string; message: string }> = [];
    const log = {
      error: (_attrs: unknown, message: string) => logged.push({ level: 'error', message }),
      info: (_attrs: unknown, message: string) => logged.push({ level: 'info', message }),
    };
    const files = loadConfigFiles(
      {
        PLAYBOOKS_DIR: path.join(dir, 'pb'),
        POLICY_FILE: write('policy.yaml', GOOD_POLICY),
        GUARDRAILS_FILE: path.join(dir, 'no-guardrails.yaml'),
      },
      log as never,
    );
    return { files, logged };
  }

  it('keeps the last good policy, and says which file and line is wrong until it is fixed', () => {
    const { files, logged } = start();
    expect(files.policy.current().default).toEqual({ mode: 'auto' });
    write('policy.yaml', BAD_POLICY);
    // What selectPlaybook reads for a new response: the last good policy, no exception.
    expect(files.policy.current().default).toEqual({ mode: 'auto' });
    expect(files.policy.current().default).toEqual({ mode: 'auto' });
    expect(logged.filter((l) => l.level === 'error')).toHaveLength(1); // once, not on every read
    expect(logged[0]!.message).toMatch(/policy\.yaml: rules\.0\.decision\.mode: .*\(line 4\)/);
    expect(files.health.ok).toBe(false);
    expect(files.health.files.find((f) => !f.ok)).toMatchObject({
      file: expect.stringMatching(/policy\.yaml$/),
      problems: [{ line: 4 }, { line: 8 }, { line: 9 }],
    });

    write('policy.yaml', 'default: { mode: manual-only }\n');
    expect(files.policy.current().default).toEqual({ mode: 'manual-only' });
    expect(files.health.ok).toBe(true);
    expect(logged.at(-1)).toMatchObject({ level: 'info', message: 'configuration reloaded' });
  });

  it('keeps the last good playbooks, reporting the broken file', () => {
    const { files } = start();
    write('pb/a.yaml', PLAYBOOK('a').replace('version: 1', 'version: [1'));
    expect(files.playbooks.refresh()).toMatch(/a\.yaml: not valid YAML/);
    expect(files.playbooks.select({ alertname: 'a' })?.id).toBe('a');
    expect(files.health.files.filter((f) => !f.ok)).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/pb\/a\.yaml$/),
        problems: [expect.objectContaining({ line: 3 })],
      }),
    ]);
  });

  it('shows the refused edit in the worker metrics and readiness detail (still ready: the last good version serves)', async () => {
    const { files } = start();
    write('policy.yaml', BAD_POLICY);
    files.policy.check();
    const status = createStatusServer({ health: files.health, running: () => true });
    const url = await status.listen(0, '127.0.0.1');
    try {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/interlock_config_file_valid\{file="[^"]*policy\.yaml"\} 0/);
      expect(metrics).toMatch(/interlock_config_file_valid\{file="[^"]*pb"\} 1/);
      expect(metrics).toMatch(
        /interlock_config_problem\{file="[^"]*policy\.yaml",line="4",path="rules\.0\.decision\.mode"\} 1/,
      );
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { config: { status: string; files: unknown[] } };
      expect(body.config.status).toBe('refused-edit');
      expect(body.config.files).toContainEqual(
        expect.objectContaining({
          ok: false,
          problems: expect.arrayContaining([expect.objectContaining({ line: 9 })]),
        }),
      );
    } finally {
      await status.close();
    }
  });
});

describe('the shipped configuration', () => {
  it('loads: playbooks, policy, guardrails and the development principals', () => {
    expect(PlaybookCatalog.load(repo('playbooks')).length).toBeGreaterThan(0);
    expect(
      parsePolicy(fs.readFileSync(repo('config/policy.yaml'), 'utf8'), 'config/policy.yaml').default,
    ).toBeDefined();
    expect(loadGuardrails(repo('config/guardrails.yaml')).length).toBeGreaterThan(0);
    const env = Object.fromEntries(
      [...fs.readFileSync(repo('config/principals.dev.yaml'), 'utf8').matchAll(/secretEnv:\s*(\w+)/g)].map((m) => [
        m[1],
        'x',
      ]),
    );
    expect(() => PrincipalDirectory.fromFile(repo('config/principals.dev.yaml'), env)).not.toThrow();
  });

  it('passes npm run validate, which names every problem when files are broken', () => {
    const shipped = {
      playbooksDir: repo('playbooks'),
      policyFile: repo('config/policy.yaml'),
      guardrailsFile: repo('config/guardrails.yaml'),
      principalsFile: repo('config/principals.dev.yaml'),
      oncallFile: repo('config/oncall.example.yaml'),
    };
    expect(checkConfigFiles(shipped).problems).toEqual([]);
    // A broken rotation is reported with its field and line, beside the other files' problems.
    const rotation = checkConfigFiles({
      ...shipped,
      oncallFile: write('oncall.yaml', 'tiers:\n  tier1:\n    timeZone: Mars/Olympus\n'),
    }).problems;
    expect(rotation).toEqual([
      expect.stringMatching(/oncall\.yaml: tiers\.tier1\.timeZone: an IANA time zone.*\(line 3\)/),
    ]);
    write('pb/a.yaml', 'id: a\n');
    const broken = checkConfigFiles({
      playbooksDir: path.join(dir, 'pb'),
      policyFile: write('policy.yaml', BAD_POLICY),
      guardrailsFile: shipped.guardrailsFile,
      principalsFile: write('principals.yaml', 'principals:\n  - { id: x, roles: [king] }\n'),
    }).problems;
    expect(broken.filter((p) => p.includes('a.yaml')).length).toBeGreaterThanOrEqual(2);
    expect(broken.filter((p) => p.includes('policy.yaml'))).toHaveLength(3);
    expect(broken.filter((p) => p.includes('principals.yaml'))).toEqual([
      expect.stringMatching(/principals\.0\.name: .*\(line 2\)/),
      expect.stringMatching(/principals\.0\.roles\.0: .*\(line 2\)/),
    ]);
  });

  it('has JSON Schemas in schemas/ that match the code (run `npm run schemas` and commit them when this fails)', () => {
    for (const [file, text] of Object.entries(configSchemaFiles())) {
      const committed = fs.existsSync(new URL(file, SCHEMAS_DIR))
        ? fs.readFileSync(new URL(file, SCHEMAS_DIR), 'utf8')
        : '';
      expect(committed, `schemas/${file} is out of date: run npm run schemas`).toBe(text);
    }
  });
});
