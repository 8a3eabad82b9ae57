// The ssl_* fields of a connection, as RabbitMQ fills them from Erlang's ssl:connection_information:
// the protocol in lower case ("tlsv1.3") and the cipher suite split into key exchange, bulk cipher and
// MAC ("ecdhe_rsa", "aes_256_gcm", "aead"; a TLS 1.3 suite has key exchange "any").
import type { SocketView } from '../context.js'

export interface TlsFields {
  ssl: boolean
  ssl_cipher: string | null
  ssl_hash: string | null
  ssl_key_exchange: string | null
  ssl_protocol: string | null
}

const PLAIN: TlsFields = {
  ssl: false,
  ssl_cipher: null,
  ssl_hash: null,
  ssl_key_exchange: null,
  ssl_protocol: null,
}

/** Ciphers whose integrity comes with the encryption (no separate MAC). */
const AEAD = /GCM|CCM|POLY1305/

export function tlsFields(s: SocketView): TlsFields {
  if (s.encrypted !== true) return PLAIN
  const protocol = s.getProtocol?.() ?? null
  const suite = s.getCipher?.()?.standardName ?? ''
  // TLS_<kx>_WITH_<cipher>_<mac> (1.2) or TLS_<cipher>_<prf> (1.3).
  const m = /^TLS_(?:(.+)_WITH_)?(.+)_([A-Z0-9]+)$/.exec(suite)
  if (!m) return { ...PLAIN, ssl: true, ssl_protocol: protocol?.toLowerCase() ?? null }
  const [, kx, cipher = '', mac = ''] = m
  return {
    ssl: true,
    ssl_cipher: cipher.toLowerCase(),
    ssl_hash: AEAD.test(cipher) ? 'aead' : mac.toLowerCase(),
    ssl_key_exchange: kx === undefined ? 'any' : kx.toLowerCase(),
    ssl_protocol: protocol?.toLowerCase() ?? null,
  }
}
