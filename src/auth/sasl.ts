// SASL responses of the mechanisms Warren offers. PLAIN is "authzid NUL authcid NUL password";
// AMQPLAIN is a field table without its length prefix holding LOGIN and PASSWORD.

export const MECHANISMS = ['PLAIN', 'AMQPLAIN'] as const
export type Mechanism = (typeof MECHANISMS)[number]

export interface Credentials {
  username: string
  password: string
}

export function parsePlain(response: Buffer): Credentials | undefined {
  const first = response.indexOf(0)
  const second = first < 0 ? -1 : response.indexOf(0, first + 1)
  if (second < 0) return undefined
  return {
    username: response.toString('utf8', first + 1, second),
    password: response.toString('utf8', second + 1),
  }
}

/** AMQPLAIN: a table body (no length) of shortstr keys with type-tagged values; only 'S' is expected. */
export function parseAmqplain(response: Buffer): Credentials | undefined {
  const values = new Map<string, string>()
  let at = 0
  while (at < response.length) {
    const keyLen = response[at] as number
    const key = response.toString('utf8', at + 1, at + 1 + keyLen)
    at += 1 + keyLen
    if (response[at] !== 0x53 || at + 5 > response.length) return undefined
    const len = response.readUInt32BE(at + 1)
    if (at + 5 + len > response.length) return undefined
    values.set(key, response.toString('utf8', at + 5, at + 5 + len))
    at += 5 + len
  }
  const username = values.get('LOGIN')
  const password = values.get('PASSWORD')
  return username === undefined || password === undefined ? undefined : { username, password }
}
