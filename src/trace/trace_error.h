// Errors reading a trace: what was wrong and where (file and line, or byte offset for binary).
#pragma once

#include <stdexcept>
#include <string>

namespace isim::trace {

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace isim::trace
