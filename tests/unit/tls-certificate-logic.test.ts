import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAcmeStatus } from '../../shared/tls-certificate/inspect.js';
import { inWindow, parseTlsCertificateRequest } from '../../shared/tls-certificate/request.js';
import { defaultConfig } from '../../local/config.js';
import { ROOT } from '../helpers/local-world.js';

const fixture = readFileSync(
  path.join(ROOT, 'tests', 'fixtures', 'appliance', 'ghe-ssl-acme-status.txt'),
  'utf8',
);

describe('ghe-ssl-acme -s', () => {
  it("reads the seed guide's output", () => {
    expect(parseAcmeStatus(fixture, 0)).toMatchObject({
      acmeEnabled: true,
      sslEnabled: true,
      activeCa: "Let's Encrypt",
      provider: 'letsencrypt',
      exitCode: 0,
    });
  });
  it('leaves the ACME state unknown when the command failed or printed something else', () => {
    expect(parseAcmeStatus('bash: ghe-ssl-acme: command not found\n', 127).acmeEnabled).toBeUndefined();
    expect(parseAcmeStatus('ACME enabled: maybe\n', 0).acmeEnabled).toBeUndefined();
    expect(
      parseAcmeStatus(fixture.replace('ACME enabled:          true', 'ACME enabled:          false'), 0)
        .acmeEnabled,
    ).toBe(false);
  });
});

describe('tls-certificate input', () => {
  const config = defaultConfig(ROOT);
  it('takes the hostname from the settings and defaults the thresholds', () => {
    expect(parseTlsCertificateRequest({}, config)).toMatchObject({
      hostname: 'github.sandbox.localhost',
      port: 443,
      target: 'ghe-primary',
      warnDays: 30,
      renewDays: 20,
      criticalDays: 7,
      renew: true,
      recovery: false,
    });
  });
  it('refuses inconsistent thresholds, a bad window and unknown fields (such as a hostname) at once', () => {
    expect(() =>
      parseTlsCertificateRequest(
        { warnDays: 10, renewDays: 20, maintenanceWindow: '2am-5am', hostname: 'evil.example.com' },
        config,
      ),
    ).toThrow(
      /renewDays: thresholds must satisfy.*maintenanceWindow.*hostname: unknown field|hostname: unknown field.*renewDays.*maintenanceWindow/,
    );
  });
  it('says which settings are missing', () => {
    const bare = { ...config, runbook: {} };
    expect(() => parseTlsCertificateRequest({}, bare)).toThrow(/tlsHostname/);
  });
  it('knows windows that wrap midnight', () => {
    const at = (h: number): number => Date.UTC(2026, 0, 1, h, 30);
    expect(inWindow({ startHour: 2, endHour: 5 }, at(3))).toBe(true);
    expect(inWindow({ startHour: 2, endHour: 5 }, at(5))).toBe(false);
    expect(inWindow({ startHour: 22, endHour: 3 }, at(23))).toBe(true);
    expect(inWindow({ startHour: 22, endHour: 3 }, at(2))).toBe(true);
    expect(inWindow({ startHour: 22, endHour: 3 }, at(12))).toBe(false);
    expect(inWindow(undefined, at(12))).toBe(true);
  });
});
