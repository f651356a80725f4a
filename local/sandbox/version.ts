/** GHES versions (`major.minor.patch`) and their comparison, for commands that exist only from a release on. */
export const DEFAULT_GHES_VERSION = '3.17.2';

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

export function isGhesVersion(value: string): boolean {
  return VERSION.test(value);
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  const pa = VERSION.exec(a);
  const pb = VERSION.exec(b);
  if (!pa || !pb)
    throw new RangeError(`not a GHES version: ${JSON.stringify(pa ? b : a)} (expected e.g. 3.17.2)`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  return 0;
}
