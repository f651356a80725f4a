import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoRecordStore } from '../../shared/aws/dynamodb-record-store.js';
import { dynamoRecords } from '../../shared/aws/wiring.js';
import type { FactoryContext } from '../../shared/runtime/aws-adapters.js';
import { failure } from '../helpers/failure.js';
import { FakeRecordsTable } from '../helpers/fake-records-table.js';
import { recordStoreContract } from './record-store-contract.js';

const ddb = mockClient(DynamoDBClient);
const meta = { $metadata: {} };
const TABLE = 'ghes-ops-dev-records';
const NOW = 1_795_000_000_000; // ms
const NOW_S = 1_795_000_000;
const store = () => new DynamoRecordStore(new DynamoDBClient({}), TABLE, { now: () => NOW });
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoRecordStore', () => {
  it('reads strongly consistent and returns the value with its version', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { pk: { S: 'k' }, v: { S: '{"a":1}' }, ver: { N: '3' } } });
    expect(await store().get('k')).toEqual({ value: '{"a":1}', version: 3 });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: 'k' } },
      ConsistentRead: true,
    });
  });

  it('treats an item past its ttl as absent (DynamoDB deletes expired items lazily)', async () => {
    ddb.on(GetItemCommand).resolves({
      Item: { pk: { S: 'k' }, v: { S: 'x' }, ver: { N: '1' }, ttl: { N: String(NOW_S - 1) } },
    });
    expect(await store().get('k')).toBeUndefined();
    ddb.on(GetItemCommand).resolves({});
    expect(await store().get('k')).toBeUndefined();
  });

  it('creates with a condition that lets only the first caller (or an expired item) through', async () => {
    ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store().create('msg/1', 'pending', { ttlSeconds: 60 })).toBe(true);
    expect(await store().create('msg/1', 'pending', { ttlSeconds: 60 })).toBe(false);
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: { pk: { S: 'msg/1' }, v: { S: 'pending' }, ver: { N: '1' }, ttl: { N: String(NOW_S + 60) } },
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': { N: String(NOW_S) } },
    });
  });

  it('creates a record without expiry when no ttl is given', async () => {
    ddb.on(PutItemCommand).resolves({});
    await store().create('reply/abc', '{}');
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item).toEqual({
      pk: { S: 'reply/abc' },
      v: { S: '{}' },
      ver: { N: '1' },
    });
  });

  it('replaces only at the expected version of a live item', async () => {
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store().replace('msg/1', 'mine', 4, { ttlSeconds: 10 })).toBe(true);
    expect(await store().replace('msg/1', 'mine', 4, { ttlSeconds: 10 })).toBe(false);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'msg/1' } },
      UpdateExpression: 'SET #v = :v, #ttl = :ttl ADD #ver :one',
      ConditionExpression: '#ver = :expected AND (attribute_not_exists(#ttl) OR #ttl >= :now)',
      ExpressionAttributeNames: { '#v': 'v', '#ver': 'ver', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':v': { S: 'mine' },
        ':one': { N: '1' },
        ':ttl': { N: String(NOW_S + 10) },
        ':expected': { N: '4' },
        ':now': { N: String(NOW_S) },
      },
    });
  });

  it('puts unconditionally, bumping the version and removing an old expiry when none is given', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store().put('ticket/acme.t/1', '{"n":1}');
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'ticket/acme.t/1' } },
      UpdateExpression: 'SET #v = :v ADD #ver :one REMOVE #ttl',
      ExpressionAttributeNames: { '#v': 'v', '#ver': 'ver', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':v': { S: '{"n":1}' }, ':one': { N: '1' } },
    });
  });

  it('takes (gets and deletes) atomically with ReturnValues ALL_OLD', async () => {
    ddb
      .on(DeleteItemCommand)
      .resolvesOnce({ Attributes: { v: { S: 'state-1' }, ver: { N: '1' } } })
      .resolvesOnce({});
    expect(await store().take('state/x')).toBe('state-1');
    expect(await store().take('state/x')).toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: 'state/x' } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('deletes without a condition', async () => {
    ddb.on(DeleteItemCommand).resolves({});
    await store().delete('msg/1');
    expect(ddb.commandCalls(DeleteItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'msg/1' } },
    });
  });

  it('counts with an atomic ADD whose expiry is set by the first increment', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: { c: { N: '7' } } });
    expect(await store().increment('burst/s/1', { ttlSeconds: 600 })).toBe(7);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'burst/s/1' } },
      UpdateExpression: 'ADD #c :one SET #ttl = if_not_exists(#ttl, :ttl)',
      ExpressionAttributeNames: { '#c': 'c', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':ttl': { N: String(NOW_S + 600) } },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('turns service errors into RecordStoreFailed naming the table, key and AWS error', async () => {
    ddb.on(PutItemCommand).rejects(
      new DynamoDBServiceException({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        message: 'Requested resource not found',
        ...meta,
      }),
    );
    const err = await failure(store().create('msg/1', 'pending'));
    expect(err.name).toBe('RecordStoreFailed');
    expect(err.message).toBe(
      `Creating record msg/1 in DynamoDB table ${TABLE} failed: ResourceNotFoundException: Requested resource not found. It is safe to retry; if it persists, check the table exists and the function's role may use it.`,
    );
    ddb.on(UpdateItemCommand).rejects(
      new DynamoDBServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'no',
        ...meta,
      }),
    );
    expect((await failure(store().increment('b', { ttlSeconds: 1 }))).message).toContain(
      'Counting record b in DynamoDB table',
    );
    expect((await failure(store().replace('b', 'v', 1))).name).toBe('RecordStoreFailed');
  });
});

// The same contract as the local store, on a table that evaluates the store's expressions.
recordStoreContract('DynamoRecordStore on an in-memory table', (clock) => {
  new FakeRecordsTable(TABLE).install(ddb);
  return new DynamoRecordStore(new DynamoDBClient({}), TABLE, clock);
});

describe('dynamoRecords (wiring)', () => {
  const saved = process.env.GHES_OPS_RECORDS_TABLE;
  afterEach(() => {
    if (saved === undefined) delete process.env.GHES_OPS_RECORDS_TABLE;
    else process.env.GHES_OPS_RECORDS_TABLE = saved;
  });
  const ctx = {} as FactoryContext;

  it('refuses to start without GHES_OPS_RECORDS_TABLE, naming it', async () => {
    delete process.env.GHES_OPS_RECORDS_TABLE;
    const err = await failure(dynamoRecords(ctx));
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain('GHES_OPS_RECORDS_TABLE');
  });

  it('uses the table the variable names', async () => {
    process.env.GHES_OPS_RECORDS_TABLE = TABLE;
    ddb.on(GetItemCommand).resolves({});
    const store = await dynamoRecords(ctx);
    expect(store).toBeInstanceOf(DynamoRecordStore);
    await store.get('k');
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE });
  });
});
