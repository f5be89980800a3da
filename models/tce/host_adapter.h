// The POWER TCE IOMMU behind the host domain API (src/host/iommu_driver.h), as the IOMMU core of
// a pseries kernel sees it: a PAPR partition never touches TCE tables or TVEs; it asks the
// hypervisor, through the host bus's PAPR interface, with the TCE hcalls and the Dynamic DMA
// Window RTAS calls (behaviour of Linux arch/powerpc/platforms/pseries/iommu.c, and of the VFIO
// sPAPR TCE v2 interface for windows a caller shapes; facts in
// /work/shared/reference/amdvi-tce-traces-iommufd.md section 2).
//
// - hw_info: type tce, the default window (ibm,dma-window), the DDW page sizes, largest block
//   and windows of an ibm,query-pe-dma-window; no nesting, no PASID;
// - paging domains are DMA windows: the default 32-bit window (slot 0, bus 0), or a DDW
//   (slot 1, bus 1 << 59) when the domain asks for a larger window or another page size
//   (DomainRequest::aperture / page_lg2), created with ibm,create-pe-dma-window on attach;
// - identity: Linux's direct DDW: a window covering partition memory with the largest offered
//   page that divides it, filled once with H_PUT_TCE_INDIRECT; DMA address = physical address
//   + the window's start (DomainResult::dma_offset). Refused with the reason when no offered page
//   or the largest block cannot cover memory;
// - blocking: no DDW and every TCE of the default window cleared;
// - nested domains and PASID attachments: not supported (TCE has neither);
// - map / unmap: H_PUT_TCE for one page, H_PUT_TCE_INDIRECT for a run (512-TCE lists in a
//   driver page), H_STUFF_TCE 0 to clear a run; the calls take the model's hcall cost;
// - invalidate: nothing to send. Each hcall returns with the hardware's TCE cache already
//   killed for the TCEs it changed (the hypervisor kills), so unmap is synchronous and no stale
//   translation outlives it.
//
// A domain keeps its TCEs (what the partition put in its windows) so it can be mapped before it
// is attached and be attached to several PEs. TCE translation state belongs to the PE, not to a
// function: attaching one function of a PE moves every function of it.
//
// Attach switches a PE from its old domain to the new one joining first and leaving after,
// each step one hcall or RTAS call that the model applies atomically: the new domain's TCEs are
// stored (over the old ones in place when both use the same window, or into a DDW created in
// the free slot), then the old domain's leftovers are cleared and a DDW it used is removed in
// one call. A DMA therefore always finds the old or the new translation of an address mapped
// in both, and the new domain is complete before the old one starts to go. The exceptions:
// replacing a DDW by a DDW of another geometry, with no free slot, removes the old window before
// the new one exists; so does resetting a PE whose DDW slot an earlier user left taken (both
// counted in `window_gaps`).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/papr_if.h"
#include "hw/phys_allocator.h"

namespace isim::tce {

/// Where the driver's memory is and how it uses the hcalls.
struct AdapterOptions {
  uint64_t pool_base = 0;   ///< driver memory (partition memory): the TCE list page
  uint64_t pool_limit = 0;  ///< ... up to here
  /// Use H_PUT_TCE_INDIRECT / H_STUFF_TCE for runs when firmware offers them (Linux
  /// FW_FEATURE_PUT_TCE_IND / FW_FEATURE_STUFF_TCE); false: one H_PUT_TCE per page.
  bool multi_tce = true;
  /// Largest page a direct (identity) window uses (Linux accepts up to 16 GiB pages).
  unsigned max_direct_page_lg2 = 34;
};

/// What the driver asked of the hypervisor.
struct AdapterCounts {
  uint64_t h_put_tce = 0;
  uint64_t h_put_tce_indirect = 0;
  uint64_t h_stuff_tce = 0;
  uint64_t rtas_calls = 0;
  uint64_t call_errors = 0;  ///< calls that returned a failure status
  uint64_t window_gaps = 0;  ///< a DDW removed (or the PE reset) before its successor existed
  Tick call_time = 0;        ///< time blocked in hcalls and RTAS calls
};

class TceHostAdapter final : public host::IommuDriver {
 public:
  TceHostAdapter(host::HostBus& bus, const AdapterOptions& opts);
  ~TceHostAdapter() override;

