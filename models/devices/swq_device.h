// The `swq` device: a DSA-style accelerator with shared and dedicated work queues, and the host
// software around it, behind a `vtd` IOMMU in scalable mode, an `amdvi` IOMMU or an `smmuv3`.
//
// Host side (run at time 0, through the IOMMU's registers and memory only) on the IOMMU's one
// host driver (shared_host_driver.h), shared with the other host-driven devices behind it. Each
// client is a process with its own address space mapping its source buffer, destination buffer
// and completion records at the SAME virtual addresses as every other client, backed by its own
// physical pages; the process gets a PASID from the allocator (src/pasid, policy a param) and
// its address space is bound to it (shared virtual addressing):
// - VT-d: the process's IA-32e tables (in host page-table memory) are bound with the VT-d
//   driver's bind_first_stage (intel_svm_bind_mm), under one domain ID the device's driver
//   creates; in scalable mode (every swq asks for it);
// - SMMUv3: the process's AArch64 stage-1 tables (4 KiB granule, 48-bit VA: the CPU's) are
//   bound with the SMMUv3 driver's bind_sva, a CD at SubstreamID = PASID holding the process's
//   ASID (arm_smmu_sva_bind); requests without a PASID are terminated (S1DSS);
// - AMD-Vi: each process's tables are a v2 domain built through the domain API
//   (models/amdvi/host_adapter.h) and attached at (RID, PASID) in the device's GCR3 table.
//
// Device side: clients submit 64-byte memory-move descriptors (src/pasid/work_descriptor.h).
// SWQ clients use a deferrable 64-byte store that carries the process's PASID: ENQCMD on x86
// (VT-d, AMD-Vi hosts: the CPU writes IA32_PASID into the descriptor), ST64BV0 on Arm (SMMUv3
// hosts: the CPU writes ACCDATA_EL1, where the kernel keeps the PASID); the queue answers
// Success or Retry, and on Retry the client backs off and resubmits. DWQ clients own a
// dedicated queue whose configured PASID tags their work and submit with MOVDIR64B (x86) or
// ST64B (Arm), never exceeding the queue depth themselves. Engines take descriptors from the
// queues round-robin, spend `descriptor_time`, then DMA source -> destination in chunks that
// never cross a page, tagged with the descriptor's PASID, and write the 32-byte completion
// record (also PASID tagged). A DMA the IOMMU blocks ends the descriptor with status 0x03 (page
// fault, Block On Fault = 0), Bytes Completed and Fault Address. Clients poll their completion
// records. Guest clients (a VM's processes) need the x86 CPU's PASID translation: Arm has no
// counterpart for ACCDATA_EL1, so an smmuv3 host refuses them. Their address spaces are, by
// `guest_tables`, the guest's own IA-32e tables in the VM's memory bound nested over the VM's
// second stage (VT-d PGTT 011b, intel_pasid_setup_nested: what a vIOMMU with nesting gives
// guest SVA), or tables the hypervisor composes GVA -> HPA and binds first-stage (shadowing;
// composed once at set-up: no guest page-table changes happen here). AMD-Vi has one host page
// table per DeviceID, which the host clients' PASIDs share, so it shadows only.
//
// Not modelled: the device's MMIO registers (WQCFG/GRPCFG, portals as MMIO pages: submission is
// a call costing `portal_latency`), batches, Block On Fault with page requests, interrupts,
// fences, priorities and WQ occupancy limits per group.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "host/host_bus.h"
#include "hw/device_base.h"
#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "pagetable/page_table.h"
#include "pasid/allocator.h"
#include "pasid/guest_pasid.h"
#include "pasid/work_queue.h"
#include "sim/params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
class GuestRam;
class SharedHostDriver;

/// How guest clients' address spaces reach the IOMMU.
enum class SwqGuestTables : uint8_t { nested, shadow };

template <>
struct cfg::EnumNames<SwqGuestTables> {
  static constexpr std::pair<SwqGuestTables, std::string_view> table[] = {
      {SwqGuestTables::nested, "nested"},
      {SwqGuestTables::shadow, "shadow"},
  };
};

