import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * Every trigger serverless.yml declares, read for the local stack so that one file wires both
 * engines: HTTP API routes (`functions.*.events[].httpApi`), EventBridge rules (resources of type
 * `AWS::Events::Rule` targeting a function, and `stepFunctions.stateMachines.*.events[].eventBridge`),
 * schedules (`schedule` events of functions and state machines) and the SES receipt rule's
 * actions. Variables: `${param:x}` from `params.default`, `${sls:stage}` is `local`,
 * `${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}` are the local engine's.
 */
type Json = Record<string, unknown>;

export interface LocalAccount {
  region: string;
  account: string;
}

export interface HttpRoute {
  /** serverless.yml function key. */
  functionKey: string;
  method: string;
  /** API Gateway route path, e.g. `/failover/approvals/{execution}`. */
  path: string;
}

/** Where an event goes: a function (invoked asynchronously) or a state machine (started). */
export type EventTarget =
  | { kind: 'function'; key: string }
  | {
      kind: 'stateMachine';
      key: string;
      input?: unknown;
      inputTransformer?: { inputPathsMap: Record<string, string>; inputTemplate: string };
    };

export interface EventRule {
  name: string;
  enabled: boolean;
  pattern: Json;
  target: EventTarget;
}

export interface ScheduleTrigger {
  name: string;
  expression: string;
  timezone: string;
  enabled: boolean;
  input: unknown;
  target: { kind: 'function' | 'stateMachine'; key: string };
}

export interface SesReceiptRule {
  functionKey: string;
  inboundPrefix: string;
}

export interface Triggers {
  http: HttpRoute[];
  rules: EventRule[];
  schedules: ScheduleTrigger[];
  ses?: SesReceiptRule;
}

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
/** A scalar as text (YAML may give numbers or booleans), else `fallback`. */
const text = (v: unknown, fallback = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;

/** `${param:x}`, `${sls:stage}`, `${strToBool(...)}` and the CloudFormation pseudo parameters. */
export function resolveVars(value: unknown, params: Json, account?: LocalAccount): unknown {
  if (typeof value === 'string') {
    const bool = /^\$\{strToBool\((.*)\)\}$/.exec(value);
    if (bool) return String(resolveVars(bool[1], params, account)).trim() === 'true';
    return value
      .replace(/\$\{(param|sls):([A-Za-z0-9_]+)\}/g, (_m, kind: string, name: string) =>
        kind === 'sls' ? (name === 'stage' ? 'local' : '') : text(params[name]),
      )
      .replace(/\$\{AWS::(Partition|Region|AccountId)\}/g, (_m, name: string) =>
        name === 'Partition'
          ? 'aws'
          : name === 'Region'
            ? (account?.region ?? 'local')
            : (account?.account ?? '000000000000'),
      );
  }
  if (Array.isArray(value)) return value.map((v) => resolveVars(v, params, account));
  if (isObject(value)) {
    // Fn::Sub with a plain string is the string with its variables resolved.
    if (Object.keys(value).length === 1 && typeof value['Fn::Sub'] === 'string')
      return resolveVars(value['Fn::Sub'], params, account);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVars(v, params, account)]));
  }
  return value;
}

