//! One host timer, owned so that dropping it cancels it and frees its
//! closure (gloo-timers' shape; no `Closure::forget`). The timer itself is
//! `setHostTimeout` of `host.js`: a dedicated Worker's timer, which hidden
//! tabs do not throttle, backed by the page's `setTimeout`.

use wasm_bindgen::prelude::*;

use super::host::{clear_timeout, set_timeout};

#[wasm_bindgen]
extern "C" {
    // The global `performance`, not `window.performance`, so this also works in Workers.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds on the monotonic clock the session runs on.
pub(crate) fn now() -> crate::session::Instant {
    crate::session::Instant::from_millis(performance_now() as u64)
}

/// A pending `setTimeout`; dropping it cancels it.
#[must_use = "a Timeout is cancelled when dropped"]
pub(crate) struct Timeout {
    id: f64,
    _closure: Closure<dyn FnMut()>,
}

impl Timeout {
    pub(crate) fn new(ms: u64, callback: impl FnOnce() + 'static) -> Self {
        let mut callback = Some(callback);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(cb) = callback.take() {
                cb();
            }
        });
        let id = set_timeout(closure.as_ref().unchecked_ref(), ms as f64);
        Self { id, _closure: closure }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(self.id);
    }
}
