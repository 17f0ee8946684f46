import { Redis } from 'ioredis';

/**
 * ioredis, loaded so that it leaves string methods fast for the whole process. Import `Redis`
 * from here, never from 'ioredis' directly.
 *
 * When ioredis loads it defines `class VerbatimString extends String`. V8 then puts
 * String.prototype into dictionary mode (a prototype "being set up"), and only a property lookup
 * that starts at an object, not at a primitive string, turns it fast again; the gateway makes no
 * such lookup. While it stays slow, optimized code cannot inline `text.indexOf`, `charCodeAt`,
 * `slice`, ...: every call on a string first makes a generic property-load call. Measured under
 * callgrind in the gateway at 16 streams: ~90k of its ~630k instructions per request (the relay's
 * id/model rewrite alone made ~30 such calls per chunk).
 */
restoreFastStringPrototype();

/**
 * A property miss on an object inheriting from String.prototype, from a function with feedback
 * (V8 allocates it after a few calls), makes V8 convert the prototype back to fast properties.
 */
export function restoreFastStringPrototype(): void {
  const receiver: object = Object.create(String.prototype);
  for (let i = 0; i < 32; i++) missingProperty(receiver);
}

function missingProperty(o: object): unknown {
  return (o as { brokeNoSuchProperty?: unknown }).brokeNoSuchProperty;
}

export { Redis };
