/**
 * Outbound requests to configured URLs (webhooks, Slack, Teams, SMTP) must not become a way into the
 * cluster's own network (SSRF): the host is resolved here and every address it resolves to is checked;
 * the connection then goes to the checked address itself, so a DNS answer that changes between check and
 * connect (rebinding) cannot slip through. TIDE_NOTIFY_ALLOW_PRIVATE=true lifts the check (a receiver on
 * the private network, or tests).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { TideError } from '../errors/tide-error.ts';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT, also used by cluster networks
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local (includes fd00:ec2::254, the EC2 IPv6 metadata address)
  ['fe80::', 10],
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

/** Whether a connection to this address is refused (IPv4-mapped IPv6 addresses are checked as IPv4). */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ResolvedHost {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (host: string) => Promise<readonly ResolvedHost[]>;

const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

/**
 * The address to connect to: the first the host resolves to, after every one was checked (a host with
 * one private address among public ones is refused: which one a client would use is not ours to pick).
 */
export async function resolveSafely(
  host: string,
  options: { allowPrivate: boolean; resolve?: Resolver },
): Promise<ResolvedHost> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  const resolved: readonly ResolvedHost[] =
    family !== 0
      ? [{ address: bare, family: family === 6 ? 6 : 4 }]
      : await (options.resolve ?? systemResolver)(bare).catch((error: unknown) => {
          throw new TideError('unreachable', `cannot resolve ${bare}: ${(error as Error).message}`);
        });
  if (resolved.length === 0) throw new TideError('unreachable', `cannot resolve ${bare}: no address`);
  if (!options.allowPrivate) {
    const forbidden = resolved.find((entry) => isForbiddenAddress(entry.address));
    if (forbidden)
      throw new TideError(
        'forbidden',
        `refused: ${bare} resolves to ${forbidden.address}, a loopback, private, link-local or metadata address (TIDE_NOTIFY_ALLOW_PRIVATE=true allows it)`,
      );
  }
  return resolved[0]!;
}
