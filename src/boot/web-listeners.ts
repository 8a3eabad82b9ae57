// The Web MQTT and Web STOMP listeners (MQTT and STOMP over WebSocket on path /ws, RabbitMQ's ports
// 15675 and 15674), on the terms of the MQTT and STOMP ones: port 0 turns one off, an embedded broker on
// a free AMQP port gets a free one unless it names one, and a default port taken by another program turns
// it off (said in the log) rather than the start failing.
import type { AddressInfo } from 'node:net'
import type { WarrenConfig } from '../config/index.js'
import type { Management } from '../management/index.js'
import type { MqttServer } from '../mqtt/index.js'
import type { Logger } from '../shared/index.js'
import type { StompServer } from '../stomp/index.js'
import { boundAddress, listenError } from './listeners.js'

export interface WebBound {
  /** Undefined when Web MQTT is off (port 0) or its default port was taken. */
  mqtt: AddressInfo | undefined
  stomp: AddressInfo | undefined
}

type WebPort = 'webMqttPort' | 'webStompPort'

export interface WebListenTerms {
  /** Whether the operator or the embedding program named the port (then it must be had). */
  named: (setting: WebPort) => boolean
  /** An embedded broker on a free AMQP port: unnamed ports are free ones too. */
  freePorts: boolean
}

/** Opens both listeners and reports them in /api/overview as RabbitMQ names them (http/web-mqtt, ...). */
export async function openWebListeners(
  servers: { mqtt: MqttServer; stomp: StompServer },
  management: Management,
  config: WarrenConfig,
  terms: WebListenTerms,
): Promise<WebBound> {
  const listen = (what: string, setting: WebPort, open: (port: number) => Promise<AddressInfo>) =>
    listenOrOff(what, config[setting], config.bind, terms.named(setting), terms.freePorts, open)
  const mqtt = await listen('Web MQTT', 'webMqttPort', (p) => servers.mqtt.listenWebSocket(p, config.bind))
  if (mqtt) management.addListener({ protocol: 'http/web-mqtt', host: mqtt.address, port: mqtt.port })
  const stomp = await listen('Web STOMP', 'webStompPort', (p) =>
    servers.stomp.listenWebSocket(p, config.bind),
  )
  if (stomp) management.addListener({ protocol: 'http/web-stomp', host: stomp.address, port: stomp.port })
  return { mqtt, stomp }
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
  const report = (what: string, a: AddressInfo | undefined, port: number, setting: string): void => {
    if (a)
      logger.info(
        { port: a.port, address: a.address },
        `${what} listener started on ${boundAddress(a)}, path /ws`,
      )
    else if (port !== 0)
      logger.warn(
        `${what} port ${port} is in use (another broker?): ${what} is off; set ${setting} to give this broker its own`,
      )
  }
  report('Web MQTT', b.mqtt, config.webMqttPort, 'web_mqtt.tcp.port (--web-mqtt-port)')
  report('Web STOMP', b.stomp, config.webStompPort, 'web_stomp.tcp.port (--web-stomp-port)')
}
