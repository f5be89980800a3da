#include "trace/importers.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <regex>

#include "trace/trace_error.h"

namespace isim::trace {
namespace {

uint64_t hex(const std::string& s) {
  return std::stoull(s, nullptr, 16);
}

// A DMA seen only through its translation carries no size; one byte stands for it (the
// translation, not the transfer, is what these events record).
constexpr uint64_t kTranslationOnlySize = 1;

uint64_t to_ps(double seconds) {
  return static_cast<uint64_t>(std::llround(seconds * 1e12));
}

// QEMU log backend: optional "PID@SEC.USEC:" then "name args".
const std::regex kQemuPrefix(R"(^(?:\d+@(\d+)\.(\d+):)?(\w+) (.*)$)");
// hw/i386/trace-events: vtd_dmar_translate "dev %02x:%02x.%02x iova 0x%"PRIx64" -> gpa
// 0x%"PRIx64" mask 0x%"PRIx64
const std::regex kVtdTranslate(
    R"(^dev ([0-9a-f]+):([0-9a-f]+)\.([0-9a-f]+) iova 0x([0-9a-f]+) -> gpa 0x([0-9a-f]+) mask 0x([0-9a-f]+)$)");
// vtd_dmar_fault "sid 0x%"PRIx16" fault %d addr 0x%"PRIx64" write %d"
const std::regex kVtdFault(R"(^sid 0x([0-9a-f]+) fault (\d+) addr 0x([0-9a-f]+) write (\d)$)");
// amdvi_translation_result "devid: %02x:%02x.%x gpa 0x%"PRIx64" hpa 0x%"PRIx64
const std::regex kAmdviResult(
    R"(^devid: ([0-9a-f]+):([0-9a-f]+)\.([0-9a-f]+) gpa 0x([0-9a-f]+) hpa 0x([0-9a-f]+)$)");
// hw/arm/trace-events: smmuv3_translate_success "%s sid=0x%x iova=0x%"PRIx64"
// translated=0x%"PRIx64" perm=0x%x stage=%d" (older QEMU: sid=%d, no stage).
const std::regex kSmmuSuccess(
    R"(^(\S+) sid=(0x[0-9a-f]+|\d+) iova=0x([0-9a-f]+) translated=0x([0-9a-f]+) perm=0x([0-9a-f]+)(?: stage=\d+)?$)");
// smmuv3_translate_abort "%s sid=0x%x abort on iova:0x%"PRIx64" is_write=%d"
const std::regex kSmmuAbort(
    R"(^(\S+) sid=(0x[0-9a-f]+|\d+) abort on iova:0x([0-9a-f]+) is_write=(\d)$)");

uint16_t bdf(const std::string& b, const std::string& d, const std::string& f) {
  return static_cast<uint16_t>((hex(b) & 0xff) << 8 | (hex(d) & 0x1f) << 3 | (hex(f) & 7));
}

uint16_t sid_value(const std::string& s) {
  return static_cast<uint16_t>(s.starts_with("0x") ? std::stoul(s.substr(2), nullptr, 16)
                                                   : std::stoul(s));
}

// ftrace: "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: PAYLOAD" (FLAGS absent in old kernels).
const std::regex kFtraceLine(R"(^\s*.+-\d+\s+\[\d+\]\s+(?:\S+\s+)?(\d+\.\d+): (\w+): (.*)$)");
// include/trace/events/iommu.h map: "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx
// size=%zu" (before Linux 5.x: without " - END").
const std::regex kIommuMap(
    R"(^IOMMU: iova=0x([0-9a-f]+)(?: - 0x[0-9a-f]+)? paddr=0x([0-9a-f]+) size=(\d+)$)");
// unmap: "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu"
const std::regex kIommuUnmap(
    R"(^IOMMU: iova=0x([0-9a-f]+)(?: - 0x[0-9a-f]+)? size=(\d+) unmapped_size=(\d+)$)");
// io_page_fault: "IOMMU:%s %s iova=0x%016llx flags=0x%04x" (driver, device)
const std::regex kIoPageFault(R"(^IOMMU:(\S+) (\S+) iova=0x([0-9a-f]+) flags=0x([0-9a-f]+)$)");
// attach_device_to_domain: "IOMMU: device=%s"
const std::regex kAttach(R"(^IOMMU: device=(\S+)$)");
// include/trace/events/dma.h dma_map class: "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx
// attrs=%s"; dma_unmap class: "%s dir=%s dma_addr=%llx size=%zu attrs=%s".
const std::regex kDmaMap(
    R"(^(\S+) dir=(\w+) dma_addr=([0-9a-f]+) size=(\d+) phys_addr=([0-9a-f]+) attrs=(.*)$)");
const std::regex kDmaUnmap(R"(^(\S+) dir=(\w+) dma_addr=([0-9a-f]+) size=(\d+) attrs=(.*)$)");

// The device's access for a DMA direction (include/linux/dma-direction.h names).
std::optional<Access> dma_dir(const std::string& d) {
  if (d == "BIDIRECTIONAL") return Access::read_write;
  if (d == "TO_DEVICE") return Access::read;  // the device reads memory
  if (d == "FROM_DEVICE") return Access::write;
  if (d == "NONE") return Access::none;
  return std::nullopt;
}

class LineReader final : public Reader {
 public:
  using ParseFn = std::function<ImportResult(std::string_view, Event&, std::string&, double&)>;
  LineReader(std::string path, bool skip_bad, ParseFn parse)
      : path_(std::move(path)), skip_bad_(skip_bad), parse_(std::move(parse)), in_(path_) {
    if (!in_) throw TraceError(fmt::format("{}: cannot open", path_));
  }
  bool next(Event& e) override {
    std::string line, err;
    while (std::getline(in_, line)) {
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      switch (parse_(line, e, err, t0_)) {
        case ImportResult::event:
          return true;
        case ImportResult::ignored:
          ++ignored_;
          break;
        case ImportResult::error:
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
  ParseFn parse_;
  std::ifstream in_;
  uint64_t line_no_ = 0;
  double t0_ = -1;
};

}  // namespace

uint16_t rid_from_device_name(std::string_view name) {
  const std::regex pci(R"(^(?:[0-9a-f]{4}:)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(name.begin(), name.end(), m, pci)) return 0;
  return bdf(m[1], m[2], m[3]);
}

ImportResult parse_qemu_line(std::string_view line, Event& e, std::string& err, double& t0_us) {
  std::smatch m;
  const std::string s(line);
  if (!std::regex_match(s, m, kQemuPrefix)) return ImportResult::ignored;
  const std::string name = m[3], args = m[4];
  e = Event{};
  if (m[1].matched) {
    const double us = std::stod(m[1].str()) * 1e6 + std::stod(m[2].str());
    if (t0_us < 0) t0_us = us;
    e.time_ps = to_ps((us - t0_us) * 1e-6);
  }
  std::smatch a;
  auto bad = [&] {
    err = fmt::format("{}: arguments do not match QEMU's format: '{}'", name, args);
    return ImportResult::error;
  };
  if (name == "vtd_dmar_translate") {
    if (!std::regex_match(args, a, kVtdTranslate)) return bad();
    e.kind = Kind::dma;
    e.rid = bdf(a[1], a[2], a[3]);
    e.addr = hex(a[4]);
    e.out = hex(a[5]);
    e.size = kTranslationOnlySize;
    e.access = Access::read;  // the event does not say
    return ImportResult::event;
  }
  if (name == "vtd_dmar_fault") {
    if (!std::regex_match(args, a, kVtdFault)) return bad();
    e.kind = Kind::fault;
    e.rid = static_cast<uint16_t>(hex(a[1]));
    e.addr = hex(a[3]);
    e.access = a[4] == "1" ? Access::write : Access::read;
    return ImportResult::event;
  }
  if (name == "amdvi_translation_result") {
    if (!std::regex_match(args, a, kAmdviResult)) return bad();
    e.kind = Kind::dma;
    e.rid = bdf(a[1], a[2], a[3]);
    e.addr = hex(a[4]);
    e.out = hex(a[5]);
    e.size = kTranslationOnlySize;
    e.access = Access::read;
    return ImportResult::event;
  }
  if (name == "smmuv3_translate_success") {
    if (!std::regex_match(args, a, kSmmuSuccess)) return bad();
    e.kind = Kind::dma;
    e.rid = sid_value(a[2]);
    e.addr = hex(a[3]);
    e.out = hex(a[4]);
    e.size = kTranslationOnlySize;
    // perm is QEMU's IOMMUAccessFlags of the request: IOMMU_WO = 2.
    e.access = hex(a[5]) & 2 ? Access::write : Access::read;
    return ImportResult::event;
  }
  if (name == "smmuv3_translate_abort") {
    if (!std::regex_match(args, a, kSmmuAbort)) return bad();
    e.kind = Kind::fault;
    e.rid = sid_value(a[2]);
    e.addr = hex(a[3]);
    e.access = a[4] == "1" ? Access::write : Access::read;
    return ImportResult::event;
  }
  return ImportResult::ignored;
}

ImportResult parse_ftrace_line(std::string_view line, Event& e, std::string& err, double& t0_s) {
  if (line.empty() || line.front() == '#') return ImportResult::ignored;
  std::smatch m;
  const std::string s(line);
  if (!std::regex_match(s, m, kFtraceLine)) return ImportResult::ignored;
  const std::string name = m[2], args = m[3];
  e = Event{};
  const double t = std::stod(m[1].str());
  if (t0_s < 0) t0_s = t;
  e.time_ps = to_ps(t - t0_s);
  std::smatch a;
  auto bad = [&] {
    err = fmt::format("{}: payload does not match the kernel's format: '{}'", name, args);
    return ImportResult::error;
  };
  if (name == "map") {
    if (!std::regex_match(args, a, kIommuMap)) return bad();
    e.kind = Kind::map;
    e.addr = hex(a[1]);
    e.out = hex(a[2]);
    e.size = std::stoull(a[3]);
    e.access = Access::read_write;  // the event does not carry the protection
    return ImportResult::event;
  }
  if (name == "unmap") {
    if (!std::regex_match(args, a, kIommuUnmap)) return bad();
    e.kind = Kind::unmap;
    e.addr = hex(a[1]);
    e.size = std::stoull(a[2]);
    return ImportResult::event;
  }
  if (name == "io_page_fault") {
    if (!std::regex_match(args, a, kIoPageFault)) return bad();
    e.kind = Kind::fault;
    e.rid = rid_from_device_name(a[2].str());
    e.addr = hex(a[3]);
    // IOMMU_FAULT_WRITE (include/linux/iommu.h) is bit 1 of flags.
    e.access = hex(a[4]) & 2 ? Access::write : Access::read;
    return ImportResult::event;
  }
  if (name == "attach_device_to_domain") {
    if (!std::regex_match(args, a, kAttach)) return bad();
    e.kind = Kind::attach;
    e.rid = rid_from_device_name(a[1].str());
    return ImportResult::event;
  }
  if (name == "dma_map_page" || name == "dma_map_resource" || name == "dma_map_phys") {
    if (!std::regex_match(args, a, kDmaMap)) return bad();
    const auto dir = dma_dir(a[2]);
    if (!dir) return bad();
    e.kind = Kind::map;
    e.rid = rid_from_device_name(a[1].str());
    e.addr = hex(a[3]);
    e.size = std::stoull(a[4]);
    e.out = hex(a[5]);
    e.access = *dir;
    return ImportResult::event;
  }
  if (name == "dma_unmap_page" || name == "dma_unmap_resource" || name == "dma_unmap_phys") {
    if (!std::regex_match(args, a, kDmaUnmap)) return bad();
    const auto dir = dma_dir(a[2]);
    if (!dir) return bad();
    e.kind = Kind::unmap;
    e.rid = rid_from_device_name(a[1].str());
    e.addr = hex(a[3]);
    e.size = std::stoull(a[4]);
    e.access = *dir;
    return ImportResult::event;
  }
  return ImportResult::ignored;
}

std::unique_ptr<Reader> open_qemu_log(const std::string& path, bool skip_bad) {
  return std::make_unique<LineReader>(path, skip_bad, parse_qemu_line);
}

std::unique_ptr<Reader> open_ftrace(const std::string& path, bool skip_bad) {
  return std::make_unique<LineReader>(path, skip_bad, parse_ftrace_line);
}

}  // namespace isim::trace
