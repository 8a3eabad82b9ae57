// amqp:// URIs as RabbitMQ's clients read them: user, password and vhost are percent-decoded, an empty
// path means the default vhost '/', and '%2f' spells '/' explicitly.

export interface AmqpUri {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly vhost: string
}

export function parseAmqpUri(uri: string): AmqpUri {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new Error(`not a URI: '${uri}'`)
  }
  if (url.protocol !== 'amqp:') throw new Error(`only amqp:// URIs are supported, got '${url.protocol}//'`)
  const path = url.pathname.startsWith('/') ? url.pathname.slice(1) : url.pathname
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 5672 : Number(url.port),
    user: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' ? 'guest' : decodeURIComponent(url.password),
    vhost: path === '' ? '/' : decodeURIComponent(path),
  }
}

/** The URI with its password hidden, for reports. */
export function redactUri(uri: string): string {
  return uri.replace(/^(amqp:\/\/[^:/@]*:)[^@]*@/, '$1***@')
}
