/** The simulation's table and its SVG plot (latency CDF, delivery over time), written by hand. */
import type { SimReport } from './run.js'

const f = (x: number, d = 0): string => Number.isFinite(x) ? x.toFixed(d) : 'n/a'

export function table (r: SimReport): string {
  const rows: Array<[string, string]> = [
    ['nodes', String(r.nodes)],
    ['virtual time / wall time', `${r.virtualMinutes} min / ${f(r.wallSeconds, 1)} s`],
    ['messages sent / accepted by the network', `${r.sent} / ${r.accepted}`],
    ['delivered (all)', `${r.delivered}`],
    ['delivery ratio (accepted, recipient online at the end)', `${r.deliveredOfDeliverable}/${r.deliverable} = ${f(r.deliveryRatio * 100, 2)} %`],
    ['shown twice (duplicates) / redundant copies dropped by dedup', `${r.duplicates} / ${r.redundantArrivals}`],
    ['receipts verified', `${r.receiptsVerified}`],
    ['latency all: p50 / p90 / p99', `${f(r.p50Ms)} / ${f(r.p90Ms)} / ${f(r.p99Ms)} ms`],
    ['latency online (direct): n, p50 / p99', `${r.direct.n}, ${f(r.direct.p50Ms)} / ${f(r.direct.p99Ms)} ms`],
    ['latency via mailbox: n, p50 / p99', `${r.viaMailbox.n}, ${f(r.viaMailbox.p50Ms)} / ${f(r.viaMailbox.p99Ms)} ms`],
    ['DHT record lookups: n (found), hops mean / max, p50 / p99', `${r.lookup.n} (${r.lookup.found}), ${f(r.lookup.hopsMean, 2)} / ${r.lookup.hopsMax}, ${f(r.lookup.p50Ms)} / ${f(r.lookup.p99Ms)} ms`],
    ['mailbox replication at end of churn: waiting parcels with ≥ 1 online copy, mean copies', `${r.replication.withOnlineCopy}/${r.replication.waiting}, ${f(r.replication.meanOnlineCopies, 2)}`],
    ['record PUTs accepted per publish (mean)', f(r.publishAcceptedMean, 1)],
    ['churn: left / rejoined / never returned', `${r.churnEvents.left} / ${r.churnEvents.rejoined} / ${r.churnEvents.gone}`],
    ['memory per node (heap)', `${r.memoryPerNodeBytes} B`],
    ['CPU per delivered message (whole process)', `${f(r.cpuMsPerDelivered, 2)} ms`],
    ['packets / lost', `${r.packets} / ${r.lostPackets}`],
    ['simulation events', String(r.events)]
  ]
  const w = Math.max(...rows.map(x => x[0].length))
  const lines = rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v} |`)
  const errs = Object.entries(r.errors).map(([k, v]) => `${k} ×${v}`).join(', ')
  return [`| ${'figure'.padEnd(w)} | value |`, `| ${'-'.repeat(w)} | --- |`, ...lines].join('\n') + (errs !== '' ? `\n\ncounted errors: ${errs}` : '')
}

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
}

/** Two panels: latency CDF (log x, direct and via mailbox), cumulative sent/delivered over time. */
export function svg (r: SimReport): string {
  const W = 900
  const H = 380
  const pw = 380
  const ph = 260
  const top = 60
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">ATT simulation: ${r.nodes} nodes, ${r.virtualMinutes} virtual min, ` +
    `delivery ${f(r.deliveryRatio * 100, 2)} %, duplicates ${r.duplicates}</text>`]
  // --- panel 1: CDF
  const x0 = 60
  const all = [...r.latencies.direct, ...r.latencies.mailbox]
  const lo = 10
  const hi = Math.max(1000, ...all) * 1.1
  const lx = (ms: number): number => x0 + (Math.log10(Math.max(lo, ms)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * pw
  const ly = (p: number): number => top + ph - p * ph
  out.push(`<rect x="${x0}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`)
  out.push(`<text x="${x0 + pw / 2}" y="${top - 8}" text-anchor="middle">latency CDF (send → inbox)</text>`)
  for (let d = 10; d <= hi; d *= 10) {
    out.push(`<line x1="${lx(d)}" y1="${top}" x2="${lx(d)}" y2="${top + ph}" stroke="#eee"/><text x="${lx(d)}" y="${top + ph + 15}" text-anchor="middle">${d >= 1000 ? `${d / 1000} s` : `${d} ms`}</text>`)
  }
  for (const p of [0, 0.5, 0.9, 0.99, 1]) out.push(`<text x="${x0 - 5}" y="${ly(p) + 4}" text-anchor="end">${p * 100}%</text><line x1="${x0}" y1="${ly(p)}" x2="${x0 + pw}" y2="${ly(p)}" stroke="#eee"/>`)
  const curve = (xs: number[], color: string, label: string, row: number): void => {
    if (xs.length === 0) return
    const s = [...xs].sort((a, b) => a - b)
    const step = Math.max(1, Math.floor(s.length / 300))
    const pts: string[] = []
    for (let i = 0; i < s.length; i += step) pts.push(`${lx(s[i]).toFixed(1)},${ly((i + 1) / s.length).toFixed(1)}`)
    pts.push(`${lx(s[s.length - 1]).toFixed(1)},${ly(1).toFixed(1)}`)
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`)
    out.push(`<text x="${x0 + 10}" y="${top + 18 + row * 16}" fill="${color}">${esc(label)} (n=${xs.length})</text>`)
  }
  curve(r.latencies.direct, '#1f77b4', 'online (direct)', 0)
  curve(r.latencies.mailbox, '#d62728', 'via mailbox', 1)
  curve(all, '#333', 'all', 2)
  // --- panel 2: delivery over time
  const x1 = 500
  const tl = r.timeline
  const tmax = Math.max(1, ...tl.map(t => t[0]))
  const ymax = Math.max(1, ...tl.map(t => t[1]))
  const tx = (s: number): number => x1 + s / tmax * pw
  const ty = (n: number): number => top + ph - n / ymax * ph
  out.push(`<rect x="${x1}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`)
  out.push(`<text x="${x1 + pw / 2}" y="${top - 8}" text-anchor="middle">messages over virtual time (churn until ${r.virtualMinutes - 3} min)</text>`)
  for (let m = 0; m * 60 <= tmax; m++) out.push(`<text x="${tx(m * 60)}" y="${top + ph + 15}" text-anchor="middle">${m} min</text>`)
  out.push(`<text x="${x1 - 5}" y="${ty(ymax) + 4}" text-anchor="end">${ymax}</text><text x="${x1 - 5}" y="${ty(0) + 4}" text-anchor="end">0</text>`)
  const line = (i: 1 | 2, color: string, label: string, row: number): void => {
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${tl.map(t => `${tx(t[0]).toFixed(1)},${ty(t[i]).toFixed(1)}`).join(' ')}"/>`)
    out.push(`<text x="${x1 + 10}" y="${top + 18 + row * 16}" fill="${color}">${label}</text>`)
  }
  line(1, '#888', 'sent (cumulative)', 0)
  line(2, '#2ca02c', 'delivered (cumulative)', 1)
  out.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle" fill="#555">latency ${f(r.latencyNote[0])}–${f(r.latencyNote[1])} ms per link, loss ${f(r.lossNote[0] * 100)}–${f(r.lossNote[1] * 100)} %; p50 ${f(r.p50Ms)} ms, p99 ${f(r.p99Ms)} ms; seed ${r.seed}</text>`)
  out.push('</svg>')
  return out.join('\n')
}
