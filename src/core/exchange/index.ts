import { CommandInvalidError } from '../../shared/index.js'
import { DirectExchange } from './direct.js'
import type { Exchange, ExchangeOptions } from './exchange.js'
import { FanoutExchange } from './fanout.js'
import { HeadersExchange } from './headers.js'
import { TopicExchange } from './topic.js'

export { Exchange, type Binding, type Destination, type ExchangeOptions, type RouteSink } from './exchange.js'
export { DirectExchange, FanoutExchange, HeadersExchange, TopicExchange }
export { headersMatch, validateHeadersBindingArgs } from './headers.js'
export { topicWords } from './topic.js'

const TYPES: Record<string, new (opts: ExchangeOptions) => Exchange> = {
  direct: DirectExchange,
  fanout: FanoutExchange,
  topic: TopicExchange,
  headers: HeadersExchange,
}

export const EXCHANGE_TYPES: readonly string[] = Object.keys(TYPES)

export function createExchange(type: string, opts: ExchangeOptions): Exchange {
  const Ctor = TYPES[type]
  if (!Ctor) throw new CommandInvalidError(`unknown exchange type '${type}'`)
  return new Ctor(opts)
}
