import { randomFillSync } from 'node:crypto';

/** rand_a's 12 bits serve as a counter within one millisecond (RFC 9562 §6.2, method 1). */
const counterMax = 0xfff;

/** Random bytes one id consumes: 2 seed the counter, 8 fill rand_b (the variant's 2 bits aside). */
const randomBytesPerId = 10;
/**
 * Random bytes are drawn 4 KiB at a time and each byte is used once, as Node's randomUUID
 * caches them: one randomBytes(16) per id (a Buffer and a CSPRNG call) was about 1 µs of
 * the ~2.5 µs an id cost, and every transfer makes two.
 */
const randomPool = Buffer.allocUnsafeSlow(randomBytesPerId * 400);
let poolOffset = randomPool.length;

const hexOfByte = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

let lastMs = -1;
let counter = 0;

function takeRandom(): number {
  if (poolOffset + randomBytesPerId > randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += randomBytesPerId;
  return offset;
}

/**
 * RFC 9562 UUID version 7: 48 bits of Unix milliseconds, a 12-bit counter, then random bits.
 * Ids sort by creation time, which keeps B-tree inserts local and makes event ids ordered:
 * within one process each id sorts after the one before, even within one millisecond or when
 * the clock steps back (the timestamp then stays on the last one seen). The counter starts
 * at a random value below half its range each millisecond, so ids stay unguessable while
 * leaving room to count up; when it runs out the timestamp moves one millisecond ahead.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const r = takeRandom();
  const pool = randomPool;
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff;
  } else if (counter < counterMax) {
    counter += 1;
  } else {
    lastMs += 1;
    counter = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff;
  }
  const millis = lastMs.toString(16).padStart(12, '0');
  let tail = '';
  for (let i = r + 4; i < r + randomBytesPerId; i++) tail += hexOfByte[pool[i]!];
  return (
    `${millis.slice(0, 8)}-${millis.slice(8)}-` +
    // version 7 and the counter's 12 bits; then the RFC 9562 variant (10) over rand_b's first byte
    `${(0x7000 | counter).toString(16)}-${hexOfByte[(pool[r + 2]! & 0x3f) | 0x80]}${hexOfByte[pool[r + 3]!]}-${tail}`
  );
}
