/** The reach part of `attn status` and GET /v1/status (issue 14). */
import type { AminoState } from './amino.js'
import type { AttnNode } from './create-node.js'
import type { NatState } from './nat.js'
import type { RendezvousState } from './rendezvous.js'

export interface ReachStatus extends NatState {
  /** Only with `--public`: the Amino DHT and the rendezvous on it. */
  amino?: AminoState & { rendezvous?: RendezvousState }
}

export function reachStatus (node: AttnNode): ReachStatus {
  const { nat, amino, rendezvous } = node.services
  const out: ReachStatus = nat.state()
  if (amino != null) out.amino = { ...amino.state(), rendezvous: rendezvous?.state() }
  return out
}
