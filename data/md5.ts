/**
 * MD5 (RFC 1321), because some datasets publish only an md5 (SVHN) and WebCrypto has
 * no MD5. Used to verify downloads against a published digest, never for security.
 */

import { describeValue } from "../tensor/options.ts";

/**
 * Incremental MD5: feed any number of chunks with `update`, then `hexDigest()`.
 * Chunk boundaries do not change the result; lengths beyond 2^32 bits are counted
 * exactly (the SVHN extra split is 1.3 GB).
 *
 * @example
 * ```ts
 * import { Md5 } from "./md5.ts";
 * const enc = new TextEncoder();
 * console.log(new Md5().update(enc.encode("ab")).update(enc.encode("c")).hexDigest());
 * // 900150983cd24fb0d6963f7d28e17f72
 * ```
 */
export class Md5 {
  #state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  #block = new Uint8Array(64);
  #words = new Int32Array(16);
  #pending = 0;
  #length = 0;
  #done = false;

  /** Adds `bytes` to the message. */
  update(bytes: Uint8Array): this {
    if (this.#done) throw new TypeError("Cannot update Md5: digest() was already called");
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`Cannot update Md5: expected a Uint8Array, got ${describeValue(bytes)}`);
    }
    this.#length += bytes.length;
    let at = 0;
    if (this.#pending > 0) {
      const take = Math.min(64 - this.#pending, bytes.length);
      this.#block.set(bytes.subarray(0, take), this.#pending);
      this.#pending += take;
      at = take;
      if (this.#pending < 64) return this;
      compress(this.#state, this.#words, this.#block, 0);
      this.#pending = 0;
    }
    const whole = at + Math.floor((bytes.length - at) / 64) * 64;
    for (; at < whole; at += 64) compress(this.#state, this.#words, bytes, at);
    this.#block.set(bytes.subarray(at), 0);
    this.#pending = bytes.length - at;
    return this;
  }

  /** The 16-byte digest; the object cannot be updated afterwards. */
  digest(): Uint8Array {
    if (!this.#done) {
      const block = this.#block;
      block[this.#pending] = 0x80;
      block.fill(0, this.#pending + 1);
      if (this.#pending >= 56) {
        compress(this.#state, this.#words, block, 0);
        block.fill(0);
      }
      // The message length in bits, as a little-endian 64-bit number split into two words.
      const view = new DataView(block.buffer);
      view.setUint32(56, (this.#length * 8) >>> 0, true);
      view.setUint32(60, Math.floor(this.#length / 2 ** 29) >>> 0, true);
      compress(this.#state, this.#words, block, 0);
      this.#done = true;
    }
    const out = new Uint8Array(16);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 4; i++) view.setInt32(4 * i, this.#state[i], true);
    return out;
  }

  /** The digest as 32 lowercase hex digits. */
  hexDigest(): string {
    return Array.from(this.digest(), (b) => b.toString(16).padStart(2, "0")).join("");
  }
}

/** Lowercase hex MD5 of `bytes`. */
export function md5Hex(bytes: Uint8Array): string {
  return new Md5().update(bytes).hexDigest();
}

function ff(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  a = (a + ((b & c) | (~b & d)) + x + t) | 0;
  return (((a << s) | (a >>> (32 - s))) + b) | 0;
}
function gg(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  a = (a + ((b & d) | (c & ~d)) + x + t) | 0;
  return (((a << s) | (a >>> (32 - s))) + b) | 0;
}
function hh(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  a = (a + (b ^ c ^ d) + x + t) | 0;
  return (((a << s) | (a >>> (32 - s))) + b) | 0;
}
function ii(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  a = (a + (c ^ (b | ~d)) + x + t) | 0;
  return (((a << s) | (a >>> (32 - s))) + b) | 0;
}

/** One 64-byte block at `bytes[at…]` into `state` (RFC 1321 §3.4, the four rounds unrolled). */
function compress(state: Int32Array, x: Int32Array, bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    x[i] = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  a = ff(a, b, c, d, x[0], 7, -680876936);
  d = ff(d, a, b, c, x[1], 12, -389564586);
  c = ff(c, d, a, b, x[2], 17, 606105819);
  b = ff(b, c, d, a, x[3], 22, -1044525330);
  a = ff(a, b, c, d, x[4], 7, -176418897);
  d = ff(d, a, b, c, x[5], 12, 1200080426);
  c = ff(c, d, a, b, x[6], 17, -1473231341);
  b = ff(b, c, d, a, x[7], 22, -45705983);
  a = ff(a, b, c, d, x[8], 7, 1770035416);
  d = ff(d, a, b, c, x[9], 12, -1958414417);
  c = ff(c, d, a, b, x[10], 17, -42063);
  b = ff(b, c, d, a, x[11], 22, -1990404162);
  a = ff(a, b, c, d, x[12], 7, 1804603682);
  d = ff(d, a, b, c, x[13], 12, -40341101);
  c = ff(c, d, a, b, x[14], 17, -1502002290);
  b = ff(b, c, d, a, x[15], 22, 1236535329);

  a = gg(a, b, c, d, x[1], 5, -165796510);
  d = gg(d, a, b, c, x[6], 9, -1069501632);
  c = gg(c, d, a, b, x[11], 14, 643717713);
  b = gg(b, c, d, a, x[0], 20, -373897302);
  a = gg(a, b, c, d, x[5], 5, -701558691);
  d = gg(d, a, b, c, x[10], 9, 38016083);
  c = gg(c, d, a, b, x[15], 14, -660478335);
  b = gg(b, c, d, a, x[4], 20, -405537848);
  a = gg(a, b, c, d, x[9], 5, 568446438);
  d = gg(d, a, b, c, x[14], 9, -1019803690);
  c = gg(c, d, a, b, x[3], 14, -187363961);
  b = gg(b, c, d, a, x[8], 20, 1163531501);
  a = gg(a, b, c, d, x[13], 5, -1444681467);
  d = gg(d, a, b, c, x[2], 9, -51403784);
  c = gg(c, d, a, b, x[7], 14, 1735328473);
  b = gg(b, c, d, a, x[12], 20, -1926607734);

  a = hh(a, b, c, d, x[5], 4, -378558);
  d = hh(d, a, b, c, x[8], 11, -2022574463);
  c = hh(c, d, a, b, x[11], 16, 1839030562);
  b = hh(b, c, d, a, x[14], 23, -35309556);
  a = hh(a, b, c, d, x[1], 4, -1530992060);
  d = hh(d, a, b, c, x[4], 11, 1272893353);
  c = hh(c, d, a, b, x[7], 16, -155497632);
  b = hh(b, c, d, a, x[10], 23, -1094730640);
  a = hh(a, b, c, d, x[13], 4, 681279174);
  d = hh(d, a, b, c, x[0], 11, -358537222);
  c = hh(c, d, a, b, x[3], 16, -722521979);
  b = hh(b, c, d, a, x[6], 23, 76029189);
  a = hh(a, b, c, d, x[9], 4, -640364487);
  d = hh(d, a, b, c, x[12], 11, -421815835);
  c = hh(c, d, a, b, x[15], 16, 530742520);
  b = hh(b, c, d, a, x[2], 23, -995338651);

  a = ii(a, b, c, d, x[0], 6, -198630844);
  d = ii(d, a, b, c, x[7], 10, 1126891415);
  c = ii(c, d, a, b, x[14], 15, -1416354905);
  b = ii(b, c, d, a, x[5], 21, -57434055);
  a = ii(a, b, c, d, x[12], 6, 1700485571);
  d = ii(d, a, b, c, x[3], 10, -1894986606);
  c = ii(c, d, a, b, x[10], 15, -1051523);
  b = ii(b, c, d, a, x[1], 21, -2054922799);
  a = ii(a, b, c, d, x[8], 6, 1873313359);
  d = ii(d, a, b, c, x[15], 10, -30611744);
  c = ii(c, d, a, b, x[6], 15, -1560198380);
  b = ii(b, c, d, a, x[13], 21, 1309151649);
  a = ii(a, b, c, d, x[4], 6, -145523070);
  d = ii(d, a, b, c, x[11], 10, -1120210379);
  c = ii(c, d, a, b, x[2], 15, 718787259);
  b = ii(b, c, d, a, x[9], 21, -343485551);

  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
}
