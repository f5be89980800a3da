// The Intel VT-d DMA-remapping unit as a SystemC model (type `vtd`): the architected register
// file, DMA translation through the functional Translator (translator.h) with caches between
// its steps, primary fault logging with fault events, register-based and queued invalidation.
//
// Can do: every register of 11.4 that the capabilities call for, at its architected offset
// (CAP.FRO / ECAP.IRO placements included); GCMD TE/SRTP/QIE/WBF with GSTS acknowledging after
// `command`; legacy and scalable mode through context cache -> PASID cache -> IOTLB ->
// paging-structure caches -> walk, every cache stale until software invalidates it; walks and
// structure reads charged through `downstream` on a walker pool; primary fault recording with
// FPD, PPF/PFO/FRI and the fault-event MSI; CCMD and IOTLB-register invalidation (global,
// domain, device/page-selective with AM and IH); the invalidation queue with every descriptor
// type, per-descriptor cost, IQE with IQH left at the bad descriptor, wait descriptors with
// status write, interrupt (ICS.IWC, IECTL MSI) and fence; ATS translation requests answered
// from the translator.
// Also: identical in-flight IOTLB misses merged (src/hw/inflight.h); a cache of second-stage
// translations of first-stage table pointers for nested walks; device-TLB invalidations sent
// to the device (the descriptor completes with its completion); page requests into the page
// request queue with its event; page group responses sent to the device.
// Can't do (see SPEC_COVERAGE.md): interrupt remapping, advanced fault logging, PMRs,
// accessed/dirty updates, page-request private data, ITE/ICE (device-TLB invalidations never
// time out or fail).
//
// Timing: a DMA pays a lookup per cache consulted; each miss reads memory through the
// downstream socket (root/context/PASID structures and page-table entries, `walk_read` each)
// on one of `walkers` walkers. Register commands complete after their latency (an SC_METHOD
// applies them then); the invalidation queue is an SC_THREAD that fetches each descriptor
// through `downstream` and waits for its cost, so a wait descriptor's status write lands after
// everything before it.
#pragma once

#include <memory>
#include <optional>

#include "hw/cache/set_assoc_cache.h"
#include "hw/inflight.h"
#include "hw/iommu_base.h"
#include "hw/pcie_msg.h"
#include "hw/reg_bank.h"
#include "hw/resource_pool.h"
#include "hw/translated_dma.h"
#include "models/vtd/fault_recorder.h"
#include "models/vtd/inv_desc.h"
#include "models/vtd/translator.h"
#include "models/vtd/vtd_caches.h"
#include "models/vtd/vtd_params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
class VtdStats;

class VtdIommu final : public IommuBase {
 public:
  SC_HAS_PROCESS(VtdIommu);
  VtdIommu(const ComponentSpec& spec, const VtdIommuParams& p, BuildContext& ctx);
  ~VtdIommu() override;
  uint64_t mmio_size() const override { return p_.caps.mmio_size(); }
  /// 7.5: a page request from a device goes into the page request queue (or is answered at
  /// once when it cannot be queued).
  bool page_request(const PageRequest& pr, sc_core::sc_time& delay) override;

 private:
  // --- DMA ---------------------------------------------------------------------------------
  void dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  unsigned dma_debug(int port, tlm::tlm_generic_payload& tx) override;
  /// Translates one request through the caches; walks charge their reads to `delay`.
  vtd::Result translate(const vtd::Request& req, sc_core::sc_time& delay);
  /// Reads of `log` from index `from` on, through downstream on a walker.
  void charge(const pt::WalkLog& log, unsigned from, sc_core::sc_time& delay);
  void answer_translation_request(const vtd::Request& req, tlm::tlm_generic_payload& tx,
                                  sc_core::sc_time& delay);
  std::optional<pt::WalkStart> psc_lookup(const vtd::SpaceTag& tag, bool first_stage, unsigned top,
                                          uint64_t va);
  template <class Fmt>
  void psc_fill(const Fmt& fmt, const vtd::SpaceTag& tag, bool first_stage, uint64_t va,
                const pt::WalkLog& log, unsigned from, uint8_t stage, pt::Perms perms);

