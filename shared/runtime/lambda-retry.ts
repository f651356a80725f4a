/**
 * The one retry policy for invoking a Lambda function from a state machine: the first `Retry`
 * entry of every Lambda Task state in statemachines/*.asl.json (tests/unit/lambda-retry.test.ts
 * proves it). It retries only Lambda's own transient service errors, the ones AWS's Step Functions
 * samples and "Handle Lambda service exceptions" name, with exponential backoff and full jitter so
 * throttled executions do not retry in step. A state's business retries (ApplianceUnreachable,
 * MailDeliveryFailed...) follow it. ASL is JSON, so the policy is copied into each state; change it
 * here and in every definition together.
 */
export const LAMBDA_SERVICE_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  IntervalSeconds: 2,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
} as const;

/** Task resources that invoke a Lambda function. */
export function isLambdaTask(state: Record<string, unknown>): boolean {
  if (state.Type !== 'Task') return false;
  const resource = state.Resource;
  if (typeof resource === 'string') return resource.startsWith('arn:aws:states:::lambda:invoke');
  const getAtt = (resource as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn';
}
