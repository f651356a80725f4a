import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  PrefixListChange,
  PrefixListEntry,
  PrefixListInfo,
  PrefixLists,
} from '../../../shared/network/prefix-lists.js';
import { MAX_CHANGES_PER_CALL } from '../../../shared/network/prefix-lists.js';
import { PrefixListUnusable, PrefixListVersionMismatch } from '../../../shared/runbook/errors.js';

/**
 * The guide's 14 Jira Cloud egress CIDRs (seed ghes-on-aws-guide.ko.md, "Jira의 Public IP 범위"),
 * as items of Atlassian's published document (format: ../shared/reference/ghes-appliance.md).
 */
export const GUIDE_JIRA_CIDRS = [
  '13.52.5.96/28',
  '13.236.8.224/28',
  '18.136.214.96/28',
  '18.184.99.224/28',
  '18.234.32.224/28',
  '18.246.31.224/28',
  '52.215.192.224/28',
  '104.192.137.240/28',
  '104.192.138.240/28',
  '104.192.140.240/28',
  '104.192.142.240/28',
  '104.192.143.240/28',
  '185.166.143.240/28',
  '185.166.142.240/28',
];

/** What jira-ranges-changed publishes instead: two new ranges, 13.52.5.96/28 dropped. */
export const CHANGED_ADDED = ['3.26.128.128/26', '52.41.219.63/32'];
export const CHANGED_REMOVED = ['13.52.5.96/28'];

function item(cidr: string, product: string[], direction: string[], region: string[] = ['global']) {
  const [network = '', len = '0'] = cidr.split('/');
  const maskLen = Number(len);
  const mask = network.includes(':')
    ? ''
    : [24, 16, 8, 0].map((s) => ((0xffffffff << (32 - maskLen)) >>> s) & 255).join('.');
  return { network, mask_len: maskLen, cidr, mask, region, product, direction };
}

/** The document the sandbox serves: Jira egress ranges plus items the filter must leave out. */
export function sandboxRangesDocument(changed: boolean, syncToken: number): string {
  const jira = changed
    ? [...GUIDE_JIRA_CIDRS.filter((c) => !CHANGED_REMOVED.includes(c)), ...CHANGED_ADDED]
    : GUIDE_JIRA_CIDRS;
  return JSON.stringify(
    {
      creationDate: new Date(syncToken * 1000).toISOString().replace('Z', ''),
      syncToken,
      items: [
        ...jira.map((c) => item(c, ['jira', 'confluence', 'jira-service-management'], ['egress'])),
        item('2401:1d80:3000::/40', ['jira', 'confluence'], ['egress']),
        item('104.192.136.0/21', ['jira', 'confluence', 'bitbucket'], ['ingress']),
        item('18.205.93.0/25', ['bitbucket'], ['egress'], ['us-east-1']),
      ],
    },
    null,
    2,
  );
}

/** A loopback HTTP server standing in for ip-ranges.atlassian.com (started on first use). */
export class SandboxRangesServer {
  private server: Server | undefined;
  private url: Promise<string> | undefined;

  constructor(private readonly answer: () => { status: number; body: string }) {}

  start(): Promise<string> {
    return (this.url ??= new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        const { status, body } = this.answer();
        res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.unref();
        this.server = server;
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      });
    }));
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

interface ListState {
  info: Omit<PrefixListInfo, 'tags'>;
  tags: Map<string, string>;
  entries: Map<string, string | undefined>;
  /** Virtual ms until which the list is modify-in-progress. */
  busyUntil: number;
}

/**
 * A managed prefix list as EC2 keeps it: versions, MaxEntries, state while a modification
 * completes, CurrentVersion required and checked, at most 100 entry changes per call, MaxEntries
 * and entries never in one call, never below the entries.
 */
export class SandboxPrefixLists implements PrefixLists {
  private readonly lists = new Map<string, ListState>();
  /** Called before a modification is checked (a concurrent writer in jira-version-conflict). */
  beforeModify: ((id: string) => void) | undefined;
  readonly calls: { op: string; id: string; detail?: unknown }[] = [];

  constructor(private readonly now: () => number) {}

  create(
    id: string,
    name: string,
    family: 'IPv4' | 'IPv6',
    cidrs: string[],
    maxEntries = cidrs.length,
  ): void {
    this.lists.set(id, {
      info: { id, name, addressFamily: family, version: 1, maxEntries, state: 'create-complete' },
      tags: new Map(),
      entries: new Map(cidrs.map((c, i) => [c, `jira-cloud-public-ip-${String(i + 1).padStart(2, '0')}`])),
      busyUntil: 0,
    });
  }

