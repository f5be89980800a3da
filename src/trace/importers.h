// Importers for captured workloads, read as traces:
//
// - QEMU's IOMMU trace events as its `log` trace backend prints them (optionally prefixed
//   `PID@SEC.USEC:`), with the format strings of hw/i386/trace-events and hw/arm/trace-events:
//   vtd_dmar_translate, vtd_dmar_fault, amdvi_translation_result, smmuv3_translate_success and
//   smmuv3_translate_abort become DMA (with the expected output address) and fault events.
// - Linux ftrace text (`trace` / `trace_pipe`) of the iommu events of
//   include/trace/events/iommu.h (map, unmap, io_page_fault, attach_device_to_domain) and the
//   dma_map_* / dma_unmap_* events of include/trace/events/dma.h, which become map, unmap,
//   fault and attach events (mapping churn).
//
// Lines of other events are counted as ignored; a line of a recognised event that does not
// match its format is malformed (an error, or skipped and counted with skip_bad).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trace/trace_event.h"
#include "trace/trace_io.h"

namespace isim::trace {

enum class ImportResult { event, ignored, error };

/// One line of a QEMU log. `t0_us` is the first timestamp seen (set on the first one).
ImportResult parse_qemu_line(std::string_view line, Event& e, std::string& err, double& t0_us);
/// One line of ftrace text output. `t0_s` as above.
ImportResult parse_ftrace_line(std::string_view line, Event& e, std::string& err, double& t0_s);

/// PCI device name `DDDD:BB:DD.F` or `BB:DD.F` as a requester ID; 0 when it is not one.
uint16_t rid_from_device_name(std::string_view name);

std::unique_ptr<Reader> open_qemu_log(const std::string& path, bool skip_bad);
std::unique_ptr<Reader> open_ftrace(const std::string& path, bool skip_bad);

}  // namespace isim::trace
