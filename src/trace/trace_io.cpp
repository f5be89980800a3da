#include "trace/trace_io.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

#include "trace/binary_format.h"
#include "trace/importers.h"
#include "trace/text_format.h"
#include "trace/trace_error.h"

namespace isim::trace {
namespace {

class TextReader final : public Reader {
 public:
  TextReader(std::string path, bool skip_bad) : path_(std::move(path)), skip_bad_(skip_bad) {
    in_.open(path_);
    if (!in_) throw TraceError(fmt::format("{}: cannot open", path_));
    std::string header;
    if (!std::getline(in_, header)) throw TraceError(fmt::format("{}:1: empty trace", path_));
    line_no_ = 1;
    if (auto err = check_text_header(header); !err.empty())
      throw TraceError(fmt::format("{}:1: {}", path_, err));
  }

  bool next(Event& e) override {
    std::string line, err;
    while (std::getline(in_, line)) {
      ++line_no_;
      switch (parse_event_line(line, e, err)) {
        case LineResult::event:
          return true;
        case LineResult::blank:
          break;
        case LineResult::error:
          if (!skip_bad_) throw TraceError(fmt::format("{}:{}: {}", path_, line_no_, err));
          ++skipped_;
          break;
      }
    }
    return false;
  }
  std::string where() const override { return fmt::format("{}:{}", path_, line_no_); }

 private:
  std::string path_;
  bool skip_bad_;
  std::ifstream in_;
  uint64_t line_no_ = 0;
};

class BinaryReader final : public Reader {
 public:
  explicit BinaryReader(const std::string& path) : path_(path), in_(open(path)), dec_(in_, path) {}
  bool next(Event& e) override { return dec_.next(e); }
  std::string where() const override { return fmt::format("{}: event {}", path_, dec_.count()); }

 private:
  static std::ifstream open(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TraceError(fmt::format("{}: cannot open", path));
    return in;
  }
  std::string path_;
  std::ifstream in_;
  BinaryDecoder dec_;
};

class TextWriter final : public Writer {
 public:
  explicit TextWriter(const std::string& path) : path_(path), out_(path) {
    if (!out_) throw TraceError(fmt::format("{}: cannot create", path));
    out_ << text_header() << '\n';
  }
  void write(const Event& e) override { out_ << format_event(e) << '\n'; }
  void finish() override {
    out_.flush();
    if (!out_) throw TraceError(fmt::format("{}: write failed", path_));
  }

 private:
  std::string path_;
  std::ofstream out_;
};

class BinaryWriter final : public Writer {
 public:
  explicit BinaryWriter(const std::string& path)
      : path_(path), out_(path, std::ios::binary), enc_(out_) {
    if (!out_) throw TraceError(fmt::format("{}: cannot create", path));
  }
  void write(const Event& e) override { enc_.write(e); }
  void finish() override {
    enc_.finish();
    if (!out_) throw TraceError(fmt::format("{}: write failed", path_));
  }

 private:
  std::string path_;
  std::ofstream out_;
  BinaryEncoder enc_;
};

Format detect(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceError(fmt::format("{}: cannot open", path));
  char head[sizeof kBinaryMagic] = {};
  in.read(head, sizeof head);
  if (in.gcount() == sizeof head && std::memcmp(head, kBinaryMagic, sizeof head) == 0)
    return Format::binary;
  in.clear();
  in.seekg(0);
  std::string first;
  std::getline(in, first);
  if (first.starts_with(kTextMagic)) return Format::text;
  if (first.starts_with("# tracer:")) return Format::ftrace;
  throw TraceError(fmt::format(
      "{}:1: not a trace this program recognises (native text needs the header '{}'; name "
      "imported logs with --format qemu or --format ftrace)",
      path, text_header()));
}

}  // namespace

Format parse_format(const std::string& s) {
  if (s == "auto") return Format::automatic;
  if (s == "text") return Format::text;
  if (s == "binary") return Format::binary;
  if (s == "qemu") return Format::qemu;
  if (s == "ftrace") return Format::ftrace;
  throw TraceError(fmt::format("unknown trace format '{}' (auto, text, binary, qemu, ftrace)", s));
}

std::unique_ptr<Reader> open_reader(const std::string& path, const ReadOptions& opts) {
  const Format f = opts.format == Format::automatic ? detect(path) : opts.format;
  switch (f) {
    case Format::binary:
      return std::make_unique<BinaryReader>(path);
    case Format::qemu:
      return open_qemu_log(path, opts.skip_bad);
    case Format::ftrace:
      return open_ftrace(path, opts.skip_bad);
    default:
      return std::make_unique<TextReader>(path, opts.skip_bad);
  }
}

Format format_for_output(const std::string& path) {
  return path.ends_with(".itb") ? Format::binary : Format::text;
}

std::unique_ptr<Writer> open_writer(const std::string& path, Format format) {
  if (format == Format::automatic) format = format_for_output(path);
  if (format == Format::binary) return std::make_unique<BinaryWriter>(path);
  if (format == Format::text) return std::make_unique<TextWriter>(path);
  throw TraceError("traces are written as text or binary only");
}

}  // namespace isim::trace
