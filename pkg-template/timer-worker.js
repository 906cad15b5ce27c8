// The timers of mqtt-wasm (host.js's setHostTimeout): a dedicated worker's
// timers are not throttled in hidden tabs as the page's are. A file of the
// package, so that a Content Security Policy with `worker-src 'self'`
// allows it. Messages: [id, ms] arms (ms < 0 cancels); the reply is the id.
const timers = new Map();
onmessage = ({ data: [id, ms] }) => {
  clearTimeout(timers.get(id));
  timers.delete(id);
  if (ms >= 0) {
    timers.set(id, setTimeout(() => {
      timers.delete(id);
      postMessage(id);
    }, ms));
  }
};
