import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;
interface Expressions {
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: Record<string, AttributeValue> | undefined;
}

const invalid = (message: string) =>
  new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: {} });

/**
 * One DynamoDB table keyed by `pk`, in memory, behind aws-sdk-client-mock: GetItem, PutItem,
 * UpdateItem and DeleteItem with the expression subset the record store uses (conditions with
 * AND/OR/parentheses, comparisons, attribute_(not_)exists; SET with if_not_exists, ADD, REMOVE),
 * evaluated as DynamoDB does: a comparison with a missing attribute is false, and an expression
 * name or value that is missing or unused is a ValidationException. Each call runs to completion
 * before the next, as one item's writes do in DynamoDB, so concurrent callers race for real.
 */
export class FakeRecordsTable {
  readonly items = new Map<string, Item>();

  constructor(readonly table: string) {}

  install(ddb: AwsClientStub<DynamoDBClient>): void {
    ddb.on(GetItemCommand).callsFake((input: { TableName?: string; Key?: Item }) => {
      const item = this.items.get(this.key(input));
      return item ? { Item: structuredClone(item) } : {};
    });
    ddb.on(PutItemCommand).callsFake((input: Expressions & { Item?: Item; ConditionExpression?: string }) => {
      const key = this.key({ ...input, Key: input.Item?.pk ? { pk: input.Item.pk } : {} });
      this.check(key, input.ConditionExpression, input);
      this.items.set(key, structuredClone(input.Item!));
      return {};
    });
    ddb.on(UpdateItemCommand).callsFake(
      (
        input: Expressions & {
          Key?: Item;
          UpdateExpression?: string;
          ConditionExpression?: string;
          ReturnValues?: string;
        },
      ) => {
        const key = this.key(input);
        const scope = new Scope(input);
        const item: Item = structuredClone(this.items.get(key) ?? { pk: { S: key } });
        const condition = input.ConditionExpression
          ? parseCondition(input.ConditionExpression, scope)
          : undefined;
        const touched = applyUpdate(input.UpdateExpression ?? '', scope, item);
        scope.assertAllUsed();
        if (condition && !condition(this.items.get(key) ?? {}))
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        this.items.set(key, item);
        if (input.ReturnValues === 'UPDATED_NEW')
          return { Attributes: Object.fromEntries(touched.filter((a) => item[a]).map((a) => [a, item[a]!])) };
        if (input.ReturnValues === 'ALL_NEW') return { Attributes: structuredClone(item) };
        return {};
      },
    );
    ddb
      .on(DeleteItemCommand)
      .callsFake((input: { TableName?: string; Key?: Item; ReturnValues?: string }) => {
        const key = this.key(input);
        const old = this.items.get(key);
        this.items.delete(key);
        return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
      });
  }

  private key(input: { TableName?: string | undefined; Key?: Item | undefined }): string {
    if (input.TableName !== this.table) throw invalid(`no table ${String(input.TableName)}`);
    const pk = input.Key?.pk?.S;
    if (!pk || Object.keys(input.Key ?? {}).length !== 1) throw invalid('the key is { pk: { S } }');
    return pk;
  }

  private check(key: string, expression: string | undefined, input: Expressions): void {
    const scope = new Scope(input);
    const condition = expression ? parseCondition(expression, scope) : undefined;
    scope.assertAllUsed();
    if (condition && !condition(this.items.get(key) ?? {}))
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  }
}

/** Resolves `#name` and `:value` placeholders and remembers which were used. */
class Scope {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();
  constructor(private readonly input: Expressions) {}

  name(token: string): string {
    if (!token.startsWith('#')) return token;
    const n = this.input.ExpressionAttributeNames?.[token];
    if (n === undefined)
      throw invalid(`An expression attribute name used in the document path is not defined: ${token}`);
    this.usedNames.add(token);
    return n;
  }

  value(token: string): AttributeValue {
    const v = this.input.ExpressionAttributeValues?.[token];
    if (v === undefined)
      throw invalid(`An expression attribute value used in expression is not defined: ${token}`);
    this.usedValues.add(token);
    return v;
  }