  private get(id: string): ListState {
    const l = this.lists.get(id);
    if (!l)
      throw new PrefixListUnusable(`InvalidPrefixListID.NotFound: The prefix list ID '${id}' does not exist`);
    if (l.info.state === 'modify-in-progress' && this.now() >= l.busyUntil) l.info.state = 'modify-complete';
    return l;
  }

  async describe(id: string): Promise<PrefixListInfo> {
    const l = this.get(id);
    this.calls.push({ op: 'DescribeManagedPrefixLists', id });
    return { ...l.info, tags: Object.fromEntries(l.tags) };
  }

  async entries(id: string): Promise<PrefixListEntry[]> {
    const l = this.get(id);
    this.calls.push({ op: 'GetManagedPrefixListEntries', id });
    return [...l.entries].map(([cidr, description]) => ({ cidr, ...(description ? { description } : {}) }));
  }

  /** Another writer's change (the console, another tool). */
  externalChange(id: string, add: string): void {
    const l = this.get(id);
    l.entries.set(add, 'added by hand');
    l.info.version++;
  }

  async modify(change: PrefixListChange): Promise<PrefixListInfo> {
    this.beforeModify?.(change.id);
    const l = this.get(change.id);
    this.calls.push({ op: 'ModifyManagedPrefixList', id: change.id, detail: change });
    const adds = change.add ?? [];
    const removes = change.remove ?? [];
    if (l.info.state.endsWith('in-progress'))
      throw Object.assign(
        new Error(`IncorrectState: The prefix list ${change.id} is in state ${l.info.state}`),
        { name: 'IncorrectState' },
      );
    if (change.currentVersion !== l.info.version)
      throw new PrefixListVersionMismatch(
        `EC2 ModifyManagedPrefixList ${change.id} (CurrentVersion ${change.currentVersion}): PrefixListVersionMismatch: The prefix list has the incorrect version number (current version ${l.info.version}). Somebody else changed the list; run the workflow again.`,
      );
    if (adds.length + removes.length > MAX_CHANGES_PER_CALL)
      throw Object.assign(new Error('InvalidParameterValue: at most 100 entries may be added or removed'), {
        name: 'InvalidParameterValue',
      });
    if (change.maxEntries !== undefined) {
      if (adds.length + removes.length)
        throw Object.assign(
          new Error('InvalidParameterCombination: MaxEntries cannot be modified together with entries'),
          { name: 'InvalidParameterCombination' },
        );
      if (change.maxEntries < l.entries.size)
        throw Object.assign(new Error('InvalidParameterValue: MaxEntries is below the number of entries'), {
          name: 'InvalidParameterValue',
        });
      l.info.maxEntries = change.maxEntries;
    } else {
      for (const c of removes) {
        if (!l.entries.has(c))
          throw Object.assign(new Error(`InvalidPrefixListModification: ${c} is not an entry`), {
            name: 'InvalidPrefixListModification',
          });
      }
      const size = l.entries.size - removes.length + adds.filter((a) => !l.entries.has(a.cidr)).length;
      if (size > l.info.maxEntries)
        throw Object.assign(
          new Error(
            `PrefixListMaxEntriesExceeded: The prefix list would have ${size} entries, more than its MaxEntries ${l.info.maxEntries}`,
          ),
          { name: 'PrefixListMaxEntriesExceeded' },
        );
      for (const c of removes) l.entries.delete(c);
      for (const a of adds) l.entries.set(a.cidr, a.description);
      l.info.version++;
    }
    l.info.state = 'modify-in-progress';
    l.busyUntil = this.now() + 4000;
    return { ...l.info, tags: Object.fromEntries(l.tags) };
  }

  async tag(id: string, key: string, value: string): Promise<void> {
    this.get(id).tags.set(key, value);
    this.calls.push({ op: 'CreateTags', id, detail: { key, value } });
  }

  /** Inspection for tests. */
  snapshot(id: string): {
    version: number;
    maxEntries: number;
    cidrs: string[];
    tags: Record<string, string>;
  } {
    const l = this.get(id);
    return {
      version: l.info.version,
      maxEntries: l.info.maxEntries,
      cidrs: [...l.entries.keys()].sort(),
      tags: Object.fromEntries(l.tags),
    };
  }
}
