// mqtt:// URIs for `warren perf mqtt`: user and password percent-decoded (guest/guest when left out), the
// port defaulting to 1883. MQTT has no vhost in the URI; RabbitMQ and Warren read one from the user name
// (`vhost:user`), which passes through as it is.

export interface MqttUri {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
}

export function parseMqttUri(uri: string): MqttUri {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new Error(`not a URI: '${uri}'`)
  }
  if (url.protocol !== 'mqtt:') throw new Error(`only mqtt:// URIs are supported, got '${url.protocol}//'`)
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 1883 : Number(url.port),
    user: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' ? 'guest' : decodeURIComponent(url.password),
  }
}

/** The URI with its password hidden, for reports. */
export function redactMqttUri(uri: string): string {
  return uri.replace(/^(mqtt:\/\/[^:/@]*:)[^@]*@/, '$1***@')
}
