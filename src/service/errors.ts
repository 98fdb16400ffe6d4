import { AttnError } from '../errors.js'

/** The service runs without a session/RPC layer (raw-frame mode or a custom frame handler), or is stopped. */
export class NoRpcLayerError extends AttnError {
  constructor () { super('the attn service has no session/RPC layer (not started, or raw-frame mode)', 'ERR_NO_RPC_LAYER') }
}
