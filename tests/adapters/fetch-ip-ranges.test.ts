import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchIpRanges } from '../../shared/network/fetch-ip-ranges.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"syncToken":1}');
    if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
    if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 800).unref();
    res.writeHead(503).end('Service Unavailable');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('FetchIpRanges (loopback HTTP)', () => {
  it('returns the body of a 200', async () => {
    await expect(new FetchIpRanges().fetch(`${base}/ok`)).resolves.toEqual({
      url: `${base}/ok`,
      status: 200,
      body: '{"syncToken":1}',
    });
  });
  it.each([
    ['an HTTP error', '/down', /HTTP 503/],
    ['a redirect', '/redirect', /failed/],
    ['no answer in time', '/slow', /no answer in time/],
  ])('fails with IpRangesFetchFailed on %s', async (_what, path, message) => {
    await expect(new FetchIpRanges({ timeoutMs: 300 }).fetch(`${base}${path}`)).rejects.toMatchObject({
      name: 'IpRangesFetchFailed',
      message: expect.stringMatching(message),
    });
  });
  it('fails with IpRangesFetchFailed when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(new FetchIpRanges().fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      name: 'IpRangesFetchFailed',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
