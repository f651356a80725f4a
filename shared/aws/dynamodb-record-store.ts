import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../clock.js';
import {
  RecordStoreFailed,
  type RecordStore,
  type RecordWrite,
  type StoredRecord,
} from '../records/record-store.js';
import { awsErrorName, errorMessage, isAwsError } from './aws-error.js';

/** The SDK module, loaded on the first call (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-dynamodb');

/**
 * Records in one DynamoDB table: partition key `pk` (S), value `v` (S), version `ver` (N), counter
 * `c` (N) and expiry `ttl` (N, epoch seconds; the table's TTL attribute). Conditional writes make
 * `create`, `replace` and `take` atomic; reads are strongly consistent. DynamoDB deletes expired
 * items within days, so every read and condition also treats `ttl < now` as absent.
 */
export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private expiry(opts?: RecordWrite): number | undefined {
    return opts?.ttlSeconds === undefined ? undefined : this.nowSeconds() + Math.ceil(opts.ttlSeconds);
  }

  private fail(err: unknown, action: string, key: string): RecordStoreFailed {
    return new RecordStoreFailed(
      `${action} record ${key} in DynamoDB table ${this.table} failed: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}. It is safe to retry; if it persists, check the table exists and the function's role may use it.`,
      { table: this.table, key, awsError: awsErrorName(err) },
    );
  }

  private live(item: Record<string, AttributeValue> | undefined): StoredRecord | undefined {
    const value = item?.v?.S;
    if (value === undefined) return undefined;
    const ttl = item?.ttl?.N;
    if (ttl !== undefined && Number(ttl) < this.nowSeconds()) return undefined;
    return { value, version: Number(item?.ver?.N ?? '1') };
  }

  async get(key: string): Promise<StoredRecord | undefined> {
    try {
      const out = await this.client.send(
        new (await sdk()).GetItemCommand({
          TableName: this.table,
          Key: { pk: { S: key } },
          ConsistentRead: true,
        }),
      );
      return this.live(out.Item);
    } catch (err) {
      throw this.fail(err, 'Reading', key);
    }
  }

  async create(key: string, value: string, opts?: RecordWrite): Promise<boolean> {
    const ttl = this.expiry(opts);
    try {
      await this.client.send(
        new (await sdk()).PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: key },
            v: { S: value },
            ver: { N: '1' },
            ...(ttl !== undefined ? { ttl: { N: String(ttl) } } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': { N: String(this.nowSeconds()) } },
        }),
      );
      return true;
    } catch (err) {
      if (isAwsError(err, 'ConditionalCheckFailedException')) return false;
      throw this.fail(err, 'Creating', key);
    }
  }

  /** SET v, bump ver, set or remove ttl; `condition` guards it. */
  private async update(
    key: string,
    value: string,
    opts: RecordWrite | undefined,
    condition?: { expression: string; values: Record<string, AttributeValue> },
  ): Promise<void> {
    const ttl = this.expiry(opts);
    await this.client.send(
      new (await sdk()).UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: key } },
        UpdateExpression:
          ttl !== undefined
            ? 'SET #v = :v, #ttl = :ttl ADD #ver :one'
            : 'SET #v = :v ADD #ver :one REMOVE #ttl',
        ...(condition ? { ConditionExpression: condition.expression } : {}),
        ExpressionAttributeNames: { '#v': 'v', '#ver': 'ver', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':v': { S: value },
          ':one': { N: '1' },
          ...(ttl !== undefined ? { ':ttl': { N: String(ttl) } } : {}),
          ...condition?.values,
        },
      }),
    );
  }

  async replace(key: string, value: string, expectedVersion: number, opts?: RecordWrite): Promise<boolean> {
    try {
      await this.update(key, value, opts, {
        expression: '#ver = :expected AND (attribute_not_exists(#ttl) OR #ttl >= :now)',
        values: { ':expected': { N: String(expectedVersion) }, ':now': { N: String(this.nowSeconds()) } },
      });
      return true;
    } catch (err) {
      if (isAwsError(err, 'ConditionalCheckFailedException')) return false;
      throw this.fail(err, 'Replacing', key);
    }
  }

  async put(key: string, value: string, opts?: RecordWrite): Promise<void> {
    try {
      await this.update(key, value, opts);
    } catch (err) {
      throw this.fail(err, 'Writing', key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new (await sdk()).DeleteItemCommand({ TableName: this.table, Key: { pk: { S: key } } }),
      );
    } catch (err) {
      throw this.fail(err, 'Deleting', key);
    }
  }

  async take(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new (await sdk()).DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: key } },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return this.live(out.Attributes)?.value;
    } catch (err) {
      throw this.fail(err, 'Taking', key);
    }
  }

  async increment(key: string, opts: { ttlSeconds: number }): Promise<number> {
    try {
      const out = await this.client.send(
        new (await sdk()).UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: key } },
          UpdateExpression: 'ADD #c :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#c': 'c', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':ttl': { N: String(this.expiry(opts)) } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.c?.N ?? '1');
    } catch (err) {
      throw this.fail(err, 'Counting', key);
    }
  }
}
