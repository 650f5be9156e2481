import { randomBytes } from 'node:crypto';

/** rand_a's 12 bits serve as a counter within one millisecond (RFC 9562 §6.2, method 1). */
const counterMax = 0xfff;

let lastMs = -1;
let counter = 0;

/**
 * RFC 9562 UUID version 7: 48 bits of Unix milliseconds, a 12-bit counter, then random bits.
 * Ids sort by creation time, which keeps B-tree inserts local and makes event ids ordered:
 * within one process each id sorts after the one before, even within one millisecond or when
 * the clock steps back (the timestamp then stays on the last one seen). The counter starts
 * at a random value below half its range each millisecond, so ids stay unguessable while
 * leaving room to count up; when it runs out the timestamp moves one millisecond ahead.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomBytes(16);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
  } else if (counter < counterMax) {
    counter += 1;
  } else {
    lastMs += 1;
    counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8); // version 7, counter's high bits
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
