// Ending a run with threads still waiting (a device in the middle of a DMA, a driver inside a
// hypercall) leaves their coroutine stacks suspended for good: SystemC never resumes them and
// frees a stack without running its destructors, so whatever those frames own (payload
// extension arrays, vectors, strings) would leak. A platform unwinds them before it goes.
#pragma once

namespace isim {

/// Kills every SystemC thread that has not terminated, so each unwinds its stack; the caller's
/// modules must still exist. Does nothing unless the simulation is paused (after
/// sc_start(duration); a run ended by sc_stop() cannot be resumed to unwind).
void unwind_suspended_threads();

}  // namespace isim
