// The compact binary trace format (docs/traces.md): an 8-byte magic and a version byte, then
// one record per event with times and addresses delta-encoded as LEB128 varints, and an end
// record carrying the event count. A file without its end record, or one that stops inside a
// record, is reported as truncated rather than read short.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "trace/trace_event.h"

namespace isim::trace {

inline constexpr char kBinaryMagic[8] = {'I', 'S', 'I', 'M', 'T', 'R', 'C', '\x1a'};
inline constexpr uint8_t kBinaryVersion = 1;

class BinaryEncoder {
 public:
  explicit BinaryEncoder(std::ostream& os);
  void write(const Event& e);
  /// Writes the end record; the file is incomplete without it.
  void finish();

 private:
  void varint(uint64_t v);
  void svarint(int64_t v);
  std::ostream& os_;
  uint64_t count_ = 0;
  uint64_t prev_time_ = 0;
  uint64_t prev_addr_ = 0;
};

class BinaryDecoder {
 public:
  /// Reads and checks the header; throws TraceError naming `name`.
  BinaryDecoder(std::istream& is, std::string name);
  /// The next event; false after the end record. Throws TraceError on truncation or corruption.
  bool next(Event& e);
  uint64_t count() const { return count_; }

 private:
  uint8_t byte();
  uint64_t varint();
  int64_t svarint();
  [[noreturn]] void fail(const std::string& what) const;
  std::istream& is_;
  std::string name_;
  uint64_t offset_ = 0;
  uint64_t count_ = 0;
  bool done_ = false;
  uint64_t prev_time_ = 0;
  uint64_t prev_addr_ = 0;
};

}  // namespace isim::trace
