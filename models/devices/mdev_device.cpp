// Each mdev's requests run in a process spawned at run time.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/devices/mdev_device.h"

#include <systemc>

#include <algorithm>
#include <string>

#include "hw/sc_time_util.h"
#include "hw/sparse_memory.h"
#include "models/devices/shared_host_driver.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

namespace {

constexpr uint64_t kPage = 4096;

uint64_t round_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

/// A recognisable byte of VM `i`'s source buffer at offset `b` (never zero, so an untouched
/// destination differs from a copied one).
uint8_t source_byte(unsigned i, uint64_t b) {
  return static_cast<uint8_t>((i * 131 + b / 8) | 1);
}

}  // namespace

/// One mdev's own transaction (mdevs issue DMAs concurrently).
struct MdevParentDevice::Engine {
  tlm::tlm_generic_payload tx;
  DmaAttrs attrs;
  std::vector<uint8_t> buf;
};

MdevParentDevice::MdevParentDevice(const ComponentSpec& spec, const MdevParentParams& p,
                                   BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(params_as<MdevWorkload>(spec.workload)),
      mem_(ctx.memory),
      requests_(stats().counter("requests", "requests the VMs submitted", "count")),
      completed_(stats().counter("completed", "requests whose DMAs all completed", "count")),
      bytes_(stats().counter("bytes", "bytes copied", "bytes")),
      probes_(stats().counter("probes", "requests aimed at another mdev's memory", "count")),
      refused_(stats().counter("mediation_refused",
                               "software: requests the mediation layer refused", "count")),
      dma_faults_(stats().counter("dma_faults", "requests with a DMA the IOMMU blocked", "count")),
      pinned_pages_(stats().counter("pinned_pages", "software: guest pages pinned", "count")),
      pin_time_(stats().counter("pin_time", "software: time pinning pages", "ps")),
      mediation_time_(stats().counter("mediation_time",
                                      "software: time in the parent driver (translation, pinning, "
                                      "emulation; excluding the trap)",
                                      "ps")),
      setup_errors_(stats().counter("setup_errors", "host-side set-up failures", "count")),
      latency_(stats().histogram("latency", "per request: submission to DMAs done", "ps")),
      active_time_(stats().scalar("active_time", "when the last request completed", "ps")) {
  // Without the platform's `pasid:` section, the policy of this device's params (the IOMMU's
  // allocator takes the platform's when there is one).
  policy_.policy = p.pasid_policy;
  policy_.local_last = p.pasid_local_last;
  const ComponentSpec* io = ctx.config.find_iommu(spec.iommu);
  if (io == nullptr) throw cfg::ConfigError(spec.name + ": no IOMMU named '" + spec.iommu + "'");
  if (io->type != "vtd" && io->type != "amdvi" && io->type != "smmuv3")
    throw cfg::ConfigError(spec.name +
                           ": mdev-parent has drivers for vtd, amdvi and smmuv3 IOMMUs, not '" +
                           io->type + "'");
  if (w_.size > buffer_bytes())
    throw cfg::ConfigError(spec.name + ": workload size exceeds the buffer");
  const uint64_t mem = ctx.config.memory.size;
  shared_ = SharedHostDriver::of(spec, ctx);
  const host::SharedSetup& hs = shared_->setup();
  const uint64_t data_end = w_.data_base + uint64_t{p.mdevs} * vm_bytes();
  if (w_.data_base % kPage || w_.gpa_base % kPage)
    throw cfg::ConfigError(spec.name + ": data_base and gpa_base must be page aligned");
  if (data_end > mem) throw cfg::ConfigError(spec.name + ": the VMs' memory is beyond memory.size");
  if (w_.data_base < hs.host_limit && data_end > hs.driver.pool_base)
    throw cfg::ConfigError(spec.name + ": the VMs' memory overlaps the host driver pool");
  // A probe names mdev 0's destination by its host-physical address; that must not also be a
  // guest-physical address the VMs own, or the probe would be an ordinary request.
  const uint64_t probe = w_.data_base + buffer_bytes();
  if (w_.probe_every && probe + buffer_bytes() > w_.gpa_base && probe < w_.gpa_base + vm_bytes())
    throw cfg::ConfigError(spec.name +
                           ": gpa_base overlaps the host-physical memory of the VMs; probes "
                           "would name guest memory");
  for (unsigned i = 0; i < p.mdevs; ++i) {
    auto eng = std::make_unique<Engine>();
    eng->tx.set_extension(&eng->attrs);
    eng->buf.resize(p.dma_chunk);
    engines_.push_back(std::move(eng));
  }
  stats().formula("throughput", "bytes copied over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
}

MdevParentDevice::~MdevParentDevice() {
  for (auto& e : engines_) e->tx.clear_extension(&e->attrs);
}

uint64_t MdevParentDevice::buffer_bytes() const {
  return round_up(uint64_t{w_.size} * w_.requests, kPage);
}

sc_core::sc_time MdevParentDevice::cost(const cfg::TimeValue& t) const {
  return from_ticks(t.ps);
}

bool MdevParentDevice::set_up_host() {
  if (!shared_->start().empty()) return false;
  DriverLocked lock(*shared_);
  host::IommuDriver& drv = shared_->driver();
  const host::HwInfo info = drv.hw_info();
  const uint64_t vm = vm_bytes();
  for (unsigned i = 0; i < p_.mdevs; ++i) {
    Mdev m;
    m.hpa = w_.data_base + uint64_t{i} * vm;
    mdevs_.push_back(m);
  }
  if (p_.isolation == MdevIsolation::software) {
    // The parent DMAs with its own RID only: one domain for all mdevs.
    host::DomainRequest r;
    if (p_.parent_domain == MdevParentDomain::identity) {
      r.type = host::DomainType::identity;
    } else {
      r.format = info.paging_formats.empty() ? host::PtFormat::vtd_second_stage
                                             : info.paging_formats.front();
    }
    const host::DomainResult d = drv.alloc_domain(r);
    if (d.status != host::Status::ok) return false;
    parent_domain_ = d.id;
    return drv.attach(parent_domain_, rid()) == host::Status::ok;
  }
  pasid::PasidAllocator* pasids = shared_->pasids(policy_, nullptr);
  if (pasids == nullptr) return false;
  const pasid::Requester self = shared_->requester(rid());
  // One IOASID set per parent on the platform's allocator: other devices' PASIDs never collide.
  const std::string set = std::string(name()) + ".mdevs";
  if (pasids->create_set(set, p_.mdevs) != pasid::Error::none) return false;
  // A PASID-granular domain in the format a PASID entry takes (HwInfo::pasid_format): VT-d
  // second-stage tables on a scalable-mode PASID entry, AMD-Vi v2 (x86-64) tables in the GCR3
  // table, an SMMUv3 stage-1 table in a CD at the SubstreamID.
  const std::optional<host::PtFormat> fmt = info.pasid_format();
  if (!fmt) return false;
  const bool amd = info.vendor == host::Vendor::amd_vi;
  host::DomainRequest r;
  r.format = *fmt;
  // Untagged requests from the parent reach nothing: it does no DMA of its own here (VT-d: a
  // blocking domain; SMMUv3: an S1 STE with S1DSS = terminate once CDs are attached; AMD-Vi:
  // an empty v2 domain, GCR3[0], since a blocking DTE has no GCR3 table and v1 host tables
  // under it would nest).
  host::DomainRequest block = r;
  if (!amd) block.type = host::DomainType::blocking;
  const host::DomainResult bd = drv.alloc_domain(block);
  if (bd.status != host::Status::ok || drv.attach(bd.id, rid()) != host::Status::ok) return false;
  for (Mdev& m : mdevs_) {
    const pasid::AllocResult a = pasids->policy() == pasid::Policy::rid_local
                                     ? pasids->alloc_local(set, self)
                                     : pasids->alloc_global(set, self);
    if (!a.ok()) return false;
    m.pasid = a.pasid;
    const host::DomainResult d = drv.alloc_domain(r);
    if (d.status != host::Status::ok) return false;
    m.domain = d.id;
    // The VM's whole memory at IOVA = GPA, pinned when the VM starts (VFIO_IOMMU_MAP_DMA).
    if (drv.map(m.domain, w_.gpa_base, m.hpa, vm, {}) != host::Status::ok) return false;
    if (drv.attach(m.domain, rid(), m.pasid) != host::Status::ok) return false;
  }
  return true;
}

void MdevParentDevice::run() {
  const uint64_t buf = buffer_bytes();
  if (!set_up_host()) {
    ++setup_errors_;
    return;
  }
  std::vector<uint8_t> fill(buf);
  for (unsigned i = 0; i < p_.mdevs; ++i) {
    for (uint64_t b = 0; b < buf; ++b) fill[b] = source_byte(i, b);
    mem_.write(mdevs_[i].hpa, fill.data(), buf);
    std::fill(fill.begin(), fill.end(), 0);
    mem_.write(mdevs_[i].hpa + buf, fill.data(), buf);
  }
  ready_ = true;
  for (unsigned i = 0; i < p_.mdevs; ++i)
    sc_core::sc_spawn([this, i] { mdev_thread(i); }, ("mdev" + std::to_string(i)).c_str());
}

bool MdevParentDevice::mediate(unsigned i, uint64_t gpa, uint64_t len, uint64_t* hpa) {
  const Mdev& m = mdevs_[i];
  const uint64_t vm = vm_bytes();
  for (uint64_t page = gpa / kPage * kPage; page < gpa + len; page += kPage) {
    // vfio_pin_pages: GPA -> HVA -> HPA through the VM's memory map; a page outside it is not
    // the VM's to give (another mdev's, or nobody's).
    sc_core::wait(cost(p_.translate_cost));
    if (page < w_.gpa_base || page - w_.gpa_base >= vm) return false;
    const uint64_t hpage = m.hpa + (page - w_.gpa_base);
    if (pinned_.insert(hpage / kPage).second) {
      sc_core::wait(cost(p_.pin_cost));
      pin_time_ += p_.pin_cost.ps;
      ++pinned_pages_;
      if (p_.parent_domain == MdevParentDomain::pinned) {
        DriverLocked lock(*shared_);
        if (shared_->driver().map(parent_domain_, hpage, hpage, kPage, {}) != host::Status::ok)
          return false;
      }
    }
  }
  *hpa = m.hpa + (gpa - w_.gpa_base);
  return true;
}

void MdevParentDevice::mdev_thread(unsigned i) {
  Mdev& m = mdevs_[i];
  const uint64_t buf = buffer_bytes();
  const uint64_t probe_target = mdevs_[0].hpa + buf;
  for (unsigned k = 0; k < w_.requests; ++k) {
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    uint64_t src = w_.gpa_base + uint64_t{k} * w_.size;
    uint64_t dst = w_.gpa_base + buf + uint64_t{k} * w_.size;
    const bool probe = w_.probe_every && i > 0 && (k + 1) % w_.probe_every == 0;
    if (probe) {
      dst = probe_target;
      ++probes_;
    }
    ++requests_;
    if (p_.isolation == MdevIsolation::software) {
      sc_core::wait(cost(p_.trap_cost));
      driver_lock_.lock();
      const sc_core::sc_time in = sc_core::sc_time_stamp();
      uint64_t hsrc = 0, hdst = 0;
      bool ok = mediate(i, src, w_.size, &hsrc);
      if (ok && probe && w_.unmediated_probes) {
        hdst = dst;  // the bug: a guest-supplied address reaches the device untranslated
      } else if (ok) {
        ok = mediate(i, dst, w_.size, &hdst);
      }
      sc_core::wait(cost(p_.mediation_cost));
      mediation_time_ += to_ticks(sc_core::sc_time_stamp() - in);
      driver_lock_.unlock();
      if (!ok) {
        ++refused_;
        ++m.refused;
        continue;
      }
      src = hsrc;
      dst = hdst;
    } else {
      sc_core::wait(cost(p_.submit_cost));
    }
    sc_core::wait(cost(p_.request_time));
    if (copy(i, src, dst, w_.size)) {
      ++completed_;
      ++m.completed;
    } else {
      ++dma_faults_;
      ++m.faulted;
    }
    latency_.record(to_ticks(sc_core::sc_time_stamp() - t0));
    active_time_.set(static_cast<double>(to_ticks(sc_core::sc_time_stamp())));
  }
}

bool MdevParentDevice::copy(unsigned i, uint64_t src, uint64_t dst, uint64_t len) {
  std::vector<uint8_t>& buf = engines_[i]->buf;
  uint64_t done = 0;
  while (done < len) {
    const uint64_t s = src + done, t = dst + done;
    // A chunk never crosses a page on either side: each page translates on its own.
    const uint64_t n =
        std::min<uint64_t>({p_.dma_chunk, len - done, kPage - s % kPage, kPage - t % kPage});
    std::span<uint8_t> chunk(buf.data(), n);
    if (!dma(i, false, s, chunk) || !dma(i, true, t, chunk)) return false;
    done += n;
    bytes_ += n;
  }
  return true;
}

bool MdevParentDevice::dma(unsigned i, bool write, uint64_t addr, std::span<uint8_t> data) {
  Engine& eng = *engines_[i];
  eng.attrs.rid = rid();
  // Software mediation: every DMA is the parent's own (RID only). Scalable IOV: the mdev's
  // PASID in a PASID TLP prefix.
  eng.attrs.has_pasid = p_.isolation == MdevIsolation::pasid;
  eng.attrs.pasid = eng.attrs.has_pasid ? mdevs_[i].pasid & DmaAttrs::kPasidMask : 0;
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
  return eng.tx.is_response_ok();
}

void register_mdev_parent_device() {
  auto t = make_component_type<DeviceBase, MdevParentDevice, MdevParentParams>(
      "mdev-parent",
      "a parent function shared by mediated devices, isolated by software mediation (pin and "
      "translate, parent RID) or by PASIDs (Scalable IOV), through the IOMMU's domain API "
      "(vtd, amdvi, smmuv3)");
  t.parse_workload = params_parser<MdevWorkload>();
  t.describe_workload = [] { return cfg::describe_params<MdevWorkload>(); };
  device_types().add(std::move(t));
  register_host_driver_user("mdev-parent", [](const ComponentSpec& spec) {
    const auto& p = params_as<MdevParentParams>(spec.params);
    host::DriverRequest r = driver_request(spec.name, p.pool_base, p.pool_size, p.mmio_cost.ps);
    // Both isolation modes run on the same hardware mode, so that they compare like for like;
    // PASID attach needs it.
    r.needs_scalable = true;
    r.scalable_why = "it attaches domains at PASIDs";
    return std::optional(r);
  });
}

}  // namespace isim
