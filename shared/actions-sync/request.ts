import { ConfigError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { Fields, isTarget, TARGET_HINT } from '../validate.js';
import { ActionsListInvalid, GhesApiError } from './errors.js';
import { parseActionsList, type ActionEntry } from './list.js';

/**
 * The actions-sync execution input, validated, with the list loaded and parsed. Everything here
 * is checked before any command runs.
 */
export type ListSource =
  { text: string } | { parameter: string } | { repository: string; path: string; ref?: string };

export type AuthConfig = { mode: 'pat'; tokenParameter: string } | { mode: 'app'; installationId?: number };

export interface ActionsSyncSettings {
  /** Where actions-sync runs: the primary appliance (default) or a dedicated host (id or name). */
  target: string;
  destinationUrl: string;
  auth: AuthConfig;
  /** The SecureString the host-side wrapper reads the token from (PAT, or the minted installation token). */
  tokenParameter: string;
  defaultBranchOnly: boolean;
  batchSize?: number;
  actionsAdminUser?: string;
  binaryPath: string;
  cacheRoot: string;
  /** Parallel actions-sync calls (Map MaxConcurrency). */
  concurrency: number;
  notify: string[];
  /** Why it runs: `schedule`, `manual`, `upgrade to 3.18.0`... */
  reason: string;
  /** An ops repository issue updated per run (needs the GitHub App client). */
  opsIssueRepository?: string;
  listSource: string;
}

export interface ActionsSyncRequest extends ActionsSyncSettings {
  actions: ActionEntry[];
}

/** A run carries its list through the state machine (256 KB payload limit): at most this many actions. */
const MAX_ACTIONS_PER_RUN = 500;

const URL_RE = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?\/?$/;
const PARAM = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NWO = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const PATH = /^[A-Za-z0-9._\-/]{1,200}$/;

export function actionsSyncPrefix(deps: Pick<Deps, 'config'>): string {
  return `${deps.config.parameterPrefix.replace(/\/$/, '')}/actions-sync`;
}

export async function parseActionsSyncInput(
  input: unknown,
  deps: Pick<Deps, 'config' | 'ghesApi' | 'params'>,
): Promise<ActionsSyncRequest> {
  const prefix = actionsSyncPrefix(deps);
  const f = new Fields(input, 'actions-sync input');
  f.only([
    'list',
    'destinationUrl',
    'auth',
    'target',
    'defaultBranchOnly',
    'batchSize',
    'actionsAdminUser',
    'binaryPath',
    'cacheRoot',
    'concurrency',
    'notify',
    'reason',
    'opsIssueRepository',
  ]);
  const target = f.string('target', { hint: TARGET_HINT }) ?? deps.config.appliance.primary;
  if (!isTarget(target)) f.fail('target', `must be ${TARGET_HINT}`);
  const destinationUrl = f.string('destinationUrl', { pattern: URL_RE, hint: 'https://HOST[:PORT]' });
  const defaultBranchOnly = f.boolean('defaultBranchOnly', false);
  const batch = f.has('batchSize') ? f.integer('batchSize', { min: 0, max: 10_000, default: 0 }) : undefined;
  if (batch !== undefined && batch > 0 && batch < 10)
    f.fail('batchSize', 'must be 0 or at least 10 (actions-sync)');
  const actionsAdminUser = f.string('actionsAdminUser', { pattern: LOGIN, hint: 'a GHES login' });
  const binaryPath =
    f.string('binaryPath', { pattern: /^\/[A-Za-z0-9._\-/]{1,200}$/, hint: 'an absolute path' }) ??
    '/usr/local/bin/actions-sync';
  const cacheRoot =
    f.string('cacheRoot', { pattern: /^\/[A-Za-z0-9._\-/]{1,200}$/, hint: 'an absolute path' }) ??
    '/data/user/ghes-ops/actions-sync-cache';
  const concurrency = f.integer('concurrency', { min: 1, max: 40, default: 4 });
  const notify = f.emails('notify') ?? deps.config.mail.notify;
  const reason =
    f.string('reason', { maxLength: 200, pattern: /^[^\0\r\n]*$/, hint: 'one line' }) ?? 'manual';
  const opsIssueRepository = f.string('opsIssueRepository', { pattern: NWO, hint: 'owner/repo' });

  let auth: AuthConfig = { mode: 'pat', tokenParameter: `${prefix}/token` };
  if (f.has('auth')) {
    const a = new Fields(f.raw('auth'), 'actions-sync input', 'auth');
    a.only(['mode', 'tokenParameter', 'installationId']);
    const mode = a.oneOf('mode', ['pat', 'app'] as const, 'pat');
    if (mode === 'app') {
      const id = a.has('installationId')
        ? a.integer('installationId', { min: 1, max: 2 ** 53, default: 1 })
        : undefined;
      auth = { mode: 'app', ...(id !== undefined ? { installationId: id } : {}) };
    } else {
      auth = {
        mode: 'pat',
        tokenParameter:
          a.string('tokenParameter', { pattern: PARAM, hint: 'an SSM parameter name' }) ?? `${prefix}/token`,
      };
    }
    f.problems.push(...a.problems);
  }

  let source: ListSource = { parameter: `${prefix}/list` };
  const rawList = f.raw('list');
  if (typeof rawList === 'string') {
    if (rawList.length > 1_000_000) f.fail('list', 'is longer than 1,000,000 characters');
    source = { text: rawList };
  } else if (rawList !== undefined && rawList !== null) {
    const l = new Fields(rawList, 'actions-sync input', 'list');
    l.only(['parameter', 'repository', 'path', 'ref']);
    const parameter = l.string('parameter', { pattern: PARAM, hint: 'an SSM parameter name' });
    const repository = l.string('repository', { pattern: NWO, hint: 'owner/repo' });
    if (parameter && repository) l.fail('parameter', 'give either parameter or repository + path, not both');
    if (parameter) source = { parameter };
    else if (repository) {
      const path = l.requiredString('path', { pattern: PATH, hint: 'a file path in the repository' });
      const ref = l.string('ref', { pattern: /^[A-Za-z0-9._\-/]{1,100}$/, hint: 'a branch or tag' });
      source = { repository, path, ...(ref ? { ref } : {}) };
    } else l.fail('parameter', 'is required (or repository + path, or list as text)');
    f.problems.push(...l.problems);
  }
  f.done();

  const url = (destinationUrl ?? (await deps.ghesApi.baseUrl())).replace(/\/+$/, '');
  const { text, where } = await loadList(source, url, auth, deps);
  const actions = parseActionsList(text, where);
  if (actions.length > MAX_ACTIONS_PER_RUN) {
    throw new ActionsListInvalid(
      `${where} has ${actions.length} actions; one run syncs at most ${MAX_ACTIONS_PER_RUN} (the list travels through the state machine, 256 KB). Split it into several lists, each with its own schedule.`,
      { entries: actions.length },
    );
  }
  return {
    target,
    destinationUrl: url,
    auth,
    tokenParameter: auth.mode === 'pat' ? auth.tokenParameter : `${prefix}/installation-token`,
    defaultBranchOnly,
    ...(batch !== undefined ? { batchSize: batch } : {}),
    ...(actionsAdminUser ? { actionsAdminUser } : {}),
    binaryPath,
    cacheRoot,
    concurrency,
    notify,
    reason,
    ...(opsIssueRepository ? { opsIssueRepository } : {}),
    listSource: where,
    actions,
  };
}

async function loadList(
  source: ListSource,
  url: string,
  auth: AuthConfig,
  deps: Pick<Deps, 'ghesApi' | 'params'>,
): Promise<{ text: string; where: string }> {
  if ('text' in source) return { text: source.text, where: 'the list given in the input' };
  if ('parameter' in source) {
    const text = await deps.params.get(source.parameter);
    if (text === undefined)
      throw new ConfigError(
        `The list of actions parameter ${source.parameter} does not exist. Put the list (one owner/repo per line) there: aws ssm put-parameter --type String --name ${source.parameter} --value file://actions.txt`,
      );
    return { text, where: `parameter ${source.parameter}` };
  }
  const where = `${source.repository}/${source.path}${source.ref ? `@${source.ref}` : ''}`;
  const token = auth.mode === 'pat' ? await deps.params.get(auth.tokenParameter) : undefined;
  const res = await deps.ghesApi.get(
    url,
    `/repos/${source.repository}/contents/${source.path.split('/').map(encodeURIComponent).join('/')}${source.ref ? `?ref=${encodeURIComponent(source.ref)}` : ''}`,
    token,
  );
  const body = res.body as { content?: string; encoding?: string } | undefined;
  if (res.status !== 200 || typeof body?.content !== 'string')
    throw new GhesApiError(
      `Could not read the list file ${where} from ${url} (HTTP ${res.status}). Check the repository, path and ref, and that the token can read it.`,
      { status: res.status },
    );
  return { text: Buffer.from(body.content, 'base64').toString('utf8'), where: `file ${where}` };
}
