import type { CommandSpec } from '../command-registry.js';
import { commandOptions, hasFlag, optionValue } from '../getopts.js';

const USAGE = `Usage: ghe-org-admin-promote [-h] [-u USERNAME] [-o ORGANIZATION] [-a] [-y]
Give organization owner privileges.

  -u USERNAME       User to promote (default: all site admins)
  -o ORGANIZATION   Organization (default: all organizations; site admins only)
  -a                All site admins in all organizations
  -y                Do not ask for confirmation
  -h                Show this message`;

export const gheOrgAdminPromote: CommandSpec = {
  name: 'ghe-org-admin-promote',
  description: 'Make a user an owner of an organization (-u USER -o ORG [-y]); runs on the primary.',
  run(ctx) {
    const opts = commandOptions(ctx, 'u:o:ayh', USAGE);
    if (typeof opts === 'number') return opts;
    const user = optionValue(opts, 'u');
    const org = optionValue(opts, 'o');
    if (user === null && org === null && !hasFlag(opts, 'a')) {
      ctx.printErr('Error: give a user (-u), an organization (-o), or -a.', USAGE);
      return 1;
    }
    if (ctx.node.role === 'replica') {
      ctx.printErr(`Error: ${ctx.node.name} is a replica; run ghe-org-admin-promote on the primary.`);
      return 1;
    }
    const { users, orgs } = ctx.world.instance;
    if (user !== null && !users.has(user)) {
      ctx.printErr(`Error: user ${user} does not exist.`);
      return 1;
    }
    if (org !== null && !orgs.has(org)) {
      ctx.printErr(`Error: organization ${org} does not exist.`);
      return 1;
    }
    if (user !== null && org === null && !users.get(user)?.siteAdmin) {
      ctx.printErr(
        `Error: ${user} is not a site admin; only site admins can be made owners of all organizations.`,
      );
      return 1;
    }
    const who = user !== null ? [user] : [...users].filter(([, u]) => u.siteAdmin).map(([login]) => login);
    const where = org !== null ? [org] : [...orgs.keys()];
    if (!hasFlag(opts, 'y')) {
      ctx.write(`Give ${who.join(', ')} owner privileges in ${where.join(', ')}? [y/N] `);
      if (!/^y(es)?$/i.test((ctx.stdin ?? '').split('\n')[0]?.trim() ?? '')) {
        ctx.print('', 'Aborted: no confirmation (use -y to run without asking).');
        return 1;
      }
      ctx.print('');
    }
    for (const o of where) {
      const owners = orgs.get(o) as Set<string>;
      for (const u of who) {
        if (owners.has(u)) {
          ctx.print(`${u} is already an owner of ${o}.`);
        } else {
          owners.add(u);
          ctx.print(`${u} is now an owner of ${o}.`);
        }
      }
    }
    return 0;
  },
};