/** The CloudFormation logical id the Serverless Framework gives a function's resource. */
export function lambdaLogicalId(functionKey: string): string {
  const normalized = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/** The function key of `Fn::GetAtt: [<Key>LambdaFunction, Arn]` (or `Ref`), if it names one of `keys`. */
function functionOf(target: unknown, keys: string[]): string | undefined {
  if (!isObject(target)) return undefined;
  const getAtt: unknown = target['Fn::GetAtt'];
  const logicalId: unknown = Array.isArray(getAtt) ? (getAtt as unknown[])[0] : target.Ref;
  return keys.find((k) => lambdaLogicalId(k) === logicalId);
}

export function readTriggers(root: string, account?: LocalAccount): Triggers {
  const doc = parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as Json;
  const params = ((doc.params as Json | undefined)?.default ?? {}) as Json;
  const resolve = (v: unknown): unknown => resolveVars(v, params, account);
  const functions = (doc.functions ?? {}) as Record<string, Json>;
  const keys = Object.keys(functions);
  const machines = ((doc.stepFunctions as Json | undefined)?.stateMachines ?? {}) as Record<string, Json>;
  const out: Triggers = { http: [], rules: [], schedules: [] };

  for (const [key, fn] of Object.entries(functions)) {
    let n = 0;
    for (const event of (fn.events as Json[] | undefined) ?? []) {
      if (isObject(event.httpApi)) {
        const api = resolve(event.httpApi) as Json;
        out.http.push({ functionKey: key, method: String(api.method).toUpperCase(), path: String(api.path) });
      }
      const schedule = resolve(event.schedule);
      if (schedule !== undefined) {
        n += 1;
        const s = isObject(schedule) ? schedule : { rate: schedule };
        out.schedules.push({
          name: `${key}-schedule-${n}`,
          expression: String(Array.isArray(s.rate) ? s.rate[0] : s.rate),
          timezone: text(s.timezone, 'UTC'),
          enabled: s.enabled !== false,
          input: s.input ?? {},
          target: { kind: 'function', key },
        });
      }
    }
  }

  // The deployed name of each state machine -> its key (statemachines/<key>.asl.json).
  const machineKeys = new Map<string, string>();
  for (const machine of Object.values(machines)) {
    const file = /statemachines\/([A-Za-z0-9_-]+)\.asl\.json/.exec(text(machine.definition));
    if (!file?.[1]) continue;
    const key = file[1];
    machineKeys.set(String(resolve(machine.name ?? key)), key);
    let n = 0;
    for (const event of (machine.events as Json[] | undefined) ?? []) {
      n += 1;
      const schedule = resolve(event.schedule) as Json | undefined;
      if (schedule) {
        out.schedules.push({
          name: `${key}-schedule-${n}`,
          expression: text(schedule.rate),
          timezone: text(schedule.timezone, 'UTC'),
          enabled: schedule.enabled !== false,
          input: schedule.input ?? {},
          target: { kind: 'stateMachine', key },
        });
      }
      const bridge = resolve(event.eventBridge) as Json | undefined;
      if (bridge && isObject(bridge.event)) {
        const transformer = bridge.inputTransformer as Json | undefined;
        out.rules.push({
          name: `${key}-rule-${n}`,
          enabled: bridge.enabled !== false,
          pattern: bridge.event,
          target: {
            kind: 'stateMachine',
            key,
            ...(bridge.input !== undefined ? { input: bridge.input } : {}),
            ...(transformer
              ? {
                  inputTransformer: {
                    inputPathsMap: (transformer.inputPathsMap ?? {}) as Record<string, string>,
                    inputTemplate: text(transformer.inputTemplate),
                  },
                }
              : {}),
          },
        });
      }
    }
  }

  const resources = ((doc.resources as Json | undefined)?.Resources ?? {}) as Record<string, Json>;
  for (const [name, resource] of Object.entries(resources)) {
    const props = (resource.Properties ?? {}) as Json;
    if (resource.Type === 'AWS::Events::Rule' && isObject(props.EventPattern)) {
      for (const target of (props.Targets as Json[] | undefined) ?? []) {
        const key = functionOf(target.Arn, keys);
        if (!key) continue;
        out.rules.push({
          name,
          enabled: props.State !== 'DISABLED',
          pattern: localStateMachineArns(resolve(props.EventPattern) as Json, machineKeys, account),
          target: { kind: 'function', key },
        });
      }
    }
    if (resource.Type === 'AWS::SES::ReceiptRule') {
      const actions = ((props.Rule as Json | undefined)?.Actions ?? []) as Json[];
      const s3 = actions.find((a) => isObject(a.S3Action))?.S3Action as Json | undefined;
      const lambda = actions.find((a) => isObject(a.LambdaAction))?.LambdaAction as Json | undefined;
      const key = functionOf(lambda?.FunctionArn, keys);
      if (key) out.ses = { functionKey: key, inboundPrefix: text(s3?.ObjectKeyPrefix) };
    }
  }
  return out;
}

/**
 * State machine ARNs in a rule's pattern name the deployed machine (`ghes-ops-<stage>-failover`);
 * the local engine names machines by key: rewrite them so the rule matches the local events.
 */
function localStateMachineArns(
  pattern: Json,
  machineKeys: Map<string, string>,
  account?: LocalAccount,
): Json {
  const rewrite = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^arn:aws:states:[^:]*:[^:]*:stateMachine:(.+)$/.exec(v);
      const key = m?.[1] ? machineKeys.get(m[1]) : undefined;
      return key
        ? `arn:aws:states:${account?.region ?? 'local'}:${account?.account ?? '000000000000'}:stateMachine:${key}`
        : v;
    }
    if (Array.isArray(v)) return v.map(rewrite);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x)]));
    return v;
  };
  return rewrite(pattern) as Json;
}
