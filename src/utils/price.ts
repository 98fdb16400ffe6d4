/**
 * The advertised mailbox price (directory record device `mailbox_price`, attn.info `mailbox_price`;
 * protocols/rewards.md §6): a decimal integer in the token's base unit, 1 … 2^128-1 (the range of
 * mailbox.terms' u128), no sign, no leading zero. Price 0 is never written: absence says it.
 */
const MAX_PRICE = (1n << 128n) - 1n
const PRICE_PATTERN = /^[1-9][0-9]{0,38}$/

/** Whether `s` is a valid advertised price (the empty string, "not advertised", is not). */
export function isAdvertisedPrice (s: string): boolean {
  return PRICE_PATTERN.test(s) && BigInt(s) <= MAX_PRICE
}

/** The advertised form of a price: its decimal string, or undefined for 0 (not advertised). */
export function advertisedPrice (price: bigint): string | undefined {
  if (price <= 0n) return undefined
  if (price > MAX_PRICE) throw new RangeError(`a mailbox price is at most 2^128-1, got ${price}`)
  return price.toString()
}
