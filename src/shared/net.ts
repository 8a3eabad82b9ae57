// Whether a peer address is a loopback address, for users that may log in only from the local machine
// (RabbitMQ's loopback_users). It fails closed: an address that is missing, empty or not an IP (a socket
// already destroyed reports none) is not loopback, so a restricted user is refused rather than let in.
import { BlockList, isIP } from 'node:net'

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** True for 127.0.0.0/8, ::1 and IPv4-mapped ::ffff:127.x.x.x (in any spelling); false for anything else. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false
  const family = isIP(address)
  if (family === 0) return false
  // BlockList matches IPv4-mapped IPv6 addresses against the IPv4 subnet too.
  return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * An address as RabbitMQ shows it: on a dual-stack listener an IPv4 client arrives as ::ffff:a.b.c.d,
 * which RabbitMQ prints as a.b.c.d (connection names, peer_host, host).
 */
export function displayAddress(address: string | undefined): string {
  if (address === undefined) return ''
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : ''
  return isIP(v4) === 4 ? v4 : address
}