  host::Status init(std::string* why = nullptr) override;
  host::HwInfo hw_info() override;
  host::DomainResult alloc_domain(const host::DomainRequest& req) override;
  host::Status attach(host::DomainId domain, uint16_t rid,
                      std::optional<uint32_t> pasid = {}) override;
  host::Status map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                   host::Prot prot) override;
  host::Status unmap(host::DomainId domain, uint64_t iova, uint64_t size) override;
  host::Status invalidate(host::DomainId domain, const host::InvalidateRequest& req) override;

  const AdapterCounts& adapter_counts() const { return acounts_; }

 private:
  /// A window as a domain needs it.
  struct Geometry {
    unsigned slot = 0;  ///< 0: the default window; 1: a DDW
    unsigned page_lg2 = 12;
    unsigned window_lg2 = 30;
    uint64_t base = 0;  ///< first bus address
    bool operator==(const Geometry&) const = default;
    uint64_t size() const { return uint64_t{1} << window_lg2; }
  };
  struct Domain {
    host::DomainType type = host::DomainType::paging;
    Geometry geo;                       ///< paging and identity
    std::map<uint64_t, uint64_t> tces;  ///< window index -> TCE (identity: the direct map)
    std::set<uint32_t> pes;             ///< PEs attached to it
  };
  /// What the driver put in one PE's windows.
  struct Pe {
    PaprDmaInfo info;           ///< of the first function seen (the PE's node)
    host::DomainId domain = 0;  ///< attached domain; 0: the boot state (empty default window)
    bool ddw = false;           ///< a DDW exists in slot 1
    uint64_t ddw_liobn = 0;
    Geometry ddw_geo;
  };
  /// DDW capabilities from ibm,query-pe-dma-window.
  struct Query {
    uint64_t available = 0;
    uint64_t largest = 0;
    uint32_t page_mask = 0;
  };

  host::DomainResult refuse(std::string why);
  Domain* find(host::DomainId id);
  bool uses_ddw(const Domain& d) const;
  PaprResult call(bool rtas, std::string_view name, std::initializer_list<uint64_t> args);
  std::optional<Query> query(const PaprDmaInfo& info);
  /// The PE of `rid` (recorded on first use); nullptr when firmware describes no DMA for it.
  Pe* pe_of(uint16_t rid);
  uint64_t liobn(const Pe& pe, const Geometry& g) const;
  /// Stores `tces` (window index -> TCE) into a PE's window, run by run.
  bool store(uint64_t liobn, const Geometry& g, const std::map<uint64_t, uint64_t>& tces);
  /// Clears the TCEs at `indices` of a PE's window.
  bool clear(uint64_t liobn, const Geometry& g, const std::vector<uint64_t>& indices);
  /// H_PUT_TCE_INDIRECT of `tces` from `ioba` on, in lists of at most 512.
  bool put_indirect(uint64_t liobn, uint64_t ioba, const std::vector<uint64_t>& tces,
                    unsigned page_lg2);
  bool create_ddw(Pe& pe, const Geometry& g);
  bool remove_ddw(Pe& pe);
  /// The identity geometry for this partition, or why there is none.
  std::optional<Geometry> direct_geometry(std::string* why) const;

  host::HostBus& bus_;
  AdapterOptions opts_;
  PhysAllocator pool_;
  PaprInterface* papr_ = nullptr;
  bool up_ = false;
  PaprDmaInfo firmware_;  ///< the bridge's description (of requester 0)
  Query caps_;            ///< DDW capabilities (of requester 0's PE)
  uint64_t tce_list_ = 0;
  std::map<host::DomainId, Domain> domains_;
  std::map<uint32_t, Pe> pes_;
  host::DomainId next_ = 1;
  AdapterCounts acounts_;
};

}  // namespace isim::tce
