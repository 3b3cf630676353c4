/**
 * The entry "@criod/sec-apparmor/selinux", deprecated: the SELinux plugin is its own package,
 * @criod/sec-selinux. This entry stays for one release so configs that select it keep working;
 * it is that package's plugin and says once at startup to select "@criod/sec-selinux" instead.
 */
import { definePlugin } from '@criod/core';
import { selinuxPlugin } from '@criod/sec-selinux';

const deprecatedSelinuxEntry = '@criod/sec-apparmor/selinux';

/** @deprecated Select "@criod/sec-selinux" in [plugins] security. */
export const plugin = definePlugin({
  ...selinuxPlugin,
  async create(ctx) {
    ctx.logger.warn(
      `"${deprecatedSelinuxEntry}" in [plugins] security is deprecated and goes away in the next release: select "@criod/sec-selinux" instead (same [selinux] section)`,
    );
    return selinuxPlugin.create(ctx);
  },
});

export default plugin;
