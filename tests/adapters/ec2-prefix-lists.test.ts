import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateTagsCommand,
  DescribeManagedPrefixListsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Ec2PrefixLists } from '../../shared/aws/ec2-prefix-lists.js';

const ec2 = mockClient(EC2Client);
const ID = 'pl-0123456789abcdef0';
beforeEach(() => {
  ec2.reset();
});
const lists = (): Ec2PrefixLists => new Ec2PrefixLists(new EC2Client({}));

describe('Ec2PrefixLists', () => {
  it('describes one list by id: version, MaxEntries, state and tags', async () => {
    ec2.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [
        {
          PrefixListId: ID,
          PrefixListName: 'public-ip-ranges-for-jira-cloud',
          AddressFamily: 'IPv4',
          Version: 3,
          MaxEntries: 14,
          State: 'modify-complete',
          Tags: [{ Key: 'ghes-ops:atlassian-sync-token', Value: '1710892142' }],
        },
      ],
    });
    await expect(lists().describe(ID)).resolves.toEqual({
      id: ID,
      name: 'public-ip-ranges-for-jira-cloud',
      addressFamily: 'IPv4',
      version: 3,
      maxEntries: 14,
      state: 'modify-complete',
      tags: { 'ghes-ops:atlassian-sync-token': '1710892142' },
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeManagedPrefixListsCommand, { PrefixListIds: [ID] });
  });

  it('says the list does not exist when EC2 answers InvalidPrefixListID.NotFound', async () => {
    ec2.on(DescribeManagedPrefixListsCommand).rejects(
      Object.assign(new Error("The prefix list ID 'pl-0123456789abcdef0' does not exist"), {
        name: 'InvalidPrefixListID.NotFound',
      }),
    );
    await expect(lists().describe(ID)).rejects.toMatchObject({
      name: 'PrefixListUnusable',
      message: expect.stringContaining('jiraPrefixListId'),
    });
  });

  it('reads every page of entries', async () => {
    ec2
      .on(GetManagedPrefixListEntriesCommand, { PrefixListId: ID, MaxResults: 100 })
      .resolvesOnce({
        Entries: [{ Cidr: '13.52.5.96/28', Description: 'jira-cloud-public-ip-01' }],
        NextToken: 't1',
      })
      .resolvesOnce({ Entries: [{ Cidr: '13.236.8.224/28' }] });
    await expect(lists().entries(ID)).resolves.toEqual([
      { cidr: '13.52.5.96/28', description: 'jira-cloud-public-ip-01' },
      { cidr: '13.236.8.224/28' },
    ]);
    expect(ec2).toHaveReceivedCommandTimes(GetManagedPrefixListEntriesCommand, 2);
    expect(ec2).toHaveReceivedNthCommandWith(2, GetManagedPrefixListEntriesCommand, {
      PrefixListId: ID,
      MaxResults: 100,
      NextToken: 't1',
    });
  });

  it('modifies entries with CurrentVersion, and MaxEntries in a call of its own', async () => {
    ec2.on(ModifyManagedPrefixListCommand).resolves({
      PrefixList: {
        PrefixListId: ID,
        Version: 4,
        MaxEntries: 15,
        State: 'modify-in-progress',
        AddressFamily: 'IPv4',
      },
    });
    const after = await lists().modify({
      id: ID,
      currentVersion: 3,
      add: [{ cidr: '3.26.128.128/26', description: 'Atlassian' }],
      remove: ['13.52.5.96/28'],
    });
    expect(after).toMatchObject({ version: 4, state: 'modify-in-progress' });
    expect(ec2).toHaveReceivedCommandWith(ModifyManagedPrefixListCommand, {
      PrefixListId: ID,
      CurrentVersion: 3,
      AddEntries: [{ Cidr: '3.26.128.128/26', Description: 'Atlassian' }],
      RemoveEntries: [{ Cidr: '13.52.5.96/28' }],
    });
    await lists().modify({ id: ID, currentVersion: 4, maxEntries: 15 });
    expect(ec2).toHaveReceivedNthCommandWith(2, ModifyManagedPrefixListCommand, {
      PrefixListId: ID,
      CurrentVersion: 4,
      MaxEntries: 15,
    });
  });

  it('refuses more than 100 changes per call and MaxEntries with entries, before calling EC2', async () => {
    const add = Array.from({ length: 101 }, (_, i) => ({ cidr: `10.0.${i}.0/24` }));
    await expect(lists().modify({ id: ID, currentVersion: 1, add })).rejects.toThrow(/at most 100/);
    await expect(
      lists().modify({ id: ID, currentVersion: 1, add: add.slice(0, 1), maxEntries: 20 }),
    ).rejects.toThrow(/MaxEntries/);
    expect(ec2).toHaveReceivedCommandTimes(ModifyManagedPrefixListCommand, 0);
  });

  it.each([
    ['PrefixListVersionMismatch', 'The prefix list has the incorrect version number'],
    ['MissingParameter', 'A prefix list version is required'],
  ])('turns %s into PrefixListVersionMismatch', async (name, message) => {
    ec2.on(ModifyManagedPrefixListCommand).rejects(Object.assign(new Error(message), { name }));
    await expect(
      lists().modify({ id: ID, currentVersion: 1, remove: ['13.52.5.96/28'] }),
    ).rejects.toMatchObject({
      name: 'PrefixListVersionMismatch',
      message: expect.stringContaining('run the workflow again'),
    });
  });

  it('keeps the AWS name of other errors (e.g. throttling, for the Retry blocks)', async () => {
    ec2
      .on(ModifyManagedPrefixListCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));
    await expect(
      lists().modify({ id: ID, currentVersion: 1, remove: ['13.52.5.96/28'] }),
    ).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('tags the list with one key', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    await lists().tag(ID, 'ghes-ops:atlassian-sync-token', '1710892142');
    expect(ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [ID],
      Tags: [{ Key: 'ghes-ops:atlassian-sync-token', Value: '1710892142' }],
    });
  });
});