/// Device shape and timing. Latencies are ESTIMATES (no public DSA timing data is used).
struct SwqParams {
  unsigned swqs = 1;                           ///< shared work queues
  unsigned dwqs = 0;                           ///< dedicated work queues (one client each)
  unsigned wq_depth = 32;                      ///< entries per work queue
  unsigned engines = 4;                        ///< descriptors processed concurrently
  Latency descriptor_time = Latency::ns(100);  ///< per-descriptor engine overhead (estimate)
  Latency portal_latency = Latency::ns(250);   ///< ENQCMD round trip / MOVDIR64B issue (est.)
  uint32_t max_transfer = 1u << 20;            ///< WQCFG maximum transfer size
  uint32_t dma_chunk = 4096;                   ///< bytes per DMA read/write (within a page)
  pasid::Policy pasid_policy = pasid::Policy::global;  ///< system PASID allocation policy
  uint32_t pasid_local_last = 4095;                    ///< partitioned: last RID-local PASID
  uint64_t pool_base = uint64_t{768} << 20;  ///< host driver memory (without host_driver:)
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  Latency mmio_latency = Latency::ns(300);   ///< one uncached register access (estimate)
  cfg::Frequency clock{1000};  ///< CPU clock for latencies written in cycles (estimate)
  Latency poll_interval = Latency::ns(200);  ///< between completion-record polls
  Latency retry_backoff = Latency::ns(500);  ///< client wait after an ENQCMD retry
  pasid::VIommuMode viommu_mode = pasid::VIommuMode::paravirt_global;  ///< guest PASID source
  Latency pasid_translation = Latency::ns(20);    ///< CPU gPASID -> hPASID lookup (estimate)
  Latency hypercall_latency = Latency::ns(2000);  ///< paravirtual PASID allocation (estimate)
  SwqGuestTables guest_tables = SwqGuestTables::nested;  ///< guest clients' tables (VT-d)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    v.param("swqs", swqs, "shared work queues (ENQCMD / ST64BV0)", Range<unsigned>{0, 64});
    v.param("dwqs", dwqs, "dedicated work queues (MOVDIR64B / ST64B, one client each)",
            Range<unsigned>{0, 64});
    v.param("wq_depth", wq_depth, "entries per work queue", Range<unsigned>{1, 4096});
    v.param("engines", engines, "descriptors processed concurrently", Range<unsigned>{1, 64});
    v.param("descriptor_time", descriptor_time, "engine overhead per descriptor");
    v.param("portal_latency", portal_latency, "ENQCMD round trip or MOVDIR64B issue time");
    v.param("max_transfer", max_transfer, "largest transfer size a descriptor may ask for",
            cfg::Unit::bytes);
    v.param("dma_chunk", dma_chunk, "bytes per DMA read/write (never crossing a page)",
            cfg::Unit::bytes, Range<uint32_t>{1, 4096});
    v.param("pasid_policy", pasid_policy,
            "PASID allocation: global, rid_local or partitioned (the platform's pasid: section "
            "wins)");
    v.param("pasid_local_last", pasid_local_last, "partitioned: last RID-local PASID");
    v.param("pool_base", pool_base,
            "host memory for the IOMMU driver and process page tables (the IOMMU's "
            "host_driver: wins; users behind one IOMMU agree)",
            cfg::Unit::address);
    v.param("pool_size", pool_size, "size of that memory", cfg::Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("mmio_latency", mmio_latency, "one uncached IOMMU register access");
    v.param("clock", clock, "CPU clock for latencies written in cycles");
    v.param("poll_interval", poll_interval, "between a client's completion-record polls");
    v.param("retry_backoff", retry_backoff, "client wait after ENQCMD returned Retry");
    v.param("viommu_mode", viommu_mode,
            "how guest clients get PASIDs: guest_local (RID-local, no hypervisor call) or "
            "paravirt_global (a hypercall for a global PASID, gPASID translated)");
    v.param("pasid_translation", pasid_translation,
            "cost of the CPU's gPASID -> hPASID lookup on a guest's ENQCMD");
    v.param("hypercall_latency", hypercall_latency, "paravirtual PASID allocation call");
    v.param("guest_tables", guest_tables,
            "guest clients' address spaces: nested (the guest's tables in VM memory over the "
            "VM's second stage; VT-d) or shadow (the hypervisor composes GVA -> HPA tables)");
  }
};

