// Opening traces by file: the format is recognised from the contents (binary magic, the text
// header) or named explicitly for imported logs; writers pick the format from the file name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "trace/trace_event.h"

namespace isim::trace {

enum class Format { automatic, text, binary, qemu, ftrace };

Format parse_format(const std::string& s);  ///< throws TraceError on an unknown name

struct ReadOptions {
  Format format = Format::automatic;
  bool skip_bad = false;  ///< skip malformed lines and count them instead of failing
};

class Reader {
 public:
  virtual ~Reader() = default;
  /// The next event; false at the end. Throws TraceError naming file and line on bad input.
  virtual bool next(Event& e) = 0;
  /// Lines skipped as malformed (with skip_bad).
  uint64_t skipped() const { return skipped_; }
  /// Lines that were well-formed but carry nothing a trace holds (importers).
  uint64_t ignored() const { return ignored_; }
  /// Where the event next() returned last came from, for messages: `FILE:LINE` for text and
  /// imported logs, `FILE: event N` (from 1) for binary traces.
  virtual std::string where() const = 0;

 protected:
  uint64_t skipped_ = 0;
  uint64_t ignored_ = 0;
};

std::unique_ptr<Reader> open_reader(const std::string& path, const ReadOptions& opts = {});

class Writer {
 public:
  virtual ~Writer() = default;
  virtual void write(const Event& e) = 0;
  /// Completes the file (the binary end record); throws TraceError if writing failed.
  virtual void finish() = 0;
};

/// Binary for names ending in `.itb`, text otherwise.
Format format_for_output(const std::string& path);
std::unique_ptr<Writer> open_writer(const std::string& path, Format format = Format::automatic);

}  // namespace isim::trace
