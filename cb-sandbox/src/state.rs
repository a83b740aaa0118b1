//! The state every handler shares: the world, behind one mutex.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::world::World;

/// The sandbox's state, shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Mutex<World>>);

impl AppState {
    pub(crate) fn new(world: World) -> Self {
        AppState(Arc::new(Mutex::new(world)))
    }

    /// Runs `f` with the world locked. A handler that panicked while holding
    /// the lock leaves the world as it was at the panic; the sandbox carries
    /// on with it rather than failing every later request.
    pub(crate) fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut guard: MutexGuard<'_, World> =
            self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}
