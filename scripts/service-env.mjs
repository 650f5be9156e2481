// Per-service settings for the scripts that start services or their commands: one shell (or
// one test) addresses each service's own database role, broker user and so on with
// `<SERVICE>__<VARIABLE>` (e.g. IDENTITY__NATS_PASSWORD), handed to that service as <VARIABLE>.

/** `env` with the service's `<SERVICE>__` overrides applied. */
export function environmentFor(service, env = process.env) {
  const prefix = `${service.toUpperCase()}__`;
  const result = { ...env };
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(prefix) && name.length > prefix.length) result[name.slice(prefix.length)] = value;
  }
  return result;
}
