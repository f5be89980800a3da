// sc_spawn: the unwinding is done by a method process made at the end of the run.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "hw/thread_unwind.h"

#include <systemc>
#include <vector>

namespace isim {
namespace {

void collect_threads(const std::vector<sc_core::sc_object*>& objects,
                     std::vector<sc_core::sc_process_handle>& out) {
  for (sc_core::sc_object* o : objects) {
    sc_core::sc_process_handle h(o);
    if (h.valid() && !h.terminated() &&
        (h.proc_kind() == sc_core::SC_THREAD_PROC_ || h.proc_kind() == sc_core::SC_CTHREAD_PROC_))
      out.push_back(h);
    // Processes spawned by a process are its children.
    collect_threads(o->get_child_objects(), out);
  }
}

}  // namespace

void unwind_suspended_threads() {
  if (sc_core::sc_get_status() != sc_core::SC_PAUSED) return;
  std::vector<sc_core::sc_process_handle> threads;
  collect_threads(sc_core::sc_get_top_level_objects(), threads);
  if (threads.empty()) return;
  // A kill unwinds the target at once only while the simulation runs, so it is issued from a
  // process in one more delta cycle; no simulated time passes.
  sc_core::sc_spawn_options o;
  o.spawn_method();
  sc_core::sc_spawn(
      [threads] {
        for (sc_core::sc_process_handle h : threads)
          if (!h.terminated()) h.kill();
      },
      sc_core::sc_gen_unique_name("unwind_threads"), &o);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

}  // namespace isim
