import type { Logger } from '../../logger.js';
import type { OutgoingMail } from '../../mail/mailer.js';
import type { SmtpSubmission } from '../../mail/smtp-submission.js';
import type { CustomSender } from '../desk.js';
import type { CustomEmailStore } from './settings.js';

/**
 * The project's own address for the service desk's outgoing mail: only when it is enabled, which
 * `CustomEmailStore.enable` allows only after a verification finished (and `set` disables again).
 * Mail then goes From the custom address through the customer's SMTP server; the Reply-To keeps
 * the desk's reply key address, so answers come straight back to the desk.
 */
export function customEmailSender(
  store: CustomEmailStore,
  smtp: SmtpSubmission,
  log: Pick<Logger, 'warn'>,
): CustomSender {
  return {
    async forProject(project) {
      let found;
      try {
        const settings = await store.settings(project);
        if (!settings?.enabled) return undefined;
        const state = await store.state(project);
        if (state?.state !== 'finished') return undefined;
        found = await store.server(project);
      } catch (e) {
        log.warn('service desk: custom email settings unusable, sending from the desk address', {
          project,
          error: (e as Error).message,
        });
        return undefined;
      }
      const { settings, server } = found;
      return {
        address: settings.address,
        send: async (mail: OutgoingMail) => {
          await smtp.send(server, mail);
        },
      };
    },
  };
}
