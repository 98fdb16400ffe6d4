/**
 * Prometheus metrics of one node (`GET /metrics`, no token: counts only). Every value is read from
 * the layers' own counters at scrape time, so nothing is counted twice and an idle node costs
 * nothing. Labels are fixed vocabularies (error codes, states, directions): never an address, a
 * peer id or content. One registry per API app: two nodes in one process never share a metric.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import { CALL_TIMING_BUCKETS_S } from '../rpc/index.js'
import type { AttnNode, AttnServices } from '../node/create-node.js'
import type { CallTimingSeries } from '../rpc/index.js'
import type { Metric, MetricObjectWithValues, MetricValueWithName } from 'prom-client'

type Labels = Record<string, string>
type Sample = [Labels, number]

/** Source of the API's own refused-request counts, by error code. */
export type RejectedCounts = () => Readonly<Record<string, number>>

function byCode (counts: Readonly<Record<string, number>> | undefined): Sample[] {
  return Object.entries(counts ?? {}).map(([code, n]) => [{ code }, n])
}

/** The registry of one node's metrics. */
export function createMetricsRegistry (node: AttnNode, apiRejected: RejectedCounts): Registry {
  const registry = new Registry()
  const attn = node.services.attn
  const messaging = (): AttnServices['messaging'] | undefined => (node.services as Partial<AttnServices>).messaging

  // a counter mirrored from a layer's running total: reset and set at each scrape
  const counter = (name: string, help: string, labelNames: string[], read: () => Sample[]): void => {
    // eslint-disable-next-line no-new
    new Counter({
      name, help, labelNames, registers: [registry],
      collect () {
        this.reset()
        for (const [labels, n] of read()) this.inc(labels, n)
      }
    })
  }
  const gauge = (name: string, help: string, labelNames: string[], read: () => Sample[]): void => {
    // eslint-disable-next-line no-new
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect () {
        this.reset()
        for (const [labels, n] of read()) this.set(labels, n)
      }
    })
  }
  const one = (n: number | undefined): Sample[] => n == null ? [] : [[{}, n]]

  // carrier (libp2p streams)
  counter('attn_carrier_frames_total', 'Carrier frames, by direction', ['direction'], () => {
    const s = attn.stats()
    return [[{ direction: 'in' }, s.framesIn], [{ direction: 'out' }, s.framesOut]]
  })
  counter('attn_carrier_channels_opened_total', 'Carrier channels (framed streams) opened', [], () => one(attn.stats().channelsOpened))
  counter('attn_carrier_protocol_errors_total', 'Carrier framing errors by error code (the stream was reset)', ['code'], () => byCode(attn.stats().protocolErrors))
  gauge('attn_connections', 'Open libp2p connections', [], () => one(node.getConnections().length))

  // sessions (L5)
  gauge('attn_sessions_open', 'Sessions in the session table', [], () => one(attn.sessionStats()?.sessions))
  gauge('attn_session_handshakes_pending', 'Handshakes in progress', [], () => one(attn.sessionStats()?.pendingHandshakes))
  counter('attn_session_handshakes_total', 'Handshakes finished, by result', ['result'], () => {
    const s = attn.sessionStats()
    return s == null ? [] : [[{ result: 'completed' }, s.handshakesCompleted], [{ result: 'failed' }, s.handshakesFailed]]
  })
  counter('attn_session_records_total', 'Records sealed (out) and opened (in)', ['direction'], () => {
    const s = attn.sessionStats()
    return s == null ? [] : [[{ direction: 'in' }, s.recordsIn], [{ direction: 'out' }, s.recordsOut]]
  })
  counter('attn_session_rejected_total', 'Frames refused by the session receiver checks, by error code', ['code'], () => byCode(attn.sessionStats()?.rejected))

  // RPC
  counter('attn_rpc_calls_total', 'RPC calls, by direction', ['direction'], () => {
    const s = attn.rpcStats()
    return s == null ? [] : [[{ direction: 'sent' }, s.callsSent], [{ direction: 'received' }, s.callsReceived]]
  })
  counter('attn_rpc_replies_total', 'RPC replies, by direction', ['direction'], () => {
    const s = attn.rpcStats()
    return s == null ? [] : [[{ direction: 'sent' }, s.repliesSent], [{ direction: 'received' }, s.repliesReceived]]
  })
  counter('attn_rpc_resends_total', 'RPC calls sent again (no reply or ack in time)', [], () => one(attn.rpcStats()?.resends))
  counter('attn_rpc_duplicates_dropped_total', 'RPC calls received again and answered from the reply cache or dropped', [], () => one(attn.rpcStats()?.duplicatesDropped))
  counter('attn_rpc_errors_total', 'RPC failures, by kind', ['kind'], () => {
    const s = attn.rpcStats()
    return s == null
      ? []
      : [[{ kind: 'send' }, s.sendErrors], [{ kind: 'handler' }, s.handlerErrors], [{ kind: 'callback' }, s.callbackErrors], [{ kind: 'late_reply' }, s.lateReplies], [{ kind: 'stale' }, s.staleDropped]]
  })
  registry.registerMetric(rpcDurationHistogram(() => attn.rpcTiming()))
  counter('attn_rpc_decode_errors_total', 'RPC records or container items dropped, by error code', ['code'], () => byCode(attn.rpcStats()?.decodeErrors))
  gauge('attn_rpc_pending_calls', 'Outgoing RPC calls sent and not settled', [], () => one(attn.rpcStats()?.pendingCalls))
  gauge('attn_rpc_waiting_calls', 'Outgoing RPC calls waiting for an in-flight slot', [], () => one(attn.rpcStats()?.waitingForSlot))

  // messaging
  const msg = (field: 'parcelsIn' | 'messagesIn' | 'receiptsIn' | 'mailboxStored' | 'mailboxFetched' | 'junkDropped' | 'quarantined' | 'receiptsRequeued' | 'reprobes') => () => one(messaging()?.stats()[field])
  counter('attn_messaging_parcels_in_total', 'Parcels received (direct or fetched from a mailbox)', [], msg('parcelsIn'))
  counter('attn_messaging_messages_in_total', 'Messages accepted into the inbox', [], msg('messagesIn'))
  counter('attn_messaging_receipts_in_total', 'Delivery receipts accepted', [], msg('receiptsIn'))
  counter('attn_messaging_mailbox_stored_total', 'Parcels stored by this node as a mailbox for others', [], msg('mailboxStored'))
  counter('attn_messaging_mailbox_fetched_total', 'Parcels fetched from our mailboxes', [], msg('mailboxFetched'))
  counter('attn_messaging_junk_dropped_total', 'Fetched parcels that could never be opened (acknowledged and dropped)', [], msg('junkDropped'))
  counter('attn_messaging_quarantined_total', 'Parcels kept to open later (group message or sender key before its group state or sender key), fetched or delivered directly', [], msg('quarantined'))
  counter('attn_messaging_receipts_requeued_total', 'Receipts queued again for a duplicate message', [], msg('receiptsRequeued'))
  counter('attn_messaging_reprobes_total', 'Delivered-but-unacknowledged messages sent again', [], msg('reprobes'))
  counter('attn_messaging_rejected_total', 'Messaging input refused, by error code', ['code'], () => byCode(messaging()?.stats().rejected))
  // store counts: small SQL queries per scrape
  gauge('attn_messages', 'Sent messages in the outbox (one copy per member for groups), by state', ['state'], () => {
    const counts = messaging()?.storeCounts()
    return counts == null ? [] : Object.entries(counts.outbox).map(([state, n]) => [{ state }, n])
  })
  gauge('attn_mailbox_items', 'Parcels held by this node as a mailbox for others', [], () => one(messaging()?.storeCounts()?.mailboxItems))
  gauge('attn_mailbox_bytes', 'Bytes held by this node as a mailbox for others', [], () => one(messaging()?.storeCounts()?.mailboxBytes))

  // the local API itself
  counter('attn_api_rejected_total', 'Local API requests refused, by error code', ['code'], () => byCode(apiRejected()))
  return registry
}

