import { describe, it, expect } from 'vitest';
import { checkUrl, classifyAddress, normalizeHost, parseCidrList, type BlockReason } from '../../src/delivery/ssrf';

describe('classifyAddress', () => {
  const table: [string, BlockReason | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', null],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', null],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['169.254.1.1', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.20.0.1', null],
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'private'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', null],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', null], // 6to4 of 192.168.1.1 / 8.8.8.8
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private'], // Teredo, client 10.0.0.1 (inverted)
    ['2001:0:a00:1::', 'private'], // Teredo, server 10.0.0.1
    ['2002:7f00:1::1', 'loopback'],
    ['64:ff9b:1::a00:1', 'reserved'], // 6to4 of 127.0.0.1; local-use NAT64
    ['::ffff:0:7f00:1', 'reserved'],
    ['5f00::1', 'reserved'], // IPv4-translated; SRv6 SIDs
    ['192.175.48.1', null], // AS112 anycast: public
    ['2001:4860:4860::8888', null],
    ['2606:4700:4700::1111', null],
    ['not-an-ip', 'invalid'],
    ['', 'invalid'],
  ];
  it.each(table)('%s -> %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('allow list', () => {
  const table: [string, string, BlockReason | null][] = [
    ['127.0.0.0/8', '127.0.0.1', null],
    ['127.0.0.0/8', '::ffff:127.0.0.1', null],
    ['127.0.0.0/8', '10.0.0.1', 'private'],
    ['127.0.0.0/8', '::1', 'loopback'],
    ['::1/128', '::1', null],
    ['::1/128', '127.0.0.1', 'loopback'],
    ['::1', '::1', null],
    ['10.0.0.5', '10.0.0.5', null],
    ['10.0.0.5', '10.0.0.6', 'private'],
    ['::ffff:10.0.0.0/104', '10.9.9.9', null],
    ['fd00::/8, 192.168.0.0/16', '192.168.3.4', null],
  ];
  it.each(table)('allow %s: %s -> %s', (allow, ip, expected) => {
    expect(classifyAddress(ip, parseCidrList(allow))).toBe(expected);
  });

  it('parses lists and rejects bad entries', () => {
    expect(parseCidrList('')).toEqual([]);
    expect(parseCidrList(' 10.0.0.0/8 , ::1 ').map((c) => c.prefix)).toEqual([8, 128]);
    for (const bad of ['10.0.0.0/33', '::/129', 'example.com', '127.1/8', '10.0.0.0/', '1.2.3.4/8/9', 'fe80::1%eth0']) {
      expect(() => parseCidrList(bad), bad).toThrow(/invalid CIDR/);
    }
  });
});

describe('normalizeHost', () => {
  const table: [string, ReturnType<typeof normalizeHost>][] = [
    ['2130706433', { kind: 'ip', ip: '127.0.0.1' }],
    ['0177.0.0.1', { kind: 'ip', ip: '127.0.0.1' }],
    ['0x7f.0.0.1', { kind: 'ip', ip: '127.0.0.1' }],
    ['0x7f000001', { kind: 'ip', ip: '127.0.0.1' }],
    ['127.1', { kind: 'ip', ip: '127.0.0.1' }],
    ['10.0.258', { kind: 'ip', ip: '10.0.1.2' }],
    ['127.0.0.1.', { kind: 'ip', ip: '127.0.0.1' }],
    ['[::1]', { kind: 'ip', ip: '::1' }],
    ['[::ffff:127.0.0.1]', { kind: 'ip', ip: '::ffff:7f00:1' }],
    ['[::127.0.0.1]', { kind: 'ip', ip: '::7f00:1' }],
    ['example.com', { kind: 'name', name: 'example.com' }],
    ['Example.COM.', { kind: 'name', name: 'example.com' }],
    ['1.2.3.example', { kind: 'name', name: '1.2.3.example' }],
    ['%31%32%37.0.0.1', { kind: 'ip', ip: '127.0.0.1' }],
    ['::1', { kind: 'ip', ip: '::1' }],
  ];
  it.each(table)('%s', (host, expected) => {
    expect(normalizeHost(host)).toEqual(expected);
  });

  it.each([
    '256.0.0.1',
    '1.2.3.4.5',
    '08.0.0.1',
    '4294967296',
    '[::1',
    '[1:2]',
    'a.b.0x',
    '',
    '127.0.0.1:80',
    'a@127.0.0.1',
    '127.0.0.1/x',
    'a?b',
    '[fe80::1%eth0]',
  ])('rejects %s', (host) => {
    expect(() => normalizeHost(host)).toThrow();
  });

  it('agrees with WHATWG URL on numeric hosts', () => {
    for (const h of ['2130706433', '0177.0.0.1', '0x7f.0.0.1', '0x7f000001', '127.1', '10.0.258', '0x.0.0.1']) {
      expect(normalizeHost(h)).toEqual({ kind: 'ip', ip: new URL(`http://${h}/`).hostname });
    }
  });
});

describe('checkUrl', () => {
  const table: [string, boolean, string | null][] = [
    ['https://example.com/hook', true, null],
    ['http://example.com/hook', false, null],
    ['ftp://example.com/', false, 'unsupported_scheme'],
    ['file:///etc/passwd', false, 'unsupported_scheme'],
    ['https://user:pw@example.com/', false, 'credentials_in_url'],
    ['https://user@example.com/', false, 'credentials_in_url'],
    [`https://example.com/${'a'.repeat(2048)}`, false, 'url_too_long'],
    ['not a url', false, 'invalid_url'],
    ['http://example.com/', true, 'https_required'],
    ['http://2130706433/', false, 'loopback'],
    ['http://0x7f.1/', false, 'loopback'],
    ['http://[::ffff:127.0.0.1]/', false, 'loopback'],
    ['http://[::1]:8080/', false, 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', false, 'metadata'],
    ['http://localhost/', false, 'loopback'],
    ['http://LOCALHOST./', false, 'loopback'],
    ['http://api.localhost:3000/', false, 'loopback'],
    ['http://8.8.8.8/', false, null],
    ['https://[2001:4860:4860::8888]/', true, null],
  ];
  it.each(table)('%s (requireHttps=%s) -> %s', (url, requireHttps, reason) => {
    const r = checkUrl(url, { allow: [], requireHttps });
    if (reason === null) expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, reason });
  });

  it('allows localhost when loopback is allow-listed', () => {
    const allow = parseCidrList('127.0.0.0/8');
    expect(checkUrl('http://localhost:3000/', { allow, requireHttps: false }).ok).toBe(true);
    expect(checkUrl('http://127.0.0.1:3000/', { allow, requireHttps: false }).ok).toBe(true);
    expect(checkUrl('http://10.0.0.1/', { allow, requireHttps: false })).toMatchObject({ ok: false, reason: 'private' });
  });
});
