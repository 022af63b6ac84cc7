// Polling with backoff: fast while something moves, slower while nothing does, stopped on leave.

export const POLL = { first: 1000, factor: 1.6, max: 15000 };

/** The wait after `delay`: back to the first step when something changed, else longer. */
export function nextDelay(delay, changed, opts = POLL) {
  if (changed) return opts.first;
  return Math.min(opts.max, Math.round((delay || opts.first) * opts.factor));
}

/**
 * Calls `tick()` (async; returns {changed, done}) again and again: after `first` ms, backing off
 * while nothing changes, until it says done or `stop()` is called. Errors back off too.
 * Returns stop(); the timer never outlives the screen that started it.
 */
export function poll(tick, opts = POLL) {
  let delay = opts.first;
  let timer = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    let result = { changed: false, done: false };
    try {
      result = (await tick()) || result;
    } catch (err) {
      console.warn("poll", err);
    }
    if (stopped || result.done) return;
    delay = nextDelay(delay, result.changed, opts);
    timer = setTimeout(run, delay);
  };
  timer = setTimeout(run, opts.first);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
