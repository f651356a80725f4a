import type { Deps } from '../runtime/deps.js';

export interface Notification {
  subject: string;
  text: string;
}

export interface NotifyResult {
  sent: boolean;
  to: string[];
  messageId?: string;
}

/** Sends a workflow notification from the configured sender; no recipients means nothing is sent. */
export async function sendNotification(
  to: string[],
  note: Notification,
  deps: Pick<Deps, 'config' | 'log' | 'mailer'>,
): Promise<NotifyResult> {
  if (to.length === 0) {
    deps.log.warn('no notification recipients configured; nothing sent', { subject: note.subject });
    return { sent: false, to };
  }
  const { messageId } = await deps.mailer.send({
    from: deps.config.mail.from,
    to,
    subject: note.subject,
    text: note.text,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
  });
  deps.log.info('notification sent', { subject: note.subject, recipients: to.length });
  return { sent: true, to, messageId };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${r} s` : `${r} s`;
}
