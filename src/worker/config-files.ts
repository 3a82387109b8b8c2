import type { Logger } from 'pino';
import { parseGuardrails, parsePolicy, PlaybookCatalog } from '../clients/config/catalog.js';
import { ConfigFileError } from '../clients/config/config-file-error.js';
import { ConfigHealth, ReloadingConfigFile } from '../clients/config/reloading-file.js';
import { ConfigError } from '../config/env.js';
import type { Rule } from '../domain/guardrails/controls.js';

export interface WorkerConfigFiles {
  PLAYBOOKS_DIR: string;
  POLICY_FILE: string;
  GUARDRAILS_FILE: string;
}

/**
 * The worker's configuration files: loaded at start (every problem of every file is reported
 * before the process stops), then watched. A refused edit keeps the last good version in
 * service and is reported once, with file, line and problem, to the log and to `health` (the
 * status server's metrics and readiness); fixing the file is reported too.
 */
export function loadConfigFiles(config: WorkerConfigFiles, log: Pick<Logger, 'error' | 'info'>) {
  const health = new ConfigHealth((scope, statuses) => {
    const refused = statuses.filter((s) => !s.ok);
    if (refused.length)
      log.error(
        { config: refused },
        `configuration edit refused, the last good version stays in service:\n${refused
          .flatMap((s) => new ConfigFileError(s.file, s.problems).message.split('\n'))
          .join('\n')}`,
      );
    else log.info({ file: scope }, 'configuration reloaded');
  });

  // Load all three before giving up, so one start names the problems of every file.
  const problems: ConfigError[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err);
      return undefined;
    }
  };
  const playbooks = attempt(() =>
    PlaybookCatalog.fromDirectory(config.PLAYBOOKS_DIR, (err) => health.report(config.PLAYBOOKS_DIR, err)),
  );
  const policy = attempt(() => ReloadingConfigFile.load(config.POLICY_FILE, parsePolicy, { health }));
  const guardrails = attempt(() =>
    ReloadingConfigFile.load<Array<Omit<Rule, 'source'>>>(config.GUARDRAILS_FILE, parseGuardrails, {
      health,
      missing: () => [],
    }),
  );
  if (problems.length || !playbooks || !policy || !guardrails)
    throw new ConfigError(problems.map((p) => p.message).join('\n'));
  health.report(config.PLAYBOOKS_DIR);

  return {
    health,
    playbooks,
    policy,
    guardrails,
    /**
     * Look for edits every `seconds` (responses also re-read on use); `onGuardrails` gets the
     * standing rules each time a new guardrails file was taken into service.
     */
    watch(seconds: number, onGuardrails: (rules: Array<Omit<Rule, 'source'>>) => void): () => void {
      const timer = setInterval(() => {
        playbooks.refresh();
        policy.check();
        if (guardrails.check()) onGuardrails(guardrails.current());
      }, seconds * 1000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
