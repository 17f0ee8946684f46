import { BrokeError, ValidationError } from '@broke/core';

/**
 * The caller aborted (AbortSignal) or the LangChain `timeout` elapsed. Typed so agents can tell
 * "I gave up" apart from "the cluster failed" and skip retries / negative feedback.
 */
export class BrokeAbortError extends BrokeError {
  readonly timedOut: boolean;
  constructor(options: { timedOut: boolean; cause?: unknown; routeId?: string }) {
    super(
      options.timedOut ? 'timeout' : 'aborted',
      options.timedOut ? 'BROKE request timed out' : 'BROKE request was aborted',
      { status: options.timedOut ? 504 : 499, cause: options.cause },
    );
    this.timedOut = options.timedOut;
    this.routeId = options.routeId;
  }
  readonly routeId: string | undefined;
}

/** The gateway answered with an error (remote mode); code and status are the gateway's own. */
export class GatewayError extends BrokeError {
  constructor(
    code: string,
    message: string,
    options: { status: number; routeId?: string; cause?: unknown; hint?: string },
  ) {
    super(code, message, options);
    this.routeId = options.routeId;
  }
  readonly routeId: string | undefined;
}

/** Whether a signal's reason means a timeout (LangChain's `timeout` uses AbortSignal.timeout). */
export function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof Error && (reason.name === 'TimeoutError' || /timed? ?out/i.test(reason.message));
}

/** The error to throw once `signal` has fired, whatever the transport threw meanwhile. */
export function abortErrorFor(signal: AbortSignal, routeId?: string): BrokeAbortError {
  return new BrokeAbortError({
    timedOut: isTimeoutReason(signal.reason),
    cause: signal.reason,
    ...(routeId ? { routeId } : {}),
  });
}

/**
 * A message content block the OpenAI chat wire format (what every BROKE node speaks) cannot carry:
 * an unknown block type, a source it has no field for (an http URL for a file, a video, an image in
 * a tool message...), or a block missing what the wire needs (a file's name, an audio format).
 * Thrown before routing, so nothing is sent with part of the input silently left out.
 */
export class UnsupportedContentBlockError extends ValidationError {
  /** The block's `type` (`file`, `audio`, `video`...). */
  readonly blockType: string;
  /** The LangChain message type it was in (`human`, `system`, `tool`...). */
  readonly messageType: string;
  constructor(blockType: string, messageType: string, reason: string, hint?: string) {
    super(`Cannot send a "${blockType}" content block in a ${messageType} message: ${reason}`, {
      field: 'content',
      ...(hint ? { hint } : {}),
    });
    this.blockType = blockType;
    this.messageType = messageType;
  }
}