/// The clients and their work.
struct SwqWorkload {
  unsigned clients = 8;                       ///< processes (the first `dwqs` own a DWQ each)
  unsigned descriptors = 16;                  ///< memory moves per client
  uint32_t size = 4096;                       ///< bytes per move
  unsigned outstanding = 1;                   ///< descriptors a client keeps in flight
  uint64_t va_base = uint64_t{0x7f00} << 32;  ///< where every process maps its buffers
  uint64_t data_base = uint64_t{256} << 20;   ///< physical memory for the clients' buffers
  /// Every Nth descriptor of clients other than client 0 targets a VA only client 0 maps (0:
  /// never): it must fault, proving a PASID reaches only its own address space.
  unsigned probe_every = 0;
  /// The last `guest_clients` clients run in a VM: their IA32_PASID holds a gPASID that the
  /// CPU translates through the VM's PASID translation table.
  unsigned guest_clients = 0;
  /// Every Nth descriptor of a guest client is submitted with a gPASID the VM's table lacks
  /// (0: never): the architected VM exit, nothing reaches the device.
  unsigned untranslated_every = 0;

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    v.param("clients", clients, "client processes", Range<unsigned>{1, 4096});
    v.param("descriptors", descriptors, "memory moves per client", Range<unsigned>{1, 1u << 20});
    v.param("size", size, "bytes per memory move", cfg::Unit::bytes, Range<uint32_t>{1, 1u << 20});
    v.param("outstanding", outstanding, "descriptors a client keeps in flight",
            Range<unsigned>{1, 128});
    v.param("va_base", va_base, "virtual address of every client's buffers", cfg::Unit::address);
    v.param("data_base", data_base, "physical memory for the clients' buffers", cfg::Unit::address);
    v.param("probe_every", probe_every,
            "every Nth descriptor of clients > 0 writes to a VA only client 0 maps (0: never)");
    v.param("guest_clients", guest_clients, "the last N clients run in a VM (gPASIDs)");
    v.param("untranslated_every", untranslated_every,
            "every Nth guest descriptor uses a gPASID the VM has not mapped (0: never)");
  }
  template <class C>
  void validate(C& c) const {
    if (guest_clients > clients) c.fail("guest_clients", "cannot exceed clients");
  }
};

class SwqDevice final : public DeviceBase {
 public:
  SwqDevice(const ComponentSpec& spec, const SwqParams& p, BuildContext& ctx);
  ~SwqDevice() override;

  /// One client process as set up by the host side.
  struct Client {
    uint32_t pasid = 0;
    int dwq = -1;           ///< index of its dedicated queue, or -1 (shared)
    uint64_t src_pa = 0;    ///< physical backing of its source buffer
    uint64_t dst_pa = 0;    ///< ... destination buffer
    uint64_t cr_pa = 0;     ///< ... completion records
    uint64_t done = 0;      ///< descriptors completed successfully
    uint64_t faulted = 0;   ///< descriptors that ended in a page fault
    bool guest = false;     ///< runs in the VM
    uint32_t gpasid = 0;    ///< guest: the PASID the guest uses (translated by the CPU)
    uint64_t vm_exits = 0;  ///< guest: ENQCMDs that failed PASID translation
  };
  const std::vector<Client>& clients() const { return clients_; }
  /// Bytes of each client's source/destination buffer.
  uint64_t buffer_bytes() const;
  /// Whether the host side came up (driver, PASIDs, bindings).
  bool ready() const { return ready_; }

