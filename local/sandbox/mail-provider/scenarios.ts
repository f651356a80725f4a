/**
 * The sandbox mail provider's behaviours, one per scenario (the sandbox's SCENARIOS includes them;
 * the appliance treats them like `healthy`). The custom-email-verification workflow's outcome
 * follows from each.
 */
export const MAIL_PROVIDER_SCENARIOS = {
  'mail-forwards':
    'The custom mail provider forwards support+verify@acme.localhost to the service desk, From preserved: the verification succeeds.',
  'mail-rewrites-from':
    'The provider forwards but rewrites From to forwarder@acme.localhost: the verification fails with incorrect_from.',
  'mail-wrong-target':
    "The provider forwards to another service desk address than the project's: incorrect_forwarding_target.",
  'mail-forwards-nothing':
    'The provider accepts the verification mail and never forwards it: mail_not_received_within_timeframe after 30 minutes.',
  'mail-rejects-credentials':
    "The provider's SMTP server refuses the username and password (535): invalid_credentials.",
  'mail-read-timeout':
    "The provider's SMTP port accepts the connection and never answers: read_timeout after 7 seconds.",
  'mail-connection-refused': "Nothing listens on the provider's SMTP port: smtp_host_issue.",
  'mail-wrong-token': 'The provider forwards an older verification mail (another token): incorrect_token.',
  'mail-forged-from':
    'The forward keeps From but fails SPF and DMARC at the desk: passes normally, unauthenticated_from with strict.',
} as const satisfies Record<`mail-${string}`, string>;

export type MailProviderScenario = keyof typeof MAIL_PROVIDER_SCENARIOS;

/** What the simulated provider does: the scenario name without `mail-`. */
export type MailProviderBehaviour = MailProviderScenario extends `mail-${infer B}` ? B : never;

export const MAIL_PROVIDER_BEHAVIOURS = Object.keys(MAIL_PROVIDER_SCENARIOS).map((s) =>
  s.slice('mail-'.length),
) as MailProviderBehaviour[];

/**
 * The provider's behaviour for a sandbox scenario spec (`mail-rewrites-from`, or several joined
 * with `+` such as `slow+mail-wrong-token`): the first `mail-*` scenario in it; `forwards` when it
 * names none (`healthy` or any other scenario).
 */
export function mailBehaviourFor(scenario: string | undefined): MailProviderBehaviour {
  for (const name of (scenario ?? '').split('+').map((s) => s.trim())) {
    if (Object.hasOwn(MAIL_PROVIDER_SCENARIOS, name))
      return name.slice('mail-'.length) as MailProviderBehaviour;
  }
  return 'forwards';
}
