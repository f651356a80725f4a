import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  canonicalCidr,
  parseAtlassianRanges,
  selectRanges,
  MAX_DOCUMENT_BYTES,
} from '../../shared/jira-prefix-list/ranges.js';
import { GUIDE_JIRA_CIDRS, sandboxRangesDocument } from '../../local/sandbox/runbook/atlassian.js';
import { ROOT } from '../helpers/local-world.js';

const fixture = readFileSync(path.join(ROOT, 'tests', 'fixtures', 'atlassian', 'ip-ranges.json'), 'utf8');

describe("Atlassian's ranges document", () => {
  it("reads the fixture and selects exactly the guide's 14 Jira egress CIDRs", () => {
    const ranges = parseAtlassianRanges(fixture);
    expect(ranges.syncToken).toBe('1710892142');
    expect(ranges.creationDate).toBe('2024-03-19T23:49:02.757233');
    const jira = selectRanges(ranges, ['jira'], ['egress']);
    expect(jira.IPv4).toEqual([...GUIDE_JIRA_CIDRS].sort());
    expect(jira.IPv4).toHaveLength(14);
    expect(jira.IPv6).toEqual(['2401:1d80:3000::/40']);
    // The ingress range and the Bitbucket-only range are left out.
    expect(selectRanges(ranges, ['jira'], ['ingress']).IPv4).toEqual(['104.192.136.0/21']);
    expect(selectRanges(ranges, ['bitbucket'], ['egress']).IPv4).toEqual(['18.205.93.0/25']);
  });

  it('serves the same selection from the sandbox document', () => {
    const a = selectRanges(parseAtlassianRanges(fixture), ['jira'], ['egress']);
    const b = selectRanges(parseAtlassianRanges(sandboxRangesDocument(false, 1)), ['jira'], ['egress']);
    expect(b).toEqual(a);
  });

  it('canonicalizes CIDRs and refuses host bits, bad masks and non-addresses', () => {
    expect(canonicalCidr('13.52.5.96/28')).toEqual({ cidr: '13.52.5.96/28', family: 'IPv4' });
    expect(canonicalCidr('13.52.5.97/28')).toBeUndefined();
    expect(canonicalCidr('13.52.5.96/33')).toBeUndefined();
    expect(canonicalCidr('13.52.5/24')).toBeUndefined();
    expect(canonicalCidr('0.0.0.0/0')).toEqual({ cidr: '0.0.0.0/0', family: 'IPv4' });
    expect(canonicalCidr('2401:1D80:3000:0:0:0:0:0/40')).toEqual({
      cidr: '2401:1d80:3000::/40',
      family: 'IPv6',
    });
    expect(canonicalCidr('2401:1d80:3000::1/40')).toBeUndefined();
    expect(canonicalCidr('2401:1d80::/129')).toBeUndefined();
    expect(canonicalCidr('1.2.3.4/28; rm -rf /')).toBeUndefined();
  });

  it.each([
    ['not JSON', '<html>503</html>', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['no syncToken', '{"creationDate":"x","items":[]}', /syncToken/],
    ['no items', '{"creationDate":"x","syncToken":1}', /items/],
    [
      'a bad CIDR',
      '{"creationDate":"x","syncToken":1,"items":[{"cidr":"1.2.3.4/40","product":["jira"],"direction":["egress"]}]}',
      /items\[0\]/,
    ],
    [
      'no product list',
      '{"creationDate":"x","syncToken":1,"items":[{"cidr":"1.2.3.0/24","product":"jira","direction":["egress"]}]}',
      /items\[0\]/,
    ],
  ])('refuses %s with IpRangesInvalid', (_what, body, message) => {
    expect(() => parseAtlassianRanges(body)).toThrow(
      expect.objectContaining({ name: 'IpRangesInvalid', message: expect.stringMatching(message) }),
    );
  });

  it('refuses an oversize document before parsing it, and parses a large valid one in linear time', () => {
    expect(() => parseAtlassianRanges(' '.repeat(MAX_DOCUMENT_BYTES + 1))).toThrow(/larger than/);
    const items = Array.from({ length: 15_000 }, (_, i) => ({
      cidr: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
      product: ['jira'],
      direction: ['egress'],
      region: ['global'],
    }));
    const ranges = parseAtlassianRanges(JSON.stringify({ creationDate: 'x', syncToken: 2, items }));
    expect(selectRanges(ranges, ['jira'], ['egress']).IPv4).toHaveLength(15_000);
  });
});
