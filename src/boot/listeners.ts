// Opening the AMQP, AMQPS, MQTT and STOMP listeners, with a one-line reason when the port or address cannot be had,
// and how bound addresses are written in logs ([::]:5672, as RabbitMQ logs them) and in URLs.
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { TlsOptions } from 'node:tls'
import type { AmqpServer } from '../amqp/index.js'
import type { MqttServer } from '../mqtt/index.js'
import type { StompServer } from '../stomp/index.js'
import type { WarrenConfig } from '../config/index.js'
import { fsReason, ListenError } from './start-errors.js'

export async function listenAmqp(server: AmqpServer, config: WarrenConfig): Promise<AddressInfo> {
  try {
    return await server.listen(config.amqpPort, config.bind)
  } catch (err) {
    throw listenError('AMQP', err, config.bind, config.amqpPort)
  }
}

export async function listenAmqps(
  server: AmqpServer,
  config: WarrenConfig,
): Promise<AddressInfo | undefined> {
  if (config.tlsPort === undefined) return undefined
  const options = await tlsOptions(config)
  try {
    return await server.listenTls(config.tlsPort, config.bind, options)
  } catch (err) {
    throw listenError('AMQPS', err, config.bind, config.tlsPort)
  }
}

/** The TLS options of the AMQPS listener, which the MQTT, STOMP and WebSocket TLS listeners share. */
export async function tlsOptions(config: WarrenConfig): Promise<TlsOptions> {
  const read = (path: string | undefined): Promise<Buffer> | undefined =>
    path === undefined ? undefined : readFile(path)
  let files
  try {
    files = await Promise.all([read(config.tlsCert), read(config.tlsKey), read(config.tlsCa)])
  } catch (err) {
    const path = (err as NodeJS.ErrnoException).path ?? ''
    throw new ListenError(`cannot read TLS file ${path}: ${fsReason(err)}`)
  }
  const [cert, key, ca] = files
  return {
    cert,
    key,
    ...(ca ? { ca } : {}),
    requestCert: config.tlsVerifyPeer,
    rejectUnauthorized: config.tlsVerifyPeer && config.tlsFailIfNoPeerCert,
  }
}

/** A protocol's plain TCP listener and its TLS listener, each undefined when off. */
export interface TcpAndTlsBound {
  tcp: AddressInfo | undefined
  tls: AddressInfo | undefined
}
export type MqttBound = TcpAndTlsBound
export type StompBound = TcpAndTlsBound

/** What listenTcpAndTls needs of a protocol's server (MqttServer and StompServer have it). */
interface TcpAndTlsServer {
  listen(port: number, host: string | undefined): Promise<AddressInfo>
  listenTls(port: number, host: string | undefined, options: TlsOptions): Promise<AddressInfo>
}

/**
 * The MQTT listeners. Port 0 turns MQTT off; an embedded broker on a free AMQP port gets a free MQTT
 * port unless it names one. As with Prometheus, the default port (1883) may be taken by another broker
 * on the machine: MQTT is then off (said in the log) rather than the start failing.
 */
export function listenMqtt(
  server: MqttServer,
  config: WarrenConfig,
  named: boolean,
  freePorts: boolean,
): Promise<MqttBound> {
  const ports = { tcp: config.mqttPort, tls: config.mqttTlsPort }
  return listenTcpAndTls('MQTT', server, ports, config, { named, freePorts })
}

/** The STOMP listeners (61613, and over TLS when asked for), on the same terms as MQTT's. */
export function listenStomp(
  server: StompServer,
  config: WarrenConfig,
  named: boolean,
  freePorts: boolean,
): Promise<StompBound> {
  const ports = { tcp: config.stompPort, tls: config.stompTlsPort }
  return listenTcpAndTls('STOMP', server, ports, config, { named, freePorts })
}

/**
 * A plain listener (off at port 0; free or off as the doc of listenMqtt says) and, only when its port is
 * given, a TLS listener with the AMQPS certificate, whose port must be had.
 */
async function listenTcpAndTls(
  what: string,
  server: TcpAndTlsServer,
  ports: { tcp: number; tls: number | undefined },
  config: WarrenConfig,
  { named, freePorts }: { named: boolean; freePorts: boolean },
): Promise<TcpAndTlsBound> {
  let tcp: AddressInfo | undefined
  if (ports.tcp !== 0) {
    const port = freePorts && !named ? 0 : ports.tcp
    tcp = await server.listen(port, config.bind).catch((err: unknown) => {
      if (named || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
        throw listenError(what, err, config.bind, port)
      return undefined
    })
  }
  if (ports.tls === undefined) return { tcp, tls: undefined }
  const options = await tlsOptions(config)
  try {
    // A certificate or key that is not PEM throws as the TLS server is made, before any promise.
    return { tcp, tls: await server.listenTls(ports.tls, config.bind, options) }
  } catch (err) {
    throw listenError(`${what}/TLS`, err, config.bind, ports.tls)
  }
}

/** A listen failure as one line; an unreadable certificate or key shows as a TLS error. */
export function listenError(what: string, err: unknown, bind: string | undefined, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code
  const where = `${bind ?? '[::]'}:${port}`
  if (code === 'EADDRINUSE') return new ListenError(`${what} port ${where} is already in use`)
  if (code === 'EACCES') return new ListenError(`no permission to listen on ${what} port ${where}`)
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new ListenError(`cannot listen for ${what} on ${where}: address not available on this machine`)
  if (/certificate|key|PEM|asn1/i.test((err as Error).message ?? ''))
    return new ListenError(`invalid TLS certificate or key: ${(err as Error).message}`)
  return err as Error
}

/** The bound address as RabbitMQ logs it: [::]:5672, 0.0.0.0:5672, 127.0.0.1:5672. */
export function boundAddress(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
}

/** The host clients of this machine use in URLs: a wildcard address is reached on loopback. */
export function hostForUrl(a: AddressInfo): string {
  if (a.address === '::' || a.address === '0.0.0.0') return '127.0.0.1'
  return a.family === 'IPv6' ? `[${a.address}]` : a.address
}
