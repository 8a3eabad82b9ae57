// Topic exchange: binding keys are dot-separated words where `*` matches one word and `#` zero or more.
// Bindings live in a trie of words; matches are cached per routing key (most traffic repeats a few keys)
// and the cache is dropped whenever a binding changes.
import type { Message } from '../message.js'
import { type Binding, type Destination, Exchange, removeFrom, type RouteSink } from './exchange.js'

const CACHE_LIMIT = 4096

interface TrieNode {
  children: Map<string, TrieNode>
  bindings: Binding[]
}

const newNode = (): TrieNode => ({ children: new Map(), bindings: [] })

/** RabbitMQ splits '' into no words at all, and 'a..b' into 'a', '', 'b'. */
export function topicWords(key: string): string[] {
  return key === '' ? [] : key.split('.')
}

export class TopicExchange extends Exchange {
  readonly type: string = 'topic'
  private readonly root = newNode()
  private cache = new Map<string, Destination[]>()

  route(_msg: Message, routingKey: string, sink: RouteSink): void {
    let dests = this.cache.get(routingKey)
    if (!dests) {
      dests = this.match(routingKey)
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear()
      this.cache.set(routingKey, dests)
    }
    for (let i = 0; i < dests.length; i++) sink.add(dests[i] as Destination)
  }

  /** The distinct destinations whose binding key matches `routingKey`. */
  match(routingKey: string): Destination[] {
    const found = new Set<Destination>()
    walk(this.root, topicWords(routingKey), 0, found, new Map())
    return [...found]
  }

  protected indexAdd(b: Binding): void {
    let node = this.root
    for (const w of topicWords(b.routingKey)) {
      let next = node.children.get(w)
      if (!next) node.children.set(w, (next = newNode()))
      node = next
    }
    node.bindings.push(b)
    this.cache.clear()
  }

  protected indexRemove(b: Binding): void {
    const path: TrieNode[] = [this.root]
    const words = topicWords(b.routingKey)
    for (const w of words) {
      const next = path[path.length - 1]?.children.get(w)
      if (!next) return
      path.push(next)
    }
    removeFrom((path[path.length - 1] as TrieNode).bindings, b)
    // Prune empty branches so that unbinding many keys does not leave a dead trie behind.
    for (let i = words.length; i > 0; i--) {
      const node = path[i] as TrieNode
      if (node.bindings.length > 0 || node.children.size > 0) break
      ;(path[i - 1] as TrieNode).children.delete(words[i - 1] as string)
    }
    this.cache.clear()
  }
}

/**
 * Depth-first match. `seen` holds (node, position) pairs already explored, so patterns with several
 * `#` stay polynomial instead of exploring the same suffix again and again.
 */
function walk(node: TrieNode, words: string[], i: number, out: Set<Destination>, seen: Explored): void {
  const hash = node.children.get('#')
  if (hash) {
    for (let j = i; j <= words.length; j++) if (firstVisit(seen, hash, j)) walk(hash, words, j, out, seen)
  }
  if (i === words.length) {
    for (const b of node.bindings) out.add(b.destination)
    return
  }
  const exact = node.children.get(words[i] as string)
  if (exact) walk(exact, words, i + 1, out, seen)
  const star = node.children.get('*')
  if (star) walk(star, words, i + 1, out, seen)
}

/** Per match: the word positions each node was already explored from. */
type Explored = Map<TrieNode, Set<number>>

function firstVisit(seen: Explored, node: TrieNode, pos: number): boolean {
  let at = seen.get(node)
  if (!at) seen.set(node, (at = new Set()))
  if (at.has(pos)) return false
  at.add(pos)
  return true
}
