import {
  aliasKey,
  defaultKey,
  incomingAddress,
  type DeskAlias,
  type DeskConfig,
  type DeskProject,
} from './config.js';

/**
 * Several addresses per project (issue 19 item 3; gitlab#2201, #6229, #6395): each alias
 * `<local>+<slug>-<suffix>@<domain>` opens tickets in the project's repository with the alias's
 * labels and assignees. The project's default key and its plain `suffix` carry none.
 */
export const aliasKeyOf = (p: DeskProject, a: DeskAlias): string => `${p.slug}-${a.suffix}`;

/** The alias a key names, if it is one of the project's aliases. */
export function aliasFor(p: DeskProject, key: string): DeskAlias | undefined {
  return p.aliases?.find((a) => aliasKeyOf(p, a) === key);
}

/** Every key of a project: the default, the plain suffix, then the aliases, in that order. */
export function projectKeys(p: DeskProject): string[] {
  const plain = aliasKey(p);
  return [defaultKey(p), ...(plain ? [plain] : []), ...(p.aliases ?? []).map((a) => aliasKeyOf(p, a))];
}

/** What a new ticket from this address gets (none for the default address). */
export function ticketExtras(alias: DeskAlias | undefined): { labels: string[]; assignees: string[] } {
  return { labels: [...(alias?.labels ?? [])], assignees: [...(alias?.assignees ?? [])] };
}

export interface AddressSummary {
  project: string;
  repo: string;
  address: string;
  labels: string[];
  assignees: string[];
}

/** Every address of the desk with what it gives a new ticket (`ghes-ops config --json`, the console). */
export function deskAddressTable(c: DeskConfig): AddressSummary[] {
  return c.projects.flatMap((p) => {
    const plain = aliasKey(p);
    const rows: AddressSummary[] = [defaultKey(p), ...(plain ? [plain] : [])].map((key) => ({
      project: p.slug,
      repo: p.repo,
      address: incomingAddress(c, key).toLowerCase(),
      labels: [],
      assignees: [],
    }));
    for (const a of p.aliases ?? [])
      rows.push({
        project: p.slug,
        repo: p.repo,
        address: incomingAddress(c, aliasKeyOf(p, a)).toLowerCase(),
        labels: [...a.labels],
        assignees: [...a.assignees],
      });
    return rows;
  });
}
