import { decodeCertificate } from '../keys/certificate.js'
import { CERT_RENEW_BEFORE_SECONDS } from '../keys/constants.js'
import type { Identity } from '../keys/index.js'

/**
 * A warning when this home is a linked device whose certificate ends within 7 days (only the root
 * key can certify: the device must be linked again), else undefined.
 */
export function certificateWarning (identity: Identity, now = Math.floor(Date.now() / 1000)): string | undefined {
  if (identity.rootKey != null || identity.certificate == null) return undefined
  const notAfter = decodeCertificate(identity.certificate).notAfter
  if (notAfter - now >= CERT_RENEW_BEFORE_SECONDS) return undefined
  const when = new Date(notAfter * 1000).toISOString()
  return `${notAfter <= now ? 'the certificate of this linked device expired at' : 'the certificate of this linked device expires at'} ${when}; ` +
    'only the root key can certify a device: on the device holding it run "attn device export --out FILE", then link this machine again with "attn init --import FILE" in a new home'
}
