import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists as SsmParameterAlreadyExists,
  ParameterNotFound as SsmParameterNotFound,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ParameterAlreadyExists } from '../../shared/errors.js';
import { SsmParameterStore } from '../../shared/aws/ssm-parameter-store.js';
import { failure } from '../helpers/failure.js';

const ssm = mockClient(SSMClient);
const meta = { $metadata: {} };
const NAME = '/ghes-ops/app/private-key';
const SECRET = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';

beforeEach(() => {
  ssm.reset();
});

describe('SsmParameterStore', () => {
  it('reads parameters decrypted', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Type: 'SecureString', Value: SECRET } });
    const store = new SsmParameterStore(new SSMClient({}));
    expect(await store.get(NAME)).toBe(SECRET);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: NAME,
      WithDecryption: true,
    });
  });

  it('returns undefined for a missing parameter', async () => {
    ssm.on(GetParameterCommand).rejects(new SsmParameterNotFound({ message: '', ...meta }));
    expect(await new SsmParameterStore(new SSMClient({})).get('/ghes-ops/missing')).toBeUndefined();
  });

  it('passes other read errors on with their name and the parameter name', async () => {
    ssm.on(GetParameterCommand).rejects(
      new SSMServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized',
        ...meta,
      }),
    );
    const err = await failure(new SsmParameterStore(new SSMClient({})).get(NAME));
    expect(err.name).toBe('AccessDeniedException');
    expect(err.message).toBe(
      `Reading parameter ${NAME} from SSM failed: AccessDeniedException: not authorized`,
    );
  });

  it('writes secrets as SecureString and plain values as String', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const store = new SsmParameterStore(new SSMClient({}));
    await store.put(NAME, SECRET, { secure: true, overwrite: true });
    await store.put('/ghes-ops/lock/failover', 'exec-1', { secure: false, overwrite: false });
    expect(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: NAME, Value: SECRET, Type: 'SecureString', Overwrite: true },
      { Name: '/ghes-ops/lock/failover', Value: 'exec-1', Type: 'String', Overwrite: false },
    ]);
  });

  it("encrypts SecureStrings with the deployment's KMS key when one is configured (never plain Strings)", async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const key = 'arn:aws:kms:ap-northeast-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const store = new SsmParameterStore(new SSMClient({}), { keyId: key });
    await store.put(NAME, SECRET, { secure: true, overwrite: true });
    await store.put('/ghes-ops/lock/failover', 'exec-1', { secure: false, overwrite: false });
    expect(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: NAME, Value: SECRET, Type: 'SecureString', KeyId: key, Overwrite: true },
      { Name: '/ghes-ops/lock/failover', Value: 'exec-1', Type: 'String', Overwrite: false },
    ]);
  });

  it('maps ParameterAlreadyExists to our error (the lock is held)', async () => {
    ssm.on(PutParameterCommand).rejects(new SsmParameterAlreadyExists({ message: 'exists', ...meta }));
    const err = await failure(
      new SsmParameterStore(new SSMClient({})).put('/ghes-ops/lock/failover', 'exec-2', {
        secure: false,
        overwrite: false,
      }),
    );
    expect(err).toBeInstanceOf(ParameterAlreadyExists);
    expect(err.name).toBe('ParameterAlreadyExists');
    expect(err.message).toContain('/ghes-ops/lock/failover already exists');
    expect(err.message).not.toContain('exec-2');
  });

  it('never lets a value reach an error message', async () => {
    ssm.on(PutParameterCommand).rejects(
      new SSMServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: `1 validation error detected: Value '${SECRET}' at 'value' failed to satisfy constraint`,
        ...meta,
      }),
    );
    const err = await failure(
      new SsmParameterStore(new SSMClient({})).put(NAME, SECRET, { secure: true, overwrite: true }),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toContain(NAME);
    expect(err.message).not.toContain('MIIEowIBAAKCAQEA');

    ssm.reset();
    ssm.on(PutParameterCommand).rejects(
      new SSMServiceException({
        name: 'InternalServerError',
        $fault: 'server',
        message: `echo ${SECRET}`,
        ...meta,
      }),
    );
    const err2 = await failure(
      new SsmParameterStore(new SSMClient({})).put(NAME, SECRET, { secure: true, overwrite: true }),
    );
    expect(err2.message).not.toContain('MIIEowIBAAKCAQEA');
    expect(err2.message).toContain('****');
  });

  it('deletes, ignoring a missing parameter', async () => {
    ssm
      .on(DeleteParameterCommand)
      .resolvesOnce({})
      .rejects(new SsmParameterNotFound({ message: '', ...meta }));
    const store = new SsmParameterStore(new SSMClient({}));
    await store.delete('/ghes-ops/lock/failover');
    await store.delete('/ghes-ops/lock/failover');
    expect(ssm).toHaveReceivedCommandTimes(DeleteParameterCommand, 2);
    expect(ssm).toHaveReceivedNthSpecificCommandWith(1, DeleteParameterCommand, {
      Name: '/ghes-ops/lock/failover',
    });
    expect(ssm).toHaveReceivedNthSpecificCommandWith(2, DeleteParameterCommand, {
      Name: '/ghes-ops/lock/failover',
    });
  });
});
