import assert from 'node:assert/strict'
import { withoutAddressLabels } from '../../../src/api/metrics.js'

describe('local API: libp2p metrics without addresses', () => {
  it('drops samples whose labels name an IPv4 or IPv6 address, keeps every other line', () => {
    const text = [
      '# HELP libp2p_tcp_listener_status_info TCP listener status',
      '# TYPE libp2p_tcp_listener_status_info gauge',
      'libp2p_tcp_listener_status_info{address="127.0.0.1:45551"} 1',
      'libp2p_tcp_listener_events_total{address="[::1]:4001 connection"} 1',
      'libp2p_tcp_listener_events_total{address="fe80::1%eth0"} 1',
      'libp2p_data_transfer_bytes_total{protocol="/attn/1.0.0 sent"} 374',
      'libp2p_noise_xxhandshake_successes_total 2',
      'nodejs_memory_usage_bytes{memory="rss"} 145825792',
      ''
    ].join('\n')
    assert.deepEqual(withoutAddressLabels(text).split('\n'), [
      '# HELP libp2p_tcp_listener_status_info TCP listener status',
      '# TYPE libp2p_tcp_listener_status_info gauge',
      'libp2p_data_transfer_bytes_total{protocol="/attn/1.0.0 sent"} 374',
      'libp2p_noise_xxhandshake_successes_total 2',
      'nodejs_memory_usage_bytes{memory="rss"} 145825792',
      ''
    ])
  })
})
