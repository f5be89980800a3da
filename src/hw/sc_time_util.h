// Conversions between SystemC time and the picosecond Ticks of the pure-C++ layers. The
// platform keeps SystemC's default 1 ps resolution (checked when it is built), so an sc_time's
// value() is already in picoseconds.
#pragma once

#include <systemc>

#include "base/time.h"

namespace isim {

inline Tick to_ticks(const sc_core::sc_time& t) {
  return t.value();
}
inline sc_core::sc_time from_ticks(Tick ps) {
  return sc_core::sc_time::from_value(ps);
}

}  // namespace isim
