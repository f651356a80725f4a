/**
 * EC2 customer-managed prefix lists (the Jira Cloud ranges referenced by the ELB security group).
 * Production: EC2 through the SDK (shared/aws/ec2-prefix-lists.ts); locally: the sandbox's list.
 */
export interface PrefixListInfo {
  id: string;
  name: string;
  addressFamily: 'IPv4' | 'IPv6';
  /** Current version; ModifyManagedPrefixList must name it (CurrentVersion). */
  version: number;
  maxEntries: number;
  /** create-complete, modify-in-progress, modify-complete, modify-failed, ... */
  state: string;
  stateMessage?: string;
  tags: Record<string, string>;
}

export interface PrefixListEntry {
  cidr: string;
  description?: string;
}

export interface PrefixListChange {
  id: string;
  /** The version the change is based on; a different current version fails the change. */
  currentVersion: number;
  add?: PrefixListEntry[];
  remove?: string[];
  /** New MaxEntries (growing the list before adding). */
  maxEntries?: number;
}

export interface PrefixLists {
  describe(id: string): Promise<PrefixListInfo>;
  /** Every entry of the list (all pages), at its current version. */
  entries(id: string): Promise<PrefixListEntry[]>;
  /** One ModifyManagedPrefixList call; returns the list as the call left it (new version). */
  modify(change: PrefixListChange): Promise<PrefixListInfo>;
  /** Sets one tag on the list (the Atlassian syncToken it was last synced to). */
  tag(id: string, key: string, value: string): Promise<void>;
}

/** At most this many entries added plus removed per ModifyManagedPrefixList call. */
export const MAX_CHANGES_PER_CALL = 100;
