import fs from 'node:fs';
import path from 'node:path';
import { run, StackError } from './process.js';
import { cacheDir } from './profiles.js';

/**
 * OpenSearch and PostgreSQL both refuse to run as root. As root, create a system user (once)
 * and give it the directories the server writes; as anyone else, run as ourselves.
 */
export async function systemUserIdentity(user: string, dirs: string[]): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const lookup = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
    if (!/^\d+$/.test(uid.trim()) || !/^\d+$/.test(gid.trim()) || uid.trim() === '0')
      throw new StackError(`id ${user} gave no usable uid/gid ("${uid.trim()}", "${gid.trim()}")`);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  const identity = await lookup().catch(async () => {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]).catch((err) => {
      // Two stack scripts creating the same user at once: the other one won.
      if (!/already exists/.test(String(err))) throw err;
    });
    return lookup();
  });
  // The user must be able to traverse every parent of the cache directory.
  for (let dir = cacheDir(); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new StackError(
        `${dir} is not traversable by the ${user} user; set INTERLOCK_CACHE_DIR to a directory under a world-traversable path.`,
      );
    }
  }
  for (const dir of dirs) await run('chown', ['-R', `${identity.uid}:${identity.gid}`, dir]);
  return identity;
}
