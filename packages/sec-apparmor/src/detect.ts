import { readFile } from 'node:fs/promises';

/** AppArmor is usable when the module is loaded and enabled ("Y"). */
export async function detectAppArmor(sysRoot = '/sys'): Promise<boolean> {
  const enabled = await readFile(`${sysRoot}/module/apparmor/parameters/enabled`, 'utf8').catch(() => '');
  return enabled.trim() === 'Y';
}
