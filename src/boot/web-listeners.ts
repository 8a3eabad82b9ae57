// The Web MQTT and Web STOMP listeners (MQTT and STOMP over WebSocket on path /ws, RabbitMQ's ports
// 15675 and 15674), on the terms of the MQTT and STOMP ones: port 0 turns one off, an embedded broker on
// a free AMQP port gets a free one unless it names one, and a default port taken by another program turns
// it off (said in the log) rather than the start failing. Their TLS twins (wss://) open only when a port
// is given, with the AMQPS certificate, as the MQTT TLS listener does.
import type { AddressInfo } from 'node:net'
import type { TlsOptions } from 'node:tls'
import type { WarrenConfig } from '../config/index.js'
import type { Management } from '../management/index.js'
import type { MqttServer } from '../mqtt/index.js'
import type { Logger } from '../shared/index.js'
import type { StompServer } from '../stomp/index.js'
import { boundAddress, listenError, tlsOptions } from './listeners.js'

export interface WebBound {
  /** Undefined when Web MQTT is off (port 0) or its default port was taken. */
  mqtt: AddressInfo | undefined
  stomp: AddressInfo | undefined
  /** The wss:// listeners, when their ports were given. */
  mqttTls: AddressInfo | undefined
  stompTls: AddressInfo | undefined
}

type WebPort = 'webMqttPort' | 'webStompPort'

export interface WebListenTerms {
  /** Whether the operator or the embedding program named the port (then it must be had). */
  named: (setting: WebPort) => boolean
  /** An embedded broker on a free AMQP port: unnamed ports are free ones too. */
  freePorts: boolean
}

type Listen = (port: number, host: string | undefined, tls?: TlsOptions) => Promise<AddressInfo>

/** Opens the listeners and reports them in /api/overview as RabbitMQ names them (http/web-mqtt, ...). */
export async function openWebListeners(
  servers: { mqtt: MqttServer; stomp: StompServer },
  management: Management,
  config: WarrenConfig,
  terms: WebListenTerms,
): Promise<WebBound> {
  const mqttListen: Listen = (port, host, tls) => servers.mqtt.listenWebSocket(port, host, tls)
  const stompListen: Listen = (port, host, tls) => servers.stomp.listenWebSocket(port, host, tls)
  const plain = async (what: string, setting: WebPort, listen: Listen, protocol: string) => {
    const a = await listenOrOff(
      what,
      config[setting],
      config.bind,
      terms.named(setting),
      terms.freePorts,
      (p) => listen(p, config.bind),
    )
    if (a) management.addListener({ protocol, host: a.address, port: a.port })
    return a
  }
  const secure = async (what: string, port: number | undefined, listen: Listen, protocol: string) => {
    if (port === undefined) return undefined
    const options = await tlsOptions(config)
    const a = await listen(port, config.bind, options).catch((err: unknown) => {
      throw listenError(what, err, config.bind, port)
    })
    management.addListener({ protocol, host: a.address, port: a.port })
    return a
  }
  return {
    mqtt: await plain('Web MQTT', 'webMqttPort', mqttListen, 'http/web-mqtt'),
    stomp: await plain('Web STOMP', 'webStompPort', stompListen, 'http/web-stomp'),
    mqttTls: await secure('Web MQTT/TLS', config.webMqttTlsPort, mqttListen, 'https/web-mqtt'),
    stompTls: await secure('Web STOMP/TLS', config.webStompTlsPort, stompListen, 'https/web-stomp'),
  }
}

async function listenOrOff(
  what: string,
  configured: number,
  bind: string | undefined,
  named: boolean,
  freePorts: boolean,
  open: (port: number) => Promise<AddressInfo>,
): Promise<AddressInfo | undefined> {
  if (configured === 0) return undefined
  const port = freePorts && !named ? 0 : configured
  return open(port).catch((err: unknown) => {
    if (named || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
      throw listenError(what, err, bind, port)
    return undefined
  })
}

export function logWebStarted(logger: Logger, config: WarrenConfig, b: WebBound): void {
  const started = (what: string, a: AddressInfo): void =>
    logger.info(
      { port: a.port, address: a.address },
      `${what} listener started on ${boundAddress(a)}, path /ws`,
    )
  const report = (what: string, a: AddressInfo | undefined, port: number, setting: string): void => {
    if (a) started(what, a)
    else if (port !== 0)
      logger.warn(
        `${what} port ${port} is in use (another broker?): ${what} is off; set ${setting} to give this broker its own`,
      )
  }
  report('Web MQTT', b.mqtt, config.webMqttPort, 'web_mqtt.tcp.port (--web-mqtt-port)')
  if (b.mqttTls) started('Web MQTT over TLS', b.mqttTls)
  report('Web STOMP', b.stomp, config.webStompPort, 'web_stomp.tcp.port (--web-stomp-port)')
  if (b.stompTls) started('Web STOMP over TLS', b.stompTls)
}