  assertAllUsed(): void {
    for (const n of Object.keys(this.input.ExpressionAttributeNames ?? {}))
      if (!this.usedNames.has(n))
        throw invalid(`Value provided in ExpressionAttributeNames unused in expressions: ${n}`);
    for (const v of Object.keys(this.input.ExpressionAttributeValues ?? {}))
      if (!this.usedValues.has(v))
        throw invalid(`Value provided in ExpressionAttributeValues unused in expressions: ${v}`);
  }
}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\(|\)|,|<=|>=|<>|=|<|>|[#:]?[A-Za-z_][A-Za-z0-9_]*)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < expression.length && (m = re.exec(expression))) tokens.push(m[1]!);
  if (expression.slice(re.lastIndex).trim()) throw invalid(`Invalid expression: ${expression}`);
  return tokens;
}

class Tokens {
  private i = 0;
  constructor(private readonly list: string[]) {}
  peek(): string | undefined {
    return this.list[this.i];
  }
  next(): string {
    const t = this.list[this.i++];
    if (t === undefined) throw invalid('Invalid expression: unexpected end');
    return t;
  }
  expect(t: string): void {
    const got = this.next();
    if (got.toUpperCase() !== t.toUpperCase()) throw invalid(`Invalid expression: expected ${t}, got ${got}`);
  }
  done(): boolean {
    return this.i >= this.list.length;
  }
}

type Operand = (item: Item) => AttributeValue | undefined;

function operand(t: Tokens, scope: Scope): Operand {
  const tok = t.next();
  if (tok.startsWith(':')) {
    const v = scope.value(tok);
    return () => v;
  }
  const name = scope.name(tok);
  return (item) => item[name];
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined, op: string): boolean {
  if (!a || !b) return false;
  const [x, y] = a.N !== undefined && b.N !== undefined ? [Number(a.N), Number(b.N)] : [a.S, b.S];
  if (x === undefined || y === undefined) return false;
  switch (op) {
    case '=':
      return x === y;
    case '<>':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
  throw invalid(`Invalid comparison ${op}`);
}

type Condition = (item: Item) => boolean;

function parseCondition(expression: string, scope: Scope): Condition {
  const t = new Tokens(tokenize(expression));
  const or = (): Condition => {
    const parts = [and()];
    while (t.peek()?.toUpperCase() === 'OR') {
      t.next();
      parts.push(and());
    }
    return (item) => parts.some((p) => p(item));
  };
  const and = (): Condition => {
    const parts = [atom()];
    while (t.peek()?.toUpperCase() === 'AND') {
      t.next();
      parts.push(atom());
    }
    return (item) => parts.every((p) => p(item));
  };
  const atom = (): Condition => {
    if (t.peek() === '(') {
      t.next();
      const inner = or();
      t.expect(')');
      return inner;
    }
    const fn = t.peek();
    if (fn === 'attribute_not_exists' || fn === 'attribute_exists') {
      t.next();
      t.expect('(');
      const name = scope.name(t.next());
      t.expect(')');
      return fn === 'attribute_exists' ? (item) => name in item : (item) => !(name in item);
    }
    const left = operand(t, scope);
    const op = t.next();
    const right = operand(t, scope);
    return (item) => compare(left(item), right(item), op);
  };
  const condition = or();
  if (!t.done()) throw invalid(`Invalid ConditionExpression: ${expression}`);
  return condition;
}

/** Applies SET / ADD / REMOVE clauses to `item`; returns the attribute names it touched. */
function applyUpdate(expression: string, scope: Scope, item: Item): string[] {
  const t = new Tokens(tokenize(expression));
  const before = structuredClone(item);
  const touched: string[] = [];
  const clauses = new Set<string>();
  while (!t.done()) {
    const clause = t.next().toUpperCase();
    if (clauses.has(clause)) throw invalid(`The ${clause} section can only be used once`);
    clauses.add(clause);
    for (;;) {
      const name = scope.name(t.next());
      touched.push(name);
      if (clause === 'SET') {
        t.expect('=');
        if (t.peek() === 'if_not_exists') {
          t.next();
          t.expect('(');
          const path = scope.name(t.next());
          t.expect(',');
          const fallback = operand(t, scope)(before)!;
          t.expect(')');
          item[name] = before[path] ?? fallback;
        } else {
          item[name] = operand(t, scope)(before)!;
        }
      } else if (clause === 'ADD') {
        const add = operand(t, scope)(before)!;
        if (add.N === undefined) throw invalid('ADD needs a number');
        item[name] = { N: String(Number(before[name]?.N ?? '0') + Number(add.N)) };
      } else if (clause === 'REMOVE') {
        delete item[name];
      } else {
        throw invalid(`Invalid UpdateExpression: ${expression}`);
      }
      if (t.peek() !== ',') break;
      t.next();
    }
  }
  return touched;
}
