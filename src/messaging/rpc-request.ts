import { PublicRpcError } from '../rpc/index.js'
import type { MessagingCounters } from './counters.js'

/** Decodes RPC request params; undecodable input is counted and answered BAD_REQUEST. */
export function decodeRequest<T> (counters: MessagingCounters, decode: () => T): T {
  try {
    return decode()
  } catch (err: any) {
    counters.reject(err)
    throw new PublicRpcError('BAD_REQUEST', err.message)
  }
}
