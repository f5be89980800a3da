// One event of a DMA trace: a device's DMA, or a software event that changes what the IOMMU
// maps (map, unmap, invalidate, attach) or reports (fault). Pure C++, shared by the text and
// binary formats, the importers and the trace player.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace isim::trace {

enum class Kind : uint8_t { dma, map, unmap, invalidate, fault, attach };
inline constexpr unsigned kKinds = 6;

/// Access a DMA asks for, or permissions a map grants.
enum class Access : uint8_t { none, read, write, read_write };

/// PCIe ATS address type of a DMA (PCIe 6.0 10.2: AT field).
enum class At : uint8_t { untranslated, translation_request, translated };

struct Event {
  uint64_t time_ps = 0;  ///< when the event is issued, in picoseconds from the start
  Kind kind = Kind::dma;
  uint16_t rid = 0;  ///< requester ID (also SMMUv3 StreamID and AMD-Vi DeviceID)
  std::optional<uint32_t> pasid;
  uint64_t addr = 0;  ///< IOVA (input address)
  uint64_t size = 0;  ///< bytes (dma, map, unmap, invalidate)
  Access access = Access::none;
  At at = At::untranslated;
  std::optional<uint64_t> out;     ///< dma: expected output address; map: physical address
  std::optional<uint32_t> domain;  ///< attach/map: domain the software event concerns

  bool operator==(const Event&) const = default;
};

std::string_view kind_name(Kind k);
std::optional<Kind> parse_kind(std::string_view s);
std::string_view access_name(Access a);
std::optional<Access> parse_access(std::string_view s);
std::string_view at_name(At a);
std::optional<At> parse_at(std::string_view s);

/// Requester ID as bus:device.function (`01:00.0`).
std::string format_rid(uint16_t rid);
/// `bb:dd.f`, or a number (`0x0100`, `256`).
std::optional<uint16_t> parse_rid(std::string_view s);

}  // namespace isim::trace
