/**
 * Every decoder fuzz target, in one list: used by the CI-sized spec (decoders.spec.ts) and by
 * the long mode (`npm run fuzz -- --runs N [--target name]`, run.ts).
 */
import { KEYS_API_TARGETS } from './targets-keys-api.js'
import { MESSAGING_TARGETS } from './targets-messaging.js'
import { SESSION_TARGETS } from './targets-session.js'
import { CARRIER_TARGETS } from './targets-carriers.js'
import type { FuzzTarget } from './harness.js'

export const TARGETS: FuzzTarget[] = [...SESSION_TARGETS, ...CARRIER_TARGETS, ...MESSAGING_TARGETS, ...KEYS_API_TARGETS]

export { runTarget } from './harness.js'
export type { FuzzTarget, TargetResult } from './harness.js'
