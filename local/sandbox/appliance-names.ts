/** Default names of the sandbox appliances. Both are valid host names, so they pass `isTarget`. */
export const SANDBOX_PRIMARY = 'ghe-primary';
export const SANDBOX_REPLICA = 'ghe-replica';
