import { generateDeviceKey, jwkThumbprint, type DeviceKey } from '@elcorp/auth';
import { exportJWK, importJWK, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A device's ES256 key pair as JWKs; `privateJwk` holds `d` and must stay on the device. */
export interface DeviceKeyPair {
  publicJwk: JWK;
  privateJwk: JWK;
}

/** Where a client keeps its device key: tokens are bound to it, so losing it ends every session. */
export interface DeviceKeyStore {
  load(): Promise<DeviceKeyPair | undefined>;
  save(pair: DeviceKeyPair): Promise<void>;
}

/** The default: the key lives as long as the process (a new device each run). */
export class MemoryDeviceKeyStore implements DeviceKeyStore {
  #pair: DeviceKeyPair | undefined;

  async load(): Promise<DeviceKeyPair | undefined> {
    return this.#pair;
  }

  async save(pair: DeviceKeyPair): Promise<void> {
    this.#pair = pair;
  }
}

function publicPartOf(jwk: JWK): JWK {
  return { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
}

function isEs256PrivateJwk(value: unknown): value is JWK {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  return jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' && ['x', 'y', 'd'].every((field) => typeof jwk[field] === 'string');
}

/**
 * Keeps the private key as JWK JSON in one file, mode 0600 (owner only). Writes go to a new
 * file that replaces the old one, so a crash never leaves half a key and the mode always holds.
 */
export class FileDeviceKeyStore implements DeviceKeyStore {
  constructor(readonly path: string) {}

  async load(): Promise<DeviceKeyPair | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // A damaged key file is refused, not replaced: a new key would silently end every session.
    if (!isEs256PrivateJwk(parsed)) throw new Error(`${this.path} does not hold an ES256 private JWK`);
    return { publicJwk: publicPartOf(parsed), privateJwk: parsed };
  }

  async save(pair: DeviceKeyPair): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(pair.privateJwk)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temporary, this.path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }
}

/** The store's key, or a new one saved there first. */
export async function loadOrCreateDeviceKey(store: DeviceKeyStore): Promise<DeviceKey> {
  const stored = await store.load();
  if (stored) {
    const privateKey = await importJWK(stored.privateJwk, 'ES256');
    if (privateKey instanceof Uint8Array) throw new Error('the stored device key is not an EC key');
    // From the private JWK, so a store holding a mismatched public half cannot break every proof.
    const publicJwk = publicPartOf(stored.privateJwk);
    return { privateKey, publicJwk, jkt: await jwkThumbprint(publicJwk) };
  }
  const created = await generateDeviceKey();
  const privateJwk = await exportJWK(created.privateKey);
  await store.save({ publicJwk: created.publicJwk, privateJwk });
  return created;
}
