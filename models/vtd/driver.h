// A host driver for the VT-d model that programs it the way the Linux intel-iommu driver does
// (drivers/iommu/intel/iommu.c, dmar.c), through registers and memory only:
//
// - init: read CAP/ECAP; pick the widest supported AGAW up to 48 bits (4-level tables, as
//   Linux's default domain width); allocate and clear the root table; with ECAP.QI set IQT = 0,
//   IQA (one 4 KiB page, 128-bit descriptors in legacy mode, 256-bit in scalable mode) and QIE,
//   waiting for QIES; set RTADDR and SRTP, waiting for RTPS; invalidate the context cache and
//   the IOTLB globally; set TE and wait for TES.
// - domains with their own second-stage tables (pagetable Builder) and domain IDs from 1;
// - attach a requester ID to a domain: legacy context entry (TT = 00b, AW, DID), or in
//   scalable mode a scalable context entry with a PASID directory and a PASID-table entry for
//   RID_PASID 0 with PGTT = second-stage only; then a device-selective context-cache
//   invalidation and, in scalable mode, a PASID-cache invalidation;
// - map: table update only (CAP.CM = 0: not-present entries are never cached), plus a
//   write-buffer flush with CAP.RWBF;
// - unmap, strict: page-selective IOTLB invalidation with the smallest AM covering the range
//   (domain-selective without CAP.PSI or beyond CAP.MAMV), synchronously (queued with a wait
//   descriptor whose status write the driver polls, or the IOTLB register polled for IVT);
//   deferred: the range is remembered and flush() invalidates the domain once.
//
// Pure C++: the platform side (timed register accesses, CPU stores to memory, polling delay) is
// the host::HostBus the caller supplies.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "host/host_bus.h"
#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "models/vtd/inv_desc.h"
#include "models/vtd/pasid_entry.h"
#include "models/vtd/regs.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/vtd_ss.h"

namespace isim::vtd {

/// What the driver needs from the platform: the shared host bus (src/host/host_bus.h).
using HostBus = host::HostBus;

enum class FlushPolicy : uint8_t { strict, deferred };

struct DriverOptions {
  bool scalable = false;  ///< scalable mode (needs ECAP.SMTS), second-stage PASID entries
  FlushPolicy flush = FlushPolicy::strict;
  unsigned haw = 46;              ///< host address width (from the ACPI DMAR table)
  uint64_t table_base = 0;        ///< memory the driver allocates its structures from
  uint64_t table_limit = 0;       ///< ... up to here
  Tick poll_interval = 100'000;   ///< between register/status polls (100 ns)
  unsigned poll_limit = 100'000;  ///< polls before a command is declared lost
};

/// Counts of what the driver did (the caller may turn them into stats).
struct DriverCounts {
  uint64_t maps = 0;
  uint64_t unmaps = 0;
  uint64_t psi = 0;    ///< page-selective IOTLB invalidations issued
  uint64_t dsi = 0;    ///< domain-selective IOTLB invalidations issued
  uint64_t waits = 0;  ///< invalidation waits completed
};

class VtdDriver {
 public:
  VtdDriver(HostBus& bus, const DriverOptions& opts);
  ~VtdDriver();

  /// Brings the unit up; empty on success, else why not (the unit refused or lacks a feature).
  std::string init();
  const Capabilities& caps() const { return caps_; }
  bool queued() const { return qi_; }

  /// A new domain with empty tables; its domain ID.
  std::optional<uint16_t> create_domain();
  /// Points requester `rid` at domain `did` (RID_PASID 0 in scalable mode).
  bool attach(uint16_t rid, uint16_t did);
  /// Scalable mode: requests of `rid` carrying `pasid` translate through domain `did`'s second
  /// stage (intel_pasid_setup_second_level on a PASID: e.g. a Scalable-IOV assignable
  /// interface). Replaces whatever the PASID was bound to.
  bool attach_pasid(uint16_t rid, uint32_t pasid, uint16_t did);
  /// Pass-through for requester `rid` (identity without tables: legacy TT = 10b, scalable PGTT
  /// = 100b), tagged with domain ID `did`; needs ECAP.PT.
  bool attach_passthrough(uint16_t rid, uint16_t did);
  bool map(uint16_t did, uint64_t iova, uint64_t pa, uint64_t size, bool write);
  /// The root of a domain's second-stage tables (0 if there is no such domain).
  uint64_t domain_root(uint16_t did) const;
  /// Scalable mode: the PASID directory requester `rid`'s context entry points at (0 if none).
  uint64_t pasid_directory(uint16_t rid) const {
    const auto it = pasid_dirs_.find(rid);
    return it == pasid_dirs_.end() ? 0 : it->second;
  }

