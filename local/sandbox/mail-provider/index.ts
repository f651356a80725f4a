/** The sandbox's simulated mail provider for the custom email domain (custom-email-verification). */
export {
  DEFAULT_CUSTOM_EMAIL,
  SandboxMailProvider,
  replaceHeader,
  withOtherToken,
  type SandboxMailProviderOptions,
} from './provider.js';
export {
  MAIL_PROVIDER_BEHAVIOURS,
  MAIL_PROVIDER_SCENARIOS,
  mailBehaviourFor,
  type MailProviderBehaviour,
  type MailProviderScenario,
} from './scenarios.js';
