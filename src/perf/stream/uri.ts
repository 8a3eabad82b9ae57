// rabbitmq-stream:// URIs as RabbitMQ's stream clients read them: user, password and vhost are
// percent-decoded, an empty path is the default vhost '/', the port defaults to 5552.

export interface StreamUri {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly vhost: string
}

export function parseStreamUri(uri: string): StreamUri {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new Error(`not a URI: '${uri}'`)
  }
  if (url.protocol !== 'rabbitmq-stream:')
    throw new Error(`only rabbitmq-stream:// URIs are supported, got '${url.protocol}//'`)
  const path = url.pathname.startsWith('/') ? url.pathname.slice(1) : url.pathname
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 5552 : Number(url.port),
    user: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' ? 'guest' : decodeURIComponent(url.password),
    vhost: path === '' ? '/' : decodeURIComponent(path),
  }
}

/** The URI with its password hidden, for reports. */
export function redactStreamUri(uri: string): string {
  return uri.replace(/^(rabbitmq-stream:\/\/[^:/@]*:)[^@]*@/, '$1***@')
}