  // --- Scalable mode: PASID-granular set-ups (intel_svm_bind / intel_pasid_setup_*) ----------
  /// Shared virtual addressing: requests of `rid` with `pasid` translate through the process
  /// page table `fs_root` (IA-32e, 4-level) tagged with domain `did`; `supervisor` sets SRE.
  bool bind_first_stage(uint16_t rid, uint32_t pasid, uint64_t fs_root, uint16_t did,
                        bool supervisor = false);
  /// Nested: a guest's first-stage table at guest-physical `fs_root_gpa` over domain `did`'s
  /// second stage.
  bool bind_nested(uint16_t rid, uint32_t pasid, uint64_t fs_root_gpa, uint16_t did);
  /// Tears a PASID binding down: entry cleared, PASID cache and PASID-based IOTLB flushed.
  bool unbind(uint16_t rid, uint32_t pasid, uint16_t did);
  /// After the process changed its page table: PASID-based IOTLB page-selective flush.
  void flush_pasid_range(uint16_t did, uint32_t pasid, uint64_t va, uint64_t size);
  bool unmap(uint16_t did, uint64_t iova, uint64_t size);
  /// Deferred policy: invalidates every domain with pending unmaps.
  void flush();
  /// Invalidates [iova, iova + size) of domain `did` now (size 0: the whole domain), waiting
  /// for completion; for callers that decide themselves when to invalidate (the DMA API).
  bool invalidate(uint16_t did, uint64_t iova, uint64_t size);

  const DriverCounts& counts() const { return counts_; }

 private:
  struct Domain {
    std::unique_ptr<pt::Builder<pt::VtdSsFormat>> tables;
    bool pending = false;  ///< deferred unmaps not yet invalidated
  };

  uint64_t alloc_page();
  bool wait_gsts(uint32_t bit, bool set);
  void gcmd(uint32_t one_shot);
  /// Submits descriptors followed by a wait with status write and polls the status.
  /// (Descriptors live in the caller's frame, never on the heap: a call suspended in the poll
  /// when a run ends is never unwound.)
  bool submit(std::span<const std::array<uint64_t, 4>> descs);
  bool submit(std::initializer_list<std::array<uint64_t, 4>> descs) {
    return submit(std::span(descs.begin(), descs.size()));
  }
  void flush_context_device(uint16_t rid, uint16_t did);
  void flush_context_global();
  void flush_iotlb(IotlbGran g, uint16_t did, uint64_t addr, unsigned am);
  void flush_range(uint16_t did, uint64_t iova, uint64_t size);
  void flush_domain(uint16_t did);
  uint64_t context_table(uint8_t bus, uint8_t devfn);
  /// Scalable mode: the PASID-table slot of (rid, pasid), creating the context entry, the
  /// directory and the table as needed (0 when out of memory or `pasid` is beyond PDTS 0).
  uint64_t pasid_slot(uint16_t rid, uint32_t pasid);
  bool set_pasid_entry(uint16_t rid, uint32_t pasid, const PasidEntry& pe);

  HostBus* bus_;
  DriverOptions opts_;
  PhysAllocator alloc_;
  Capabilities caps_;
  unsigned agaw_ = 2;
  bool qi_ = false;
  uint64_t root_ = 0;
  uint64_t queue_ = 0;
  uint64_t status_ = 0;  ///< where wait descriptors write their status
  uint32_t status_seq_ = 0;
  uint64_t tail_ = 0;
  uint32_t gcmd_shadow_ = 0;  ///< persistent GCMD bits (TE, QIE), as Linux keeps in gcmd
  std::map<uint16_t, Domain> domains_;
  uint16_t next_did_ = 1;
  std::map<uint16_t, uint64_t> pasid_dirs_;  ///< scalable: PASID directory per requester
  DriverCounts counts_;
};

}  // namespace isim::vtd
