import { setMaxListeners } from '@libp2p/interface'

/**
 * One signal that aborts when any of `signals` does (undefined entries are skipped). Used to
 * JOIN a caller's signal with a default deadline: a caller's signal never replaces the deadline.
 * The result may be shared by many listeners (every send of a call), so the listener cap is lifted.
 */
export function anySignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
  const live = signals.filter((s): s is AbortSignal => s != null)
  const combined = live.length === 1 ? live[0] : AbortSignal.any(live)
  setMaxListeners(Infinity, combined)
  return combined
}