  // --- Faults and events -----------------------------------------------------------------------
  void report_fault(const vtd::Fault& f, sc_core::sc_time& delay);
  /// 7.3: a fault event: MSI to FEADDR/FEDATA when FECTL.IM is clear, else FECTL.IP.
  void fault_event(sc_core::sc_time& delay);
  void invalidation_event(sc_core::sc_time& delay);
  void send_msi(RegBank::RegId data, RegBank::RegId addr, RegBank::RegId uaddr,
                sc_core::sc_time& delay);
  void write32(uint64_t pa, uint32_t v, sc_core::sc_time& delay);

  // --- Registers -------------------------------------------------------------------------------
  void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  void attach_hooks();
  void on_gcmd(const RegWrite& w);
  void gcmd_done();
  void ccmd_done();
  void iotlb_reg_done();
  bool register_invalidation_allowed() const;

  // --- Invalidation (vtd_invalidation.cpp) -----------------------------------------------------
  void on_iqt(const RegWrite& w);
  void iq_thread();
  /// Simulated time one descriptor takes (params).
  Tick cost_of(const vtd::InvDescriptor& d) const;
  /// Applies one descriptor: cache invalidation, a message to a device, or a wait's status
  /// write and interrupt. Returns when the device's completion arrives (absolute ps; 0: no
  /// device involved).
  Tick execute(const vtd::InvDescriptor& d, sc_core::sc_time& delay);
  void send_page_response(uint16_t rid, bool has_pasid, uint32_t pasid, uint16_t group,
                          PrgResponseCode code, Tick now);
  void iq_error(vtd::Iqei e, sc_core::sc_time& delay);
  void inv_context(vtd::CcGran g, uint16_t did, uint16_t sid, unsigned fm);
  void inv_iotlb(vtd::IotlbGran g, uint16_t did, uint64_t addr, unsigned am, bool ih);
  void inv_pasid_iotlb(vtd::PiotlbGran g, uint16_t did, uint32_t pasid, uint64_t addr, unsigned am,
                       bool ih);
  void inv_pasid_cache(vtd::PcGran g, uint16_t did, uint32_t pasid);
  void invalidate_all_caches();

  Tick lat(const Latency& l) const { return l.to_ticks(p_.clock.mhz); }
  Tick now_plus(const sc_core::sc_time& delay) const;
  vtd::UnitState state() const { return {rtaddr_, te_}; }
  bool scalable() const { return vtd::rtaddr::ttm(rtaddr_) == vtd::Ttm::Scalable; }

  VtdIommuParams p_;
  /// lat(p_.cache_lookup), lat(p_.walk_read) and lat(p_.walk_mem_latency) as sc_time, converted
  /// once: every request adds the first (a cycle count to ticks is a floating-point division).
  sc_core::sc_time cache_lookup_t_, walk_read_t_, walk_mem_t_;
  PhysMem& mem_;
  vtd::Translator translator_;
  RegBank bank_;
  vtd::RegIds ids_;
  vtd::FaultRecorder faults_;
  ResourcePool walkers_;

  SetAssocCache<vtd::ContextKey, vtd::DeviceContext> ctx_cache_;
  SetAssocCache<vtd::PasidKey, vtd::PasidContext> pasid_cache_;
  SetAssocCache<vtd::IotlbKey, vtd::IotlbEntry> iotlb_;
  SetAssocCache<vtd::PscKey, vtd::PscEntry> ss_psc_;
  SetAssocCache<vtd::PscKey, vtd::PscEntry> fs_psc_;
  vtd::NestedPointerCache nested_s2_;
  InflightTable<vtd::MissKey, vtd::MissKeyHash> inflight_;

  // Latched state (11.4.4-11.4.6): RTADDR as of the last SRTP, GSTS.TES.
  uint64_t rtaddr_ = 0;
  bool te_ = false;
  uint32_t gcmd_pending_ = 0;  // the GCMD value whose effect gcmd_done() applies
  bool gcmd_pending_valid_ = false;
  sc_core::sc_event gcmd_ev_, ccmd_ev_, iotlb_ev_, iq_ev_;

  sc_core::sc_time* mmio_delay_ = nullptr;  // the access in progress, for register hooks
  std::unique_ptr<VtdStats> st_;
  std::vector<DmaPiece> pieces_;  // reused by every DMA: no allocation per request
};

/// Registers type `vtd`.
void register_vtd_iommu();

}  // namespace isim
