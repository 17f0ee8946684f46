import { ValidationError } from '../errors.js';

/*
 * `BROKE_HOST` and `BROKE_PORT`: where `serve` and the bridges listen when no flag says so (flags
 * win over these, these over `gateway.host` / `gateway.port` in broke.yaml). Containers and
 * service managers set addresses through the environment, not by editing the config. Each is read
 * only when its flag is absent, so a bad value the flag overrides does not stop the command.
 */

export function hostFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.BROKE_HOST || undefined;
}

export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.BROKE_PORT?.trim();
  if (!text) return undefined;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535))
    throw new ValidationError(`BROKE_PORT "${env.BROKE_PORT}" is not a port`, {
      hint: 'a whole number from 0 to 65535 (0: any free port), or unset it to use gateway.port',
    });
  return port;
}
