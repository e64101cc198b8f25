import { spawnSync } from 'node:child_process';

/** Whether a command exists here. In CI every tool the suite uses is installed by .ci/run, so a missing one fails there. */
export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Tests that need a real tool run when it is present, and always in CI (where its absence is a failure). */
export const needsTool = (cmd: string) => hasTool(cmd) || process.env.CI === 'true';
