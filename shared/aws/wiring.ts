import type { SSMClient } from '@aws-sdk/client-ssm';
import { realClock } from '../clock.js';
import { ConfigError } from '../errors.js';
import type { AdapterFactory } from '../runtime/aws-adapters.js';

/**
 * Factories for the AWS adapters, one export each, for functions to declare in their wiring. Every
 * SDK client is imported dynamically: esbuild puts it in a separate chunk that loads on first use,
 * and a function bundles only the factories (and so the clients) it declares.
 */
let ssm: Promise<SSMClient> | undefined;
const ssmClient = (): Promise<SSMClient> =>
  (ssm ??= import('@aws-sdk/client-ssm').then((m) => new m.SSMClient({})));

export const ssmRunner: AdapterFactory<'runner'> = async () => {
  const [{ SsmCommandRunner }, client] = await Promise.all([import('./ssm-runner.js'), ssmClient()]);
  return new SsmCommandRunner(client, { outputS3Bucket: process.env.GHES_OPS_COMMAND_OUTPUT_BUCKET });
};

export const ssmParameters: AdapterFactory<'params'> = async () => {
  const [{ SsmParameterStore }, client] = await Promise.all([
    import('./ssm-parameter-store.js'),
    ssmClient(),
  ]);
  return new SsmParameterStore(client, { keyId: process.env.GHES_OPS_KMS_KEY_ID?.trim() || undefined });
};

export const sesMailer: AdapterFactory<'mailer'> = async () => {
  const [{ SesMailer }, { SESv2Client }] = await Promise.all([
    import('./ses-mailer.js'),
    import('@aws-sdk/client-sesv2'),
  ]);
  return new SesMailer(new SESv2Client({}), { configurationSet: process.env.GHES_OPS_SES_CONFIGURATION_SET });
};

export const sfnExecutions: AdapterFactory<'executions'> = async ({ config }) => {
  const [{ SfnExecutions }, { SFNClient }] = await Promise.all([
    import('./sfn-executions.js'),
    import('@aws-sdk/client-sfn'),
  ]);
  return new SfnExecutions(new SFNClient({}), config.stateMachines);
};

export const route53Dns: AdapterFactory<'dns'> = async () => {
  const [{ Route53Dns, ROUTE53_REGION }, { Route53Client }] = await Promise.all([
    import('./route53-dns.js'),
    import('@aws-sdk/client-route-53'),
  ]);
  return new Route53Dns(new Route53Client({ region: ROUTE53_REGION }));
};

export const elbv2LoadBalancer: AdapterFactory<'loadBalancer'> = async () => {
  const [{ Elbv2LoadBalancer }, { ElasticLoadBalancingV2Client }] = await Promise.all([
    import('./elbv2-load-balancer.js'),
    import('@aws-sdk/client-elastic-load-balancing-v2'),
  ]);
  return new Elbv2LoadBalancer(new ElasticLoadBalancingV2Client({}));
};

export const ec2Instances: AdapterFactory<'instances'> = async () => {
  const { Ec2Instances } = await import('./ec2-instances.js');
  return new Ec2Instances();
};

export const httpsAppliances: AdapterFactory<'http'> = async ({ config, adapter }) => {
  const { HttpsApplianceHttp } = await import('../http/https-appliance-http.js');
  return new HttpsApplianceHttp({
    params: adapter('params'),
    managePasswordParameter: `${config.parameterPrefix}/manage/root-password`,
  });
};

/** The GHES REST API over HTTPS; the base URL is the `GHES_OPS_GHES_URL` environment variable. */
export const fetchGhesApi: AdapterFactory<'ghesApi'> = async () => {
  const [{ FetchGhesApi }, { ConfigError }] = await Promise.all([
    import('../ghes/fetch-ghes-api.js'),
    import('../errors.js'),
  ]);
  return new FetchGhesApi({
    baseUrl: async () => {
      const url = process.env.GHES_OPS_GHES_URL?.trim();
      if (!url)
        throw new ConfigError(
          'Environment variable GHES_OPS_GHES_URL (the GHES URL, e.g. https://ghes.example.com) is not set. Set the ghesUrl param in serverless.yml and redeploy, or pass destinationUrl in the input.',
        );
      return url;
    },
  });
};

/** Raw received mail from the SES receipt rule's S3 bucket. */
export const s3RawMail: AdapterFactory<'rawMail'> = async () => {
  const [{ S3RawMailStore }, { S3Client }] = await Promise.all([
    import('./s3-raw-mail.js'),
    import('@aws-sdk/client-s3'),
  ]);
  return new S3RawMailStore(new S3Client({}));
};

/**
 * Service desk tickets over the GHES REST API (`GHES_OPS_GHES_URL` + `/api/v3`), as the GitHub App's
 * installation (the support bot) when an app is registered; otherwise with the token in the
 * SecureString `<prefix>/service-desk/github-token`.
 */
export const ghesTickets: AdapterFactory<'tickets'> = async ({ config, adapter }) => {
  const { restTickets } = await import('../service-desk/ticket-token.js');
  return restTickets({ config, params: adapter('params') });
};

/**
 * The record store: one DynamoDB table (`RecordsTable`, named by GHES_OPS_RECORDS_TABLE) with
 * conditional writes and TTL; the service desk's records and the GitHub App's setup states and
 * webhook deliveries. Its actions: dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the table.
 */
export const dynamoRecords: AdapterFactory<'records'> = async () => {
  const table = process.env.GHES_OPS_RECORDS_TABLE;
  if (!table)
    throw new ConfigError(
      'Environment variable GHES_OPS_RECORDS_TABLE is not set (the DynamoDB table of the service desk records; serverless.yml sets it).',
    );
  const [{ DynamoRecordStore }, { DynamoDBClient }] = await Promise.all([
    import('./dynamodb-record-store.js'),
    import('@aws-sdk/client-dynamodb'),
  ]);
  return new DynamoRecordStore(new DynamoDBClient({}), table, realClock);
};

/**
 * Mail through the customer's own SMTP server (custom email verification): nodemailer over the
 * network, no AWS SDK and no IAM action (the function needs outbound network access only).
 */
export const nodemailerSmtp: AdapterFactory<'smtpSubmission'> = async () => {
  const { NodemailerSmtpSubmission } = await import('../mail/nodemailer-smtp-submission.js');
  return new NodemailerSmtpSubmission();
};

/** EC2 managed prefix lists (jira-prefix-list): its actions are limited to the configured lists. */
export const ec2PrefixLists: AdapterFactory<'prefixLists'> = async () => {
  const { Ec2PrefixLists } = await import('./ec2-prefix-lists.js');
  return new Ec2PrefixLists();
};

/** Atlassian's published ranges over HTTPS (outbound network access, no IAM action). */
export const fetchIpRanges: AdapterFactory<'ipRanges'> = async () => {
  const { FetchIpRanges } = await import('../network/fetch-ip-ranges.js');
  return new FetchIpRanges();
};

/** A TLS handshake to GHES (network access to the appliance, no IAM action). */
export const nodeTlsProbe: AdapterFactory<'tlsProbe'> = async () => {
  const { NodeTlsProbe } = await import('../tls/node-tls-probe.js');
  return new NodeTlsProbe();
};

/** EBS snapshots of the backup volume (backup-health): its actions are limited to that volume. */
export const ec2VolumeSnapshots: AdapterFactory<'volumeSnapshots'> = async () => {
  const { Ec2VolumeSnapshots } = await import('./ec2-volume-snapshots.js');
  return new Ec2VolumeSnapshots();
};
