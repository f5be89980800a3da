// Engines and clients are processes spawned at run time.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/devices/swq_device.h"

#include <systemc>

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "host/host_bus.h"
#include "hw/guest_ram.h"
#include "hw/iommu_base.h"
#include "hw/sc_time_util.h"
#include "models/devices/shared_host_driver.h"
#include "models/smmuv3/host_adapter.h"
#include "models/vtd/host_adapter.h"
#include "pagetable/fmt/arm_lpae.h"
#include "pagetable/fmt/x86_64.h"
#include "pasid/work_descriptor.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

using pasid::CompletionRecord;
using pasid::CompletionStatus;
using pasid::WorkDescriptor;

namespace {

constexpr uint64_t kPage = 4096;
// Linux's SVA binding uses 4-level IA-32e tables (intel_pasid_setup_first_level, FSPM 00b).
constexpr unsigned kFirstStageLevels = 4;
// Armv8 stage-1 descriptor SH[9:8] = 11: inner shareable (Linux PTE_SHARED for user pages).
constexpr uint64_t kArmInnerShareable = uint64_t{3} << 8;

uint64_t round_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

}  // namespace

/// An engine's own transaction (DeviceBase::transport serves one request at a time; engines
/// run concurrently).
struct SwqDevice::Engine {
  tlm::tlm_generic_payload tx;
  DmaAttrs attrs;
  std::vector<uint8_t> buf;
};

