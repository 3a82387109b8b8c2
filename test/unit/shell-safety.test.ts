import { describe, expect, it } from 'vitest';
import { parsePlaybook, PlaybookError } from '../../src/clients/config/catalog.js';
import { scriptArguments, shellInjections } from '../../src/domain/playbook/shell-safety.js';

/** A playbook whose one diagnostic runs `command` (a YAML flow sequence), plus `extra` step lines. */
const playbook = (command: string, extra = '') => `
id: shell-rules
version: 1
match: { labels: { alertname: Disk } }
steps:
  - id: look
    kind: diagnostic
    action: shell.command
    inputs:
      path: { type: string, default: /var/log }
    params:
      command: ${command}
${extra}`;

const refused = (command: string, extra = '') => {
  try {
    parsePlaybook(playbook(command, extra), 'playbooks/shell.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PlaybookError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${command}`);
};

describe('shell steps: placeholders inside script text are refused at load', () => {
  it.each([
    ['sh -c', `[sh, -c, "du -sh {{labels.mount}}"]`, 'steps.0.params.command.2', 'sh -c'],
    ['a path to bash', `[/bin/bash, -c, "echo {{inputs.path}}"]`, 'steps.0.params.command.2', '/bin/bash -c'],
    ['a combined option cluster', `[bash, -o, pipefail, -ec, "ls {{labels.dir}} | wc -l"]`, 'command.4', 'bash -ec'],
    ['env sh', `[env, LC_ALL=C, sh, -c, "df {{labels.mount}}"]`, 'command.4', 'sh -c'],
    ['busybox sh', `[busybox, sh, -c, "df {{labels.mount}}"]`, 'command.3', 'sh -c'],
    ['sudo + dash', `[sudo, -n, dash, -c, "x {{labels.a}}"]`, 'command.4', 'dash -c'],
    ['zsh behind timeout', `[timeout, "5", zsh, -c, "x {{labels.a}}"]`, 'command.4', 'zsh -c'],
    ['python3 -c', `[python3, -c, "import os; os.stat('{{labels.f}}')"]`, 'command.2', 'python3 -c'],
    ['python -c attached', `[python3.12, "-cprint('{{labels.f}}')"]`, 'command.1', 'python3.12 -c'],
    ['perl -e', `[perl, -e, "print '{{labels.f}}'"]`, 'command.2', 'perl -e'],
    ['node --eval=', `[node, "--eval=console.log('{{labels.f}}')"]`, 'command.1', 'node --eval'],
    ['node -e', `[/usr/bin/node, -e, "x('{{labels.f}}')"]`, 'command.2', '/usr/bin/node -e'],
    ['ruby -e', `[ruby, -e, "puts '{{labels.f}}'"]`, 'command.2', 'ruby -e'],
    ['awk program', `[awk, "/{{labels.pattern}}/ {print}", /var/log/syslog]`, 'command.1', 'awk program'],
    ['sed expression', `[sed, -n, -e, "s/a/{{labels.b}}/p", file]`, 'command.3', 'sed -e'],
    ['ssh remote command', `[ssh, -p, "22", db-1, systemctl, restart, "{{labels.unit}}"]`, 'command.6', 'ssh'],
    ['kubectl exec into a shell', `[kubectl, exec, pod, --, sh, -c, "kill {{labels.pid}}"]`, 'command.6', 'sh -c'],
    ['a secret reference', `[sh, -c, "curl -u {{secrets.API}} x"]`, 'command.2', 'sh -c'],
  ])('%s', (_name, command, path, via) => {
    const message = refused(command);
    // The file, the step path and the fix.
    expect(message).toContain('playbooks/shell.yaml');
    expect(message).toContain(path);
    expect(message).toContain(`${via}`);
    expect(message).toMatch(/own argument after the script.*"\$1".*params\.env/);
  });

  it('refuses it in a compensation too', () => {
    const message = refused(
      `[echo, ok]`,
      `    compensation:
      action: shell.command
      params: { command: [bash, -c, "undo {{labels.host}}"] }`,
    );
    expect(message).toContain('steps.0.compensation.params.command.2');
  });
});

describe('shell steps: what stays allowed', () => {
  it.each([
    ['placeholders as plain argv entries', `[du, -sh, "{{labels.mount}}", "{{inputs.path}}"]`],
    ['a value passed to sh -c as $1', `[sh, -c, 'du -sh -- "$1"', sh, "{{labels.mount}}"]`],
    ['python -c with the value in sys.argv', `[python3, -c, "import sys; print(sys.argv[1])", "{{labels.f}}"]`],
    ['a shell running a script file', `[bash, /opt/runbooks/restart.sh, "{{labels.host}}"]`],
    ['awk with -v', `[awk, -v, "host={{labels.host}}", '$1 == host', /etc/hosts]`],
    ['a Go template inside sh -c (not a placeholder)', `[sh, -c, "docker inspect -f '{{.State.Status}}' db"]`],
    ['a fixed script', `[sh, -c, 'echo "$TARGET"']`],
  ])('%s', (_name, command) => {
    expect(() => parsePlaybook(playbook(command), 'shell.yaml')).not.toThrow();
  });

  it('placeholders in env of a shell step', () => {
    const p = parsePlaybook(
      playbook(`[sh, -c, 'printf %s "$TARGET"']`, `      env: { TARGET: "{{labels.target}}", IN: "{{inputs.path}}" }`),
      'shell.yaml',
    );
    expect(p.steps[0]!.params).toMatchObject({ env: { TARGET: '{{labels.target}}' } });
  });
});

describe('scriptArguments', () => {
  it('finds the evaluated argument, not its positional parameters', () => {
    expect(scriptArguments(['sh', '-c', 'echo "$1"', 'sh', 'x'])).toEqual([{ index: 2, via: 'sh -c' }]);
    expect(scriptArguments(['perl', '-e', 'a', '-E', 'b'])).toEqual([
      { index: 2, via: 'perl -e' },
      { index: 4, via: 'perl -E' },
    ]);
    expect(scriptArguments(['awk', '-f', 'prog.awk', 'input'])).toEqual([]);
    expect(scriptArguments(['bash', 'script.sh', '-c'])).toEqual([]);
    expect(shellInjections(['sh', '-c', 'echo "$1"', 'sh', '{{labels.x}}'])).toEqual([]);
  });
});