/**
 * `attn_rpc_call_duration_seconds`: the engine's own fixed-bucket histograms exposed as one
 * Prometheus histogram (prom-client's Histogram cannot be set from outside, so this is a custom
 * metric reading the snapshot at scrape time).
 */
function rpcDurationHistogram (read: () => CallTimingSeries[]): Metric<'direction' | 'method' | 'outcome'> {
  const name = 'attn_rpc_call_duration_seconds'
  const metric = {
    name,
    help: 'RPC call duration (out: until the reply; in: until our reply was queued), by direction, method and outcome (ok or error code)',
    type: 'histogram',
    aggregator: 'sum',
    async get (): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
      const values: Array<MetricValueWithName<string>> = []
      for (const s of read()) {
        const labels = { direction: s.direction, method: s.method, outcome: s.outcome }
        let cumulative = 0
        CALL_TIMING_BUCKETS_S.forEach((le, i) => {
          cumulative += s.buckets[i]
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative })
        })
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: s.count })
        values.push({ metricName: `${name}_sum`, labels, value: s.sum })
        values.push({ metricName: `${name}_count`, labels, value: s.count })
      }
      return { name, help: metric.help, type: metric.type, aggregator: metric.aggregator, values } as unknown as MetricObjectWithValues<MetricValueWithName<string>>
    },
    reset (): void {}
  }
  return metric as unknown as Metric<'direction' | 'method' | 'outcome'>
}

// an IPv4 or bracketed/bare IPv6 address (with or without a port) inside a label value
const ADDRESS_IN_LABEL = /="[^"]*(\b\d{1,3}(\.\d{1,3}){3}\b|\[?[0-9a-f]*:[0-9a-f:]*:[0-9a-f]*\]?)[^"]*"/i

/**
 * libp2p's own metrics without the samples that name an address: its TCP/WebSocket listener
 * metrics label by `address="127.0.0.1:4001"`, and /metrics promises counts only.
 */
export function withoutAddressLabels (text: string): string {
  return text.split('\n').filter(line => line.startsWith('#') || !ADDRESS_IN_LABEL.test(line)).join('\n')
}