 private:
  /// A latency param in simulated time (cycles count at the `clock` param).
  sc_core::sc_time lat(const Latency& l) const;
  struct Engine;
  void run() override;
  bool set_up_host();
  /// What every binding needs (VT-d: the domain ID; SMMUv3: the process table format; AMD-Vi:
  /// the bare RID's empty v2 domain); false when the driver cannot bind PASIDs.
  bool prepare_binding();
  /// Binds client `i`'s address space (its buffers at va_base) to its PASID.
  bool bind(unsigned i, const Client& c);
  /// Client `i`'s page tables in the CPU's format `f` (leaves ORed with `leaf_extra`), kept
  /// for the run, in `mem` from `pages` (physical memory, or the VM's RAM with the buffers at
  /// their guest-physical addresses); null when they cannot be built.
  pt::PageTable* build_process(const pt::FormatVariant& f, unsigned i, Client c,
                               uint64_t leaf_extra, PhysMem& mem, PhysAllocator& pages);
  /// Whether guest clients bind the guest's own tables nested (VT-d, `guest_tables: nested`).
  bool nested_guests() const;
  /// Bytes of the guest clients' page-table memory in the VM (0 unless nested).
  uint64_t guest_table_bytes() const;
  /// Host-physical start of client `i`'s buffers.
  uint64_t client_base(unsigned i) const;
  /// The VM's RAM and its stage-2 domain mapping GPA 0.. onto the guest clients' buffers and
  /// the guest's table memory.
  bool set_up_vm();
  void client_thread(unsigned i);
  void engine_thread(unsigned e);
  /// The next descriptor, queues served round-robin; false when all are empty.
  bool next_descriptor(pasid::WorkDescriptor* d);
  /// One DMA of `data` at `addr` tagged with `pasid`, by engine `e`.
  bool dma(unsigned e, bool write, uint32_t pasid, uint64_t addr, std::span<uint8_t> data);
  void execute(unsigned e, const pasid::WorkDescriptor& d);

  SwqParams p_;
  SwqWorkload w_;
  SparseMemory& mem_;
  enum class Host : uint8_t { vtd, amdvi, smmuv3 };
  Host host_ = Host::vtd;                     ///< the IOMMU (and so the CPU's ISA)
  std::shared_ptr<SharedHostDriver> shared_;  ///< the IOMMU's one host driver
  pasid::PolicyParams policy_;  ///< this device's params (the platform's `pasid:` wins)
  std::vector<pasid::WorkQueue> wqs_;
  pasid::PasidTranslationTable vm_pasids_;  ///< the VM's gPASID -> hPASID table
  std::vector<Client> clients_;
  std::optional<pt::FormatVariant> process_format_;        ///< VT-d, SMMUv3: processes' tables
  uint16_t vtd_did_ = 0;                                   ///< VT-d: the SVA domain ID
  uint16_t vm_did_ = 0;                                    ///< nested guests: the VM's domain ID
  std::unique_ptr<GuestRam> vm_ram_;                       ///< nested guests: the VM's RAM
  std::unique_ptr<PhysAllocator> vm_pages_;                ///< ... its guest page-table memory
  std::vector<std::unique_ptr<pt::PageTable>> processes_;  ///< their address spaces
  std::vector<std::unique_ptr<Engine>> engines_;
  sc_core::sc_event work_;  ///< a descriptor was queued
  unsigned next_wq_ = 0;
  bool ready_ = false;

  stats::Counter& submitted_;
  stats::Counter& accepted_;
  stats::Counter& retries_;
  stats::Counter& dropped_;
  stats::Counter& completed_;
  stats::Counter& faulted_;
  stats::Counter& bad_descriptors_;
  stats::Counter& bytes_;
  stats::Counter& dma_reads_;
  stats::Counter& dma_writes_;
  stats::Counter& cr_write_faults_;
  stats::Counter& setup_errors_;
  stats::Counter& vm_exits_;
  stats::Counter& hypercalls_;
  stats::Histogram& latency_;
};

/// Registers device type `swq`.
void register_swq_device();

}  // namespace isim
