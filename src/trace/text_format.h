// The native text trace format (docs/traces.md): a versioned header line, then one event per
// line, fields separated by blanks:
//
//   # iommu-sim trace v1
//   TIME KIND RID PASID ADDR SIZE ACCESS [at=u|tr|t] [out=ADDR] [domain=N]
//
// Lines that are empty or start with `#` after the header are comments.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "trace/trace_event.h"

namespace isim::trace {

inline constexpr std::string_view kTextMagic = "# iommu-sim trace v";
inline constexpr unsigned kTextVersion = 1;

/// The header line (without newline).
std::string text_header();

/// One event as a line (without newline).
std::string format_event(const Event& e);

enum class LineResult { event, blank, error };

/// Parses one line after the header. On error, `err` says what is wrong.
LineResult parse_event_line(std::string_view line, Event& e, std::string& err);

/// Checks a header line; returns an empty string or what is wrong.
std::string check_text_header(std::string_view line);

}  // namespace isim::trace
