import { LazyEc2 } from './lazy-ec2.js';
import type {
  PrefixListChange,
  PrefixListEntry,
  PrefixListInfo,
  PrefixLists,
} from '../network/prefix-lists.js';
import { MAX_CHANGES_PER_CALL } from '../network/prefix-lists.js';
import { PrefixListUnusable, PrefixListVersionMismatch } from '../runbook/errors.js';
import { awsErrorName, errorMessage } from './aws-error.js';

/**
 * EC2 managed prefix lists through SDK v3: DescribeManagedPrefixLists, GetManagedPrefixListEntries
 * (paged), ModifyManagedPrefixList (CurrentVersion; entries or MaxEntries), CreateTags. The EC2
 * client is not bundled (like ec2-instances.ts): imported from the Lambda runtime on first use.
 */
export class Ec2PrefixLists extends LazyEc2 implements PrefixLists {
  async describe(id: string): Promise<PrefixListInfo> {
    const { sdk, client } = await this.sdk();
    let out;
    try {
      out = await client.send(new sdk.DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }));
    } catch (err) {
      throw mapped(err, `EC2 DescribeManagedPrefixLists ${id}`);
    }
    const pl = out.PrefixLists?.[0];
    if (!pl)
      throw new PrefixListUnusable(
        `Prefix list ${id} does not exist in this account and region. Fix the jiraPrefixListId param.`,
      );
    return {
      id: pl.PrefixListId ?? id,
      name: pl.PrefixListName ?? '',
      addressFamily: pl.AddressFamily === 'IPv6' ? 'IPv6' : 'IPv4',
      version: pl.Version ?? 0,
      maxEntries: pl.MaxEntries ?? 0,
      state: pl.State ?? 'unknown',
      ...(pl.StateMessage ? { stateMessage: pl.StateMessage } : {}),
      tags: Object.fromEntries((pl.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  }

  async entries(id: string): Promise<PrefixListEntry[]> {
    const { sdk, client } = await this.sdk();
    const out: PrefixListEntry[] = [];
    let NextToken: string | undefined;
    do {
      let page;
      try {
        page = await client.send(
          new sdk.GetManagedPrefixListEntriesCommand({
            PrefixListId: id,
            MaxResults: 100,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
      } catch (err) {
        throw mapped(err, `EC2 GetManagedPrefixListEntries ${id}`);
      }
      for (const e of page.Entries ?? [])
        if (e.Cidr) out.push({ cidr: e.Cidr, ...(e.Description ? { description: e.Description } : {}) });
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async modify(change: PrefixListChange): Promise<PrefixListInfo> {
    const adds = change.add ?? [];
    const removes = change.remove ?? [];
    if (adds.length + removes.length > MAX_CHANGES_PER_CALL)
      throw new RangeError(`at most ${MAX_CHANGES_PER_CALL} entries may be added or removed per call`);
    if (change.maxEntries !== undefined && adds.length + removes.length > 0)
      throw new RangeError('MaxEntries and entries cannot change in one ModifyManagedPrefixList call');
    const { sdk, client } = await this.sdk();
    let out;
    try {
      out = await client.send(
        new sdk.ModifyManagedPrefixListCommand({
          PrefixListId: change.id,
          CurrentVersion: change.currentVersion,
          ...(change.maxEntries !== undefined ? { MaxEntries: change.maxEntries } : {}),
          ...(adds.length
            ? {
                AddEntries: adds.map((e) => ({
                  Cidr: e.cidr,
                  ...(e.description ? { Description: e.description } : {}),
                })),
              }
            : {}),
          ...(removes.length ? { RemoveEntries: removes.map((Cidr) => ({ Cidr })) } : {}),
        }),
      );
    } catch (err) {
      throw mapped(err, `EC2 ModifyManagedPrefixList ${change.id} (CurrentVersion ${change.currentVersion})`);
    }
    const pl = out.PrefixList;
    return {
      id: pl?.PrefixListId ?? change.id,
      name: pl?.PrefixListName ?? '',
      addressFamily: pl?.AddressFamily === 'IPv6' ? 'IPv6' : 'IPv4',
      version: pl?.Version ?? change.currentVersion,
      maxEntries: pl?.MaxEntries ?? change.maxEntries ?? 0,
      state: pl?.State ?? 'modify-in-progress',
      tags: Object.fromEntries((pl?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  }

  async tag(id: string, key: string, value: string): Promise<void> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.CreateTagsCommand({ Resources: [id], Tags: [{ Key: key, Value: value }] }));
    } catch (err) {
      throw mapped(err, `EC2 CreateTags ${id}`);
    }
  }
}

/**
 * A stale CurrentVersion fails with a version error ("The prefix list has the incorrect version
 * number", or "A prefix list version is required" when missing): PrefixListVersionMismatch, so the
 * state machine and the mail can say what happened. Other errors keep their AWS name.
 */
function mapped(err: unknown, context: string): Error {
  const name = awsErrorName(err) ?? 'Error';
  const message = errorMessage(err);
  if (/version/i.test(name) || /prefix list version|incorrect version/i.test(message))
    return new PrefixListVersionMismatch(
      `${context}: ${name}: ${message}. Somebody else changed the list; run the workflow again.`,
    );
  if (name === 'InvalidPrefixListID.NotFound' || name === 'InvalidPrefixListId.NotFound')
    return new PrefixListUnusable(
      `${context}: the prefix list does not exist (${message}). Fix the jiraPrefixListId param.`,
    );
  const out = new Error(`${context}: ${name}: ${message}`);
  out.name = name;
  return out;
}
