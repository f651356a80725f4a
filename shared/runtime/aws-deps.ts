import { SSMClient } from '@aws-sdk/client-ssm';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { configFromEnv } from '../config.js';
import { realClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { SsmCommandRunner } from '../aws/ssm-runner.js';
import { SsmParameterStore } from '../aws/ssm-parameter-store.js';
import { SesMailer } from '../aws/ses-mailer.js';
import { SfnExecutions } from '../aws/sfn-executions.js';
import { awsAdapter } from './aws-adapters.js';
import { HttpsApplianceHttp } from '../http/https-appliance-http.js';
import type { Deps } from './deps.js';

/**
 * Production dependencies. Configuration is read and checked once; each AWS client is created on
 * first use only, so a step that never sends mail never pays for the SES client at cold start.
 */
export function awsDeps(): Deps {
  const config = configFromEnv();
  let ssm: SSMClient | undefined;
  const ssmClient = (): SSMClient => (ssm ??= new SSMClient({}));
  const lazy = <T extends object>(make: () => T): T => {
    let made: T | undefined;
    return new Proxy({} as T, {
      get: (_t, prop) => {
        made ??= make();
        const value = (made as Record<PropertyKey, unknown>)[prop];
        return typeof value === 'function' ? value.bind(made) : value;
      },
    });
  };
  const params = lazy(() => new SsmParameterStore(ssmClient()));
  return {
    config,
    clock: realClock,
    log: createLogger({ fields: { stage: config.stage } }),
    runner: lazy(
      () => new SsmCommandRunner(ssmClient(), { outputS3Bucket: process.env.GHES_OPS_COMMAND_OUTPUT_BUCKET }),
    ),
    params,
    mailer: lazy(
      () =>
        new SesMailer(new SESv2Client({}), { configurationSet: process.env.GHES_OPS_SES_CONFIGURATION_SET }),
    ),
    executions: lazy(() => new SfnExecutions(new SFNClient({}), config.stateMachines)),
    // Provided by the handlers that need them (large SDK clients stay out of the other bundles).
    dns: lazy(() => awsAdapter('dns')),
    loadBalancer: lazy(() => awsAdapter('loadBalancer')),
    instances: lazy(() => awsAdapter('instances')),
    http: lazy(
      () =>
        new HttpsApplianceHttp({
          params,
          managePasswordParameter: `${config.parameterPrefix}/manage/root-password`,
        }),
    ),
  };
}
