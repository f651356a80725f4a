import { parseDeskConfig } from '../../shared/service-desk/config.js';

export const desk = parseDeskConfig(
  {
    local: 'support',
    domain: 'desk.localhost',
    publicUrl: 'http://127.0.0.1:1/service-desk',
    projects: [{ slug: 'acme-support', id: 1, suffix: 'help', repo: 'acme/support-tickets', reopen: true }],
  },
  'test',
);
