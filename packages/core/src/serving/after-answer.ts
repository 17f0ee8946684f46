/**
 * Runs a request's bookkeeping (its outcome for learning, its end for the observers) once its
 * answer is out, in the event loop's check phase: after every I/O event of this turn. Under
 * concurrent streams, answers end in bursts together with other requests' arrivals and first
 * chunks; done at once, this work (cold, ~0.1 ms) held theirs back. bench/results/gateway.md has
 * the measurement.
 */
export function afterAnswer(task: () => void): void {
  setImmediate(runTask, task);
}

function runTask(task: () => void): void {
  try {
    task();
  } catch (error) {
    // The answer is already out: a failure here is a bug to see, not a reason to stop serving.
    process.emitWarning(`bookkeeping after an answer failed: ${(error as Error)?.stack ?? String(error)}`, {
      code: 'BROKE_AFTER_ANSWER',
    });
  }
}

/** Resolves once the bookkeeping of every answer already out has run (for callers reading it). */
export function answersBookkept(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
