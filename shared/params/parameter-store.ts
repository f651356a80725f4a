/**
 * Parameters and secrets: SSM Parameter Store in AWS (secrets as SecureString), a local JSON file
 * on a workstation. Names are SSM-style paths such as `/ghes-ops/app/private-key`.
 */
export interface PutOptions {
  /** Store encrypted (SSM SecureString). Secrets must set this. */
  secure: boolean;
  /** Replace an existing value. With `false`, an existing name throws `ParameterAlreadyExists`. */
  overwrite: boolean;
}

export interface ParameterStore {
  /** The value, or `undefined` when the parameter does not exist. */
  get(name: string): Promise<string | undefined>;
  put(name: string, value: string, opts: PutOptions): Promise<void>;
  /** Deleting a missing parameter is not an error. */
  delete(name: string): Promise<void>;
}
