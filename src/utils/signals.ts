import { setMaxListeners } from '@libp2p/interface'

/**
 * One signal that aborts when any of `signals` does (undefined entries are skipped). Listener
 * limits are lifted: long-lived signals here are joined by many concurrent operations.
 */
export function anySignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s != null)
  const combined = present.length === 1 ? present[0] : AbortSignal.any(present)
  setMaxListeners(Infinity, combined)
  return combined
}