SwqDevice::SwqDevice(const ComponentSpec& spec, const SwqParams& p, BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(params_as<SwqWorkload>(spec.workload)),
      mem_(ctx.memory),
      submitted_(stats().counter("submitted", "descriptor submissions (incl. retried)", "count")),
      accepted_(stats().counter("accepted", "descriptors a work queue accepted", "count")),
      retries_(stats().counter("retries", "ENQCMD / ST64BV0 submissions answered Retry", "count")),
      dropped_(
          stats().counter("dropped", "MOVDIR64B / ST64B descriptors a full DWQ dropped", "count")),
      completed_(stats().counter("completed", "descriptors completed successfully", "count")),
      faulted_(stats().counter("faulted", "descriptors ended by a page fault (0x03)", "count")),
      bad_descriptors_(
          stats().counter("bad_descriptors", "descriptors rejected (opcode, size)", "count")),
      bytes_(stats().counter("bytes", "bytes moved", "bytes")),
      dma_reads_(stats().counter("dma_reads", "DMA reads issued", "count")),
      dma_writes_(stats().counter("dma_writes", "DMA writes issued (data + records)", "count")),
      cr_write_faults_(
          stats().counter("cr_write_faults", "completion records the IOMMU blocked", "count")),
      setup_errors_(stats().counter("setup_errors", "host-side set-up failures", "count")),
      vm_exits_(stats().counter(
          "vm_exits", "guest ENQCMDs ending in a PASID translation failure exit (72)", "count")),
      hypercalls_(stats().counter("hypercalls", "paravirtual PASID allocation calls", "count")),
      latency_(stats().histogram("latency",
                                 "descriptor latency, first submission to completion "
                                 "record seen by the client",
                                 "ps")) {
  // Without the platform's `pasid:` section, the policy of this device's params (the IOMMU's
  // allocator takes the platform's when there is one).
  policy_.policy = p.pasid_policy;
  policy_.local_last = p.pasid_local_last;
  const ComponentSpec* io = ctx.config.find_iommu(spec.iommu);
  if (io == nullptr || (io->type != "vtd" && io->type != "amdvi" && io->type != "smmuv3"))
    throw cfg::ConfigError(spec.name +
                           ": swq must sit behind an IOMMU of type vtd, amdvi or smmuv3 ('" +
                           spec.iommu + "' is " + (io ? io->type : std::string("unknown")) + ")");
  host_ = io->type == "amdvi" ? Host::amdvi : io->type == "smmuv3" ? Host::smmuv3 : Host::vtd;
  if (host_ == Host::smmuv3 && w_.guest_clients > 0)
    throw cfg::ConfigError(spec.name +
                           ": workload.guest_clients needs the x86 CPU's PASID translation of "
                           "ENQCMD; an Arm CPU stores ACCDATA_EL1 as the guest wrote it, so an "
                           "smmuv3 host runs host clients only");
  if (p.swqs + p.dwqs == 0) throw cfg::ConfigError(spec.name + ": needs at least one work queue");
  if (w_.clients < p.dwqs)
    throw cfg::ConfigError(spec.name + ": every DWQ needs its client (clients < dwqs)");
  if (p.swqs == 0 && w_.clients > p.dwqs)
    throw cfg::ConfigError(spec.name + ": clients beyond the DWQs need a shared queue");
  if (w_.size > p.max_transfer)
    throw cfg::ConfigError(spec.name + ": workload size exceeds max_transfer");
  shared_ = SharedHostDriver::of(spec, ctx);
  const host::SharedSetup& hs = shared_->setup();
  if (host_ == Host::amdvi && w_.guest_clients > 0 && p.guest_tables == SwqGuestTables::nested)
    throw cfg::ConfigError(spec.name +
                           ": params.guest_tables: nested needs a host page table per PASID; "
                           "AMD-Vi has one per DeviceID, shared with the host clients' PASIDs "
                           "(use shadow)");
  const uint64_t data_end = client_base(w_.clients) + guest_table_bytes();
  if (data_end > ctx.config.memory.size)
    throw cfg::ConfigError(spec.name + ": the clients' buffers are beyond memory.size");
  if (w_.data_base < hs.host_limit && data_end > hs.driver.pool_base)
    throw cfg::ConfigError(spec.name + ": the clients' buffers overlap the host driver pool");
  if (w_.outstanding * pasid::kCompletionBytes > kPage)
    throw cfg::ConfigError(spec.name + ": outstanding records must fit one page");
  for (unsigned e = 0; e < p.engines; ++e) {
    auto eng = std::make_unique<Engine>();
    eng->tx.set_extension(&eng->attrs);
    eng->buf.resize(p.dma_chunk);
    engines_.push_back(std::move(eng));
  }
}

sc_core::sc_time SwqDevice::lat(const Latency& l) const {
  return from_ticks(l.to_ticks(p_.clock.mhz));
}

SwqDevice::~SwqDevice() {
  for (auto& e : engines_) e->tx.clear_extension(&e->attrs);
}

uint64_t SwqDevice::buffer_bytes() const {
  return round_up(uint64_t{w_.size} * w_.descriptors, kPage);
}

uint64_t SwqDevice::client_base(unsigned i) const {
  return w_.data_base + uint64_t{i} * (2 * buffer_bytes() + kPage);
}

bool SwqDevice::nested_guests() const {
  return host_ == Host::vtd && w_.guest_clients > 0 && p_.guest_tables == SwqGuestTables::nested;
}

uint64_t SwqDevice::guest_table_bytes() const {
  if (!nested_guests()) return 0;
  // An upper bound on one process's 4-level IA-32e tables over its mapped span (buffers,
  // records and the probe page): per level, the span over one entry's coverage plus two for
  // unaligned ends; one root.
  const uint64_t span = 2 * buffer_bytes() + 2 * kPage;
  uint64_t pages = 1;
  for (unsigned level = 1; level < kFirstStageLevels; ++level)
    pages += (span >> (12 + 9 * level)) + 2;
  return uint64_t{w_.guest_clients} * pages * kPage;
}

bool SwqDevice::set_up_vm() {
  // The VM's RAM: GPA 0 is the first guest client's buffers; its table memory follows the last.
  const uint64_t vm_base = client_base(w_.clients - w_.guest_clients);
  const uint64_t tables = client_base(w_.clients) - vm_base;
  const uint64_t vm_size = tables + guest_table_bytes();
  vm_ram_ = std::make_unique<GuestRam>(mem_, vm_base, vm_size);
  vm_pages_ = std::make_unique<PhysAllocator>(tables, vm_size);
  DriverLocked lock(*shared_);
  vtd::VtdDriver& drv = shared_->native<vtd::VtdHostAdapter>()->driver();
  const auto did = drv.create_domain();
  if (!did) return false;
  vm_did_ = *did;
  return drv.map(vm_did_, 0, vm_base, vm_size, true);
}

pt::PageTable* SwqDevice::build_process(const pt::FormatVariant& f, unsigned i, Client c,
                                        uint64_t leaf_extra, PhysMem& mem, PhysAllocator& pages) {
  auto mm = pt::make_page_table(f, mem, pages);
  if (!mm) return nullptr;
  if (&mem == vm_ram_.get()) {
    // The guest maps its own (guest-physical) pages.
    c.src_pa -= vm_ram_->base();
    c.dst_pa -= vm_ram_->base();
    c.cr_pa -= vm_ram_->base();
  }
  const uint64_t buf = buffer_bytes();
  const uint64_t va = w_.va_base;
  pt::MapAttrs ro = pt::MapAttrs::ro(), rw = pt::MapAttrs::rw();
  ro.extra = rw.extra = leaf_extra;
  if (mm->map_range(va, c.src_pa, buf, ro) != pt::MapStatus::Ok ||
      mm->map_range(va + buf, c.dst_pa, buf, rw) != pt::MapStatus::Ok ||
      mm->map_range(va + 2 * buf, c.cr_pa, kPage, rw) != pt::MapStatus::Ok)
    return nullptr;
  // Client 0 also maps the page every probe targets: the probe VA exists in no other process.
  if (i == 0 && w_.probe_every &&
      mm->map(va + 2 * buf + kPage, c.dst_pa, kPage, rw) != pt::MapStatus::Ok)
    return nullptr;
  processes_.push_back(std::move(mm));
  return processes_.back().get();
}

bool SwqDevice::prepare_binding() {
  DriverLocked lock(*shared_);
  switch (host_) {
    case Host::vtd: {
      // SVA binds are first-stage PASID entries (intel_svm_bind_mm), which the domain API does
      // not offer; the IOMMU's one driver makes them natively, in scalable mode (every swq asks
      // for it).
      auto* adapter = shared_->native<vtd::VtdHostAdapter>();
      if (adapter == nullptr || !shared_->setup().driver.scalable) return false;
      vtd::VtdDriver& drv = adapter->driver();
      const auto did = drv.create_domain();
      if (!did) return false;
      vtd_did_ = *did;
      auto f = pt::X86Format::create(
          pt::vtd_first_stage_config(kFirstStageLevels, drv.caps().haw, drv.caps().fs1gp));
      if (!f) return false;
      process_format_ = pt::FormatVariant{*f};
      return true;
    }
    case Host::smmuv3: {
      // SVA binds a CD holding the process's own tables and ASID (arm_smmu_sva_bind), which the
      // domain API does not offer either; the tables are in the shape the CD describes.
      auto* adapter = shared_->native<smmuv3::Smmuv3HostAdapter>();
      if (adapter == nullptr || !adapter->driver().ids().s1p) return false;
      auto f = pt::ArmLpaeFormat::create(adapter->driver().sva_config());
      if (!f) return false;
      process_format_ = pt::FormatVariant{*f};
      return true;
    }
    case Host::amdvi: {
      // Each process's IA-32e tables are a v2 domain the driver builds, attached at (RID,
      // PASID) in the device's GCR3 table (48882 2.2.6); the bare RID gets an empty v2 domain
      // (GCR3[0]), as a requester is attached before its PASIDs.
      host::IommuDriver& drv = shared_->driver();
      if (!drv.hw_info().can_page(host::PtFormat::x86_64)) return false;
      host::DomainRequest v2;
      v2.format = host::PtFormat::x86_64;
      const host::DomainResult bare = drv.alloc_domain(v2);
      return bare.status == host::Status::ok && drv.attach(bare.id, rid()) == host::Status::ok;
    }
  }
  return false;
}

bool SwqDevice::bind(unsigned i, const Client& c) {
  const uint64_t buf = buffer_bytes();
  const uint64_t va = w_.va_base;
  switch (host_) {
    case Host::vtd: {
      auto* adapter = shared_->native<vtd::VtdHostAdapter>();
      if (c.guest && nested_guests()) {
        // The guest's tables, walked through the VM's second stage (intel_pasid_setup_nested).
        const pt::PageTable* mm = build_process(*process_format_, i, c, 0, *vm_ram_, *vm_pages_);
        if (mm == nullptr) return false;
        DriverLocked l(*shared_);
        return adapter->driver().bind_nested(rid(), c.pasid, mm->root(), vm_did_);
      }
      const pt::PageTable* mm =
          build_process(*process_format_, i, c, 0, mem_, shared_->host_pages());
      if (mm == nullptr) return false;
      DriverLocked l(*shared_);
      return adapter->driver().bind_first_stage(rid(), c.pasid, mm->root(), vtd_did_);
    }
    case Host::smmuv3: {
      // arm64 user pages: non-global (tagged by the process's ASID), inner shareable.
      const pt::PageTable* mm =
          build_process(*process_format_, i, c, pt::ArmLpaeFormat::kNG | kArmInnerShareable, mem_,
                        shared_->host_pages());
      if (mm == nullptr) return false;
      DriverLocked l(*shared_);
      auto* adapter = shared_->native<smmuv3::Smmuv3HostAdapter>();
      return adapter->driver().bind_sva(rid(), c.pasid, mm->root()).has_value();
    }
    case Host::amdvi: {
      DriverLocked l(*shared_);
      host::IommuDriver& drv = shared_->driver();
      host::DomainRequest v2;
      v2.format = host::PtFormat::x86_64;
      const host::DomainResult d = drv.alloc_domain(v2);
      if (d.status != host::Status::ok) return false;
      const host::Prot ro{true, false}, rw{true, true};
      auto map = [&](uint64_t iova, uint64_t pa, uint64_t size, host::Prot prot) {
        return drv.map(d.id, iova, pa, size, prot) == host::Status::ok;
      };
      if (!map(va, c.src_pa, buf, ro) || !map(va + buf, c.dst_pa, buf, rw) ||
          !map(va + 2 * buf, c.cr_pa, kPage, rw))
        return false;
      if (i == 0 && w_.probe_every && !map(va + 2 * buf + kPage, c.dst_pa, kPage, rw)) return false;
      return drv.attach(d.id, rid(), c.pasid) == host::Status::ok;
    }
  }
  return false;
}

bool SwqDevice::set_up_host() {
  if (!shared_->start().empty()) return false;
  // Each driver call below is one IOMMU-driver operation; other devices' calls interleave.
  const uint64_t buf = buffer_bytes();
  if (!prepare_binding()) return false;
  if (nested_guests() && !set_up_vm()) return false;

  // The platform's allocator (no PASID support: null), this device's PASIDs capped at its
  // IOMMU's width.
  pasid::PasidAllocator* pasids = nullptr;
  pasid::Requester self = 0;
  {
    DriverLocked lock(*shared_);
    pasids = shared_->pasids(policy_, nullptr);
    if (pasids != nullptr) self = shared_->requester(rid());
  }
  if (pasids == nullptr) return false;
  // This device's IOASID sets: other devices' PASIDs never collide.
  const std::string host_set = std::string(name()) + ".host";
  const std::string vm_set = std::string(name()) + ".vm0";
  if (pasids->create_set(host_set, w_.clients) != pasid::Error::none ||
      pasids->create_set(vm_set, w_.guest_clients) != pasid::Error::none)
    return false;
  pasid::VIommuPasids viommu(*pasids, vm_set, self, p_.viommu_mode, vm_pasids_);
  const unsigned first_guest = w_.clients - w_.guest_clients;

  for (unsigned i = 0; i < w_.clients; ++i) {
    Client c;
    const uint64_t base = client_base(i);
    c.src_pa = base;
    c.dst_pa = base + buf;
    c.cr_pa = base + 2 * buf;
    // A recognisable source per client and a cleared destination and record page.
    std::vector<uint8_t> fill(buf);
    for (uint64_t b = 0; b < buf; ++b) fill[b] = static_cast<uint8_t>((i * 131 + b / 8) | 1);
    mem_.write(c.src_pa, fill.data(), buf);
    std::fill(fill.begin(), fill.end(), 0);
    mem_.write(c.dst_pa, fill.data(), buf);
    mem_.write(c.cr_pa, fill.data(), kPage);

    if (i >= first_guest) {
      // The guest numbers its PASIDs from 1; its vIOMMU obtains the host PASID.
      c.guest = true;
      c.gpasid = i - first_guest + 1;
      const uint64_t calls = viommu.hypercalls();
      const pasid::GuestAlloc g = viommu.alloc(c.gpasid);
      for (uint64_t k = calls; k < viommu.hypercalls(); ++k) {
        ++hypercalls_;
        sc_core::wait(lat(p_.hypercall_latency));
      }
      if (!g.ok()) return false;
      c.pasid = g.hpasid;
    } else {
      const pasid::AllocResult r = pasids->policy() == pasid::Policy::rid_local
                                       ? pasids->alloc_local(host_set, self)
                                       : pasids->alloc_global(host_set, self);
      if (!r.ok()) return false;
      c.pasid = r.pasid;
    }
    if (!bind(i, c)) return false;
    if (i < p_.dwqs) c.dwq = static_cast<int>(i);
    clients_.push_back(c);
  }
  for (unsigned q = 0; q < p_.dwqs; ++q)
    wqs_.emplace_back(pasid::WqMode::dedicated, p_.wq_depth, clients_[q].pasid);
  for (unsigned q = 0; q < p_.swqs; ++q) wqs_.emplace_back(pasid::WqMode::shared, p_.wq_depth);
  return true;
}

void SwqDevice::run() {
  if (!set_up_host()) {
    ++setup_errors_;
    return;
  }
  ready_ = true;
  for (unsigned e = 0; e < p_.engines; ++e)
    sc_core::sc_spawn([this, e] { engine_thread(e); }, ("engine" + std::to_string(e)).c_str());
  for (unsigned i = 0; i < w_.clients; ++i)
    sc_core::sc_spawn([this, i] { client_thread(i); }, ("client" + std::to_string(i)).c_str());
}

void SwqDevice::client_thread(unsigned i) {
  Client& c = clients_[i];
  const uint64_t buf = buffer_bytes();
  const uint64_t va = w_.va_base;
  const unsigned shared_queues = p_.swqs;
  // SWQ clients spread over the shared queues; each DWQ client owns its queue.
  pasid::WorkQueue& wq =
      c.dwq >= 0 ? wqs_[c.dwq] : wqs_[p_.dwqs + (i - p_.dwqs) % std::max(1u, shared_queues)];
  std::vector<sc_core::sc_time> started(w_.outstanding);
  std::vector<bool> busy(w_.outstanding, false);
  unsigned issued = 0, finished = 0;

  auto poll_slot = [&](unsigned s) {
    uint8_t status = 0;
    mem_.read(c.cr_pa + s * pasid::kCompletionBytes, &status, 1);
    if (status == static_cast<uint8_t>(CompletionStatus::none)) return false;
    if (status == static_cast<uint8_t>(CompletionStatus::success)) {
      ++c.done;
    } else {
      ++c.faulted;
    }
    latency_.record(to_ticks(sc_core::sc_time_stamp() - started[s]));
    busy[s] = false;
    ++finished;
    return true;
  };

  while (finished < w_.descriptors) {
    // Fill free slots while descriptors remain.
    for (unsigned s = 0; s < w_.outstanding && issued < w_.descriptors; ++s) {
      if (busy[s]) continue;
      const uint8_t zero = 0;
      mem_.write(c.cr_pa + s * pasid::kCompletionBytes, &zero, 1);
      WorkDescriptor d;
      d.opcode = static_cast<uint8_t>(pasid::Opcode::memmove);
      d.flags = pasid::desc_flag::kCompletionAddrValid | pasid::desc_flag::kRequestCompletion;
      d.completion_addr = va + 2 * buf + s * pasid::kCompletionBytes;
      d.src = va + uint64_t{issued} * w_.size;
      d.dst = va + buf + uint64_t{issued} * w_.size;
      d.xfer_size = w_.size;
      const bool probe = w_.probe_every && i > 0 && (issued + 1) % w_.probe_every == 0;
      if (probe) d.dst = va + 2 * buf + kPage;
      started[s] = sc_core::sc_time_stamp();
      busy[s] = true;
      ++issued;
      if (c.dwq >= 0) {
        // MOVDIR64B / ST64B: posted; the client never has more than the queue depth in flight.
        sc_core::wait(lat(p_.portal_latency));
        ++submitted_;
        const auto st = wq.movdir64b(d.encode());
        if (st == pasid::SubmitStatus::accepted) {
          ++accepted_;
          work_.notify(sc_core::SC_ZERO_TIME);
        } else {
          ++dropped_;
        }
        continue;
      }
      // ENQCMD: the CPU puts the process's IA32_PASID into the descriptor; in a guest that is
      // a gPASID the CPU first translates (SDM Vol. 3C PASID translation). ST64BV0 likewise.
      uint32_t pasid_for_device = c.pasid;
      if (c.guest) {
        const bool stray = w_.untranslated_every && issued % w_.untranslated_every == 0;
        // A gPASID beyond every one the VM was given: its table has no entry.
        const uint32_t gpasid = stray ? w_.guest_clients + 1 : c.gpasid;
        sc_core::wait(lat(p_.pasid_translation));
        const pasid::TranslateResult t = vm_pasids_.translate(gpasid, false);
        if (!t.ok) {
          ++vm_exits_;
          ++c.vm_exits;
          busy[s] = false;
          ++finished;
          continue;
        }
        pasid_for_device = t.hpasid;
      }
      // Arm: ST64BV0 with the kernel's ACCDATA_EL1 (the process's PASID) as the first word.
      const pasid::DescriptorBytes bytes =
          host_ == Host::smmuv3
              ? pasid::st64bv0_form(d.encode(), pasid_for_device)
              : *pasid::enqcmd_form(d.encode(), pasid::Ia32Pasid{pasid_for_device, true});
      for (;;) {
        sc_core::wait(lat(p_.portal_latency));
        ++submitted_;
        if (wq.enqcmd(bytes) == pasid::SubmitStatus::accepted) break;
        ++retries_;
        sc_core::wait(lat(p_.retry_backoff));
      }
      ++accepted_;
      work_.notify(sc_core::SC_ZERO_TIME);
    }
    bool any = false;
    for (unsigned s = 0; s < w_.outstanding; ++s)
      if (busy[s] && poll_slot(s)) any = true;
    if (!any) sc_core::wait(lat(p_.poll_interval));
  }
}

bool SwqDevice::next_descriptor(WorkDescriptor* d) {
  for (size_t k = 0; k < wqs_.size(); ++k) {
    pasid::WorkQueue& q = wqs_[(next_wq_ + k) % wqs_.size()];
    if (q.empty()) continue;
    *d = q.pop();
    next_wq_ = static_cast<unsigned>((next_wq_ + k + 1) % wqs_.size());
    return true;
  }
  return false;
}

void SwqDevice::engine_thread(unsigned e) {
  for (;;) {
    WorkDescriptor d;
    while (!next_descriptor(&d)) sc_core::wait(work_);
    sc_core::wait(lat(p_.descriptor_time));
    execute(e, d);
  }
}

bool SwqDevice::dma(unsigned e, bool write, uint32_t pasid, uint64_t addr,
                    std::span<uint8_t> data) {
  Engine& eng = *engines_[e];
  eng.attrs.rid = rid();
  eng.attrs.has_pasid = true;
  eng.attrs.pasid = pasid & DmaAttrs::kPasidMask;
  eng.attrs.priv = false;
  eng.attrs.exec = false;
  eng.attrs.ats = AtsType::untranslated;
  eng.attrs.device = name_;
  eng.attrs.completion = {};
  eng.tx.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  eng.tx.set_address(addr);
  eng.tx.set_data_ptr(data.data());
  eng.tx.set_data_length(static_cast<unsigned>(data.size()));
  eng.tx.set_streaming_width(static_cast<unsigned>(data.size()));
  eng.tx.set_byte_enable_ptr(nullptr);
  eng.tx.set_dmi_allowed(false);
  eng.tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  port->b_transport(eng.tx, delay);
  sc_core::wait(delay);
  ++(write ? dma_writes_ : dma_reads_);
  return eng.tx.is_response_ok();
}

void SwqDevice::execute(unsigned e, const WorkDescriptor& d) {
  CompletionRecord cr;
  if (d.opcode != static_cast<uint8_t>(pasid::Opcode::memmove)) {
    cr.status = CompletionStatus::bad_opcode;
  } else if (d.xfer_size == 0 || d.xfer_size > p_.max_transfer) {
    cr.status = CompletionStatus::xfer_erange;
  } else {
    cr.status = CompletionStatus::success;
    uint32_t done = 0;
    std::vector<uint8_t>& buf = engines_[e]->buf;
    while (done < d.xfer_size) {
      const uint64_t s = d.src + done, t = d.dst + done;
      // A chunk never crosses a page on either side: each page translates on its own.
      const uint64_t n = std::min<uint64_t>(
          {p_.dma_chunk, d.xfer_size - done, kPage - s % kPage, kPage - t % kPage});
      std::span<uint8_t> chunk(buf.data(), n);
      if (!dma(e, false, d.pasid, s, chunk)) {
        cr.status = CompletionStatus::page_fault_nobof;
        cr.fault_addr = s;
        break;
      }
      if (!dma(e, true, d.pasid, t, chunk)) {
        cr.status = CompletionStatus::page_fault_nobof;
        cr.fault_addr = t;
        break;
      }
      done += static_cast<uint32_t>(n);
      bytes_ += n;
    }
    cr.bytes_completed = done;
  }
  if (cr.status == CompletionStatus::success) {
    ++completed_;
  } else if (cr.status == CompletionStatus::page_fault_nobof) {
    ++faulted_;
  } else {
    ++bad_descriptors_;
  }
  using namespace pasid::desc_flag;
  if ((d.flags & kCompletionAddrValid) && (d.flags & kRequestCompletion)) {
    pasid::CompletionBytes b = cr.encode();
    if (!dma(e, true, d.pasid, d.completion_addr, b)) ++cr_write_faults_;
  }
}

void register_swq_device() {
  auto t = make_component_type<DeviceBase, SwqDevice, SwqParams>(
      "swq",
      "DSA-style accelerator with shared (ENQCMD / ST64BV0) and dedicated work queues; client "
      "processes bound to their PASIDs through VT-d or SMMUv3 SVA binding or AMD-Vi v2 domains "
      "at (RID, PASID)");
  t.parse_workload = params_parser<SwqWorkload>();
  t.describe_workload = [] { return cfg::describe_params<SwqWorkload>(); };
  device_types().add(std::move(t));
  register_host_driver_user("swq", [](const ComponentSpec& spec) {
    const auto& p = params_as<SwqParams>(spec.params);
    host::DriverRequest r = driver_request(spec.name, p.pool_base, p.pool_size,
                                           p.mmio_latency.to_ticks(p.clock.mhz), "mmio_latency");
    r.needs_scalable = true;
    r.scalable_why = "SVA binds PASIDs to first-stage tables";
    return std::optional(r);
  });
}

}  // namespace isim
