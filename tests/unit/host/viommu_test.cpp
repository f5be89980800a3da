// The vIOMMU strategies over a functional fake IOMMU (real tables in memory, a real walk, an
// IOTLB kept until invalidated): nested and shadow translate alike for the same guest tables,
// nesting refused by the host falls back to shadowing, what a guest that skips an invalidation
// gets in each mode, and what each strategy costs.
#include "host/viommu.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/rng.h"
#include "hw/sparse_memory.h"
#include "pagetable/page_table.h"

namespace isim::host {
namespace {

constexpr uint16_t kRid = 0x0100;
constexpr uint64_t kPage = 4096;

class FakeBus final : public HostBus {
 public:
  explicit FakeBus(PhysMem& mem) : mem_(mem) {}
  uint64_t mmio_read(uint32_t, unsigned) override { return 0; }
  void mmio_write(uint32_t, unsigned, uint64_t) override {}
  PhysMem& memory() override { return mem_; }
  void pause(Tick ps) override { now_ += ps; }
  Tick now() const override { return now_; }

 private:
  PhysMem& mem_;
  Tick now_ = 0;
};

/// A second-stage-only IOMMU with nesting of `nest` formats: its driver and its hardware side
/// (translate() walks and caches as an IOMMU would).
class FakeIommu final : public IommuDriver {
 public:
  struct Hit {
    uint64_t pa;
    bool write;
    bool operator==(const Hit&) const = default;
  };

  FakeIommu(PhysMem& mem, std::vector<PtFormat> nest)
      : mem_(mem), alloc_(0x4000'0000, 0x5000'0000), nest_(std::move(nest)) {}

  Status init(std::string*) override { return Status::ok; }
  HwInfo hw_info() override {
    HwInfo h;
    h.paging_formats = {PtFormat::vtd_second_stage};
    h.nest_formats = nest_;
    return h;
  }
  DomainResult alloc_domain(const DomainRequest& r) override {
    Domain d;
    d.type = r.type;
    if (r.type == DomainType::nested) {
      if (!hw_info().can_nest(r.format)) {
        ++counts_.refused;
        return {Status::not_supported, 0, "cannot nest " + std::string(to_string(r.format))};
      }
      if (!domains_.count(r.parent)) return {Status::invalid, 0, "no parent"};
      d.parent = r.parent;
      d.s1_root = r.s1_root;
    } else if (r.type == DomainType::paging) {
      if (r.format != PtFormat::vtd_second_stage) {
        ++counts_.refused;
        return {Status::not_supported, 0, "second stage only"};
      }
      d.table = pt::make_page_table(pt::VtdSsFormat(), mem_, alloc_);
    }
    domains_[next_] = std::move(d);
    ++counts_.domains;
    return {Status::ok, next_++, {}};
  }
  Status attach(DomainId d, uint16_t rid, std::optional<uint32_t>) override {
    if (!domains_.count(d)) return Status::invalid;
    attached_[rid] = d;
    ++counts_.attaches;
    return Status::ok;
  }
  Status map(DomainId d, uint64_t iova, uint64_t pa, uint64_t size, Prot prot) override {
    auto it = domains_.find(d);
    if (it == domains_.end() || !it->second.table) return Status::invalid;
    pt::MapAttrs a;
    a.write = prot.write;
    if (it->second.table->map_range(iova, pa, size, a) != pt::MapStatus::Ok) return Status::invalid;
    ++counts_.maps;
    return Status::ok;
  }
  Status unmap(DomainId d, uint64_t iova, uint64_t size) override {
    auto it = domains_.find(d);
    if (it == domains_.end() || !it->second.table) return Status::invalid;
    if (!it->second.table->unmap(iova, size).ok()) return Status::invalid;
    ++counts_.unmaps;
    return Status::ok;
  }
  Status invalidate(DomainId d, const InvalidateRequest& r) override {
    if (!domains_.count(d)) return Status::invalid;
    for (auto it = iotlb_.begin(); it != iotlb_.end();) {
      const auto& [dom, page] = it->first;
      const bool in = dom == d && (r.size == 0 || (page >= r.iova && page < r.iova + r.size));
      it = in ? iotlb_.erase(it) : std::next(it);
    }
    ++counts_.invalidations;
    return Status::ok;
  }

  /// The hardware: what a DMA from `rid` at `iova` reaches (nullopt: a fault).
  std::optional<Hit> translate(uint16_t rid, uint64_t iova, bool write = false) {
    const DomainId d = attached_.at(rid);
    const auto key = std::make_pair(d, iova & ~(kPage - 1));
    auto hit = iotlb_.find(key);
    if (hit == iotlb_.end()) {
      const pt::WalkResult r = walk(d, iova);
      if (!r.ok()) return std::nullopt;
      ++walks;
      hit =
          iotlb_.emplace(key, Hit{r.tr.oa & ~(kPage - 1), r.tr.perms.any(pt::Perms::kWrite)}).first;
    }
    if (write && !hit->second.write) return std::nullopt;
    return Hit{hit->second.pa | (iova & (kPage - 1)), hit->second.write};
  }
  uint64_t walks = 0;

 private:
  struct Domain {
    DomainType type = DomainType::paging;
    std::unique_ptr<pt::PageTable> table;
    DomainId parent = 0;
    uint64_t s1_root = 0;
  };
  pt::WalkResult walk(DomainId d, uint64_t iova) {
    const Domain& dom = domains_.at(d);
    if (dom.type != DomainType::nested) return dom.table->translate(iova, pt::AccessReq{}, {});
    const pt::PageTable& s2 = *domains_.at(dom.parent).table;
    pt::WalkStart s1;
    s1.table = dom.s1_root;
    pt::WalkStart s2_root;
    s2_root.table = s2.root();
    return pt::walk_nested(pt::X86Format(pt::vtd_first_stage_config(4, 48, true)), s2.format(),
                           mem_, s1, s2_root, iova, pt::AccessReq{});
  }

  PhysMem& mem_;
  PhysAllocator alloc_;
  std::vector<PtFormat> nest_;
  std::map<DomainId, Domain> domains_;
  std::map<uint16_t, DomainId> attached_;
  std::map<std::pair<DomainId, uint64_t>, Hit> iotlb_;
  DomainId next_ = 1;
};

ViommuParams params(ViommuMode m, GuestIommu g = GuestIommu::vtd) {
  ViommuParams p;
  p.mode = m;
  p.guest = g;
  p.ram_size = uint64_t{64} << 20;
  p.ram_hpa = uint64_t{256} << 20;
  p.table_base = uint64_t{48} << 20;
  p.table_size = uint64_t{4} << 20;
  return p;
}

/// One VM with its vIOMMU over its own host.
struct Vm {
  explicit Vm(const ViommuParams& p, std::vector<PtFormat> nest = {PtFormat::x86_64})
      : mem(uint64_t{2} << 30), bus(mem), iommu(mem, std::move(nest)), viommu(iommu, bus, p) {
    const std::string why = viommu.setup(kRid);
    EXPECT_EQ(why, "");
  }
  std::optional<FakeIommu::Hit> dma(uint64_t iova, bool write = false) {
    return iommu.translate(kRid, iova, write);
  }
  SparseMemory mem;
  FakeBus bus;
  FakeIommu iommu;
  Viommu viommu;
};

/// A random guest workload: ranges of 1..8 pages, read-only or writable, at random GPAs (some
/// outside guest RAM), some unmapped again. Deterministic per seed.
struct Op {
  bool map;
  uint64_t iova, gpa, size;
  bool write;
};
std::vector<Op> guest_ops(uint64_t seed, uint64_t ram) {
  Rng rng(seed, "viommu-test");
  std::vector<Op> ops;
  std::vector<Op> live;
  for (uint64_t i = 0; i < 200; ++i) {
    if (!live.empty() && rng.uniform() < 0.3) {
      const size_t k = rng.below(live.size());
      ops.push_back({false, live[k].iova, 0, live[k].size, false});
      live.erase(live.begin() + static_cast<long>(k));
      continue;
    }
    const uint64_t pages = 1 + rng.below(8);
    const uint64_t iova = (uint64_t{1} << 32) + i * 16 * kPage;
    // One in ten outside guest RAM: hardware faults at stage 2, the shadow must not map it.
    const uint64_t gpa =
        rng.uniform() < 0.1 ? ram + rng.below(64) * kPage : rng.below(ram / kPage - pages) * kPage;
    Op op{true, iova, gpa, pages * kPage, rng.uniform() < 0.7};
    ops.push_back(op);
    live.push_back(op);
  }
  return ops;
}

void run_ops(Vm& vm, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    if (op.map)
      EXPECT_EQ(vm.viommu.map(op.iova, op.gpa, op.size, Prot{true, op.write}), Status::ok);
    else
      EXPECT_EQ(vm.viommu.unmap(op.iova, op.size), Status::ok);
  }
}

TEST(Viommu, NestedShadowAndParavirtTranslateAlike) {
  const ViommuParams base = params(ViommuMode::nested);
  Vm nested(base);
  Vm shadow(params(ViommuMode::shadow));
  Vm pv(params(ViommuMode::paravirt));
  ASSERT_EQ(nested.viommu.mode(), ViommuMode::nested);
  ASSERT_EQ(shadow.viommu.mode(), ViommuMode::shadow);
  const std::vector<Op> ops = guest_ops(7, base.ram_size);
  run_ops(nested, ops);
  run_ops(shadow, ops);
  // The paravirtual guest cannot name a GPA outside its RAM: the request is refused.
  for (const Op& op : ops) {
    const bool in_ram = !op.map || op.gpa + op.size <= base.ram_size;
    const Status s = op.map ? pv.viommu.map(op.iova, op.gpa, op.size, Prot{true, op.write})
                            : pv.viommu.unmap(op.iova, op.size);
    if (op.map) {
      EXPECT_EQ(s == Status::ok, in_ram) << std::hex << op.gpa;
    }
  }
  // The oracle: the live mappings of the op list.
  std::map<uint64_t, Op> live;
  for (const Op& op : ops) {
    if (op.map)
      live[op.iova] = op;
    else
      live.erase(op.iova);
  }
  uint64_t checked = 0, mapped = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    for (uint64_t pg = 0; pg < 9; ++pg) {
      const uint64_t iova = (uint64_t{1} << 32) + i * 16 * kPage + pg * kPage + 0x18;
      std::optional<FakeIommu::Hit> want;
      auto it = live.find(iova & ~(16 * kPage - 1));
      if (it != live.end() && pg * kPage < it->second.size &&
          it->second.gpa + it->second.size <= base.ram_size)
        want = FakeIommu::Hit{base.ram_hpa + it->second.gpa + pg * kPage + 0x18, it->second.write};
      const auto n = nested.dma(iova), s = shadow.dma(iova), p = pv.dma(iova);
      EXPECT_EQ(n, want) << std::hex << iova;
      EXPECT_EQ(s, n) << std::hex << iova;
      EXPECT_EQ(p, n) << std::hex << iova;
      EXPECT_EQ(shadow.dma(iova, true), nested.dma(iova, true)) << std::hex << iova;
      ++checked;
      mapped += want.has_value();
    }
  }
  EXPECT_GT(mapped, 50u);
  EXPECT_GT(checked - mapped, 50u);
  EXPECT_GT(shadow.viommu.counts().shadow_skipped, 0u);
  EXPECT_EQ(nested.viommu.counts().shadow_walks, 0u);
}

TEST(Viommu, NestingRefusedFallsBackToShadowAndSaysWhy) {
  // A guest SMMUv3 (Arm stage-1 tables) on a host that nests IA-32e tables only.
  Vm vm(params(ViommuMode::nested, GuestIommu::smmuv3));
  EXPECT_EQ(vm.viommu.requested_mode(), ViommuMode::nested);
  EXPECT_EQ(vm.viommu.mode(), ViommuMode::shadow);
  EXPECT_TRUE(vm.viommu.caching_mode());
  EXPECT_EQ(vm.viommu.counts().fallbacks, 1u);
  EXPECT_NE(vm.viommu.fallback_reason().find("arm-lpae-s1"), std::string::npos)
      << vm.viommu.fallback_reason();
  EXPECT_EQ(vm.iommu.counts().refused, 1u);
  // The Arm tables are shadowed: the DMA reaches guest RAM.
  ASSERT_EQ(vm.viommu.map(0x10'0000, 0x3000, kPage, Prot{true, true}), Status::ok);
  EXPECT_EQ(vm.dma(0x10'0008, true),
            (FakeIommu::Hit{params(ViommuMode::nested).ram_hpa + 0x3008, true}));
  ASSERT_EQ(vm.viommu.unmap(0x10'0000, kPage), Status::ok);
  EXPECT_FALSE(vm.dma(0x10'0008));
  // The RAM mapping of the abandoned stage 2 is gone: GPAs are not IOVAs.
  EXPECT_FALSE(vm.dma(0x3000));
}

TEST(Viommu, NoNestingAtAllFallsBackToo) {
  Vm vm(params(ViommuMode::nested), {});
  EXPECT_EQ(vm.viommu.mode(), ViommuMode::shadow);
  EXPECT_EQ(vm.viommu.counts().fallbacks, 1u);
  EXPECT_NE(vm.viommu.fallback_reason().find("x86-64"), std::string::npos)
      << vm.viommu.fallback_reason();
}

TEST(Viommu, NestingAcceptedNeedsNoFallback) {
  Vm vm(params(ViommuMode::nested, GuestIommu::amdvi));
  EXPECT_EQ(vm.viommu.mode(), ViommuMode::nested);
  EXPECT_EQ(vm.viommu.counts().fallbacks, 0u);
  EXPECT_EQ(vm.viommu.fallback_reason(), "");
  EXPECT_FALSE(vm.viommu.caching_mode());
}

TEST(Viommu, NestedGuestWithoutInvalidationSeesHardwareBehaviour) {
  Vm vm(params(ViommuMode::nested));
  const uint64_t hpa = params(ViommuMode::nested).ram_hpa;
  // Hardware walks the guest tables: a PTE store is visible at once, no exit.
  ASSERT_EQ(vm.viommu.write_ptes(0x20'0000, 0x5000, 2 * kPage), Status::ok);
  EXPECT_EQ(vm.dma(0x20'0000), (FakeIommu::Hit{hpa + 0x5000, true}));
  EXPECT_EQ(vm.viommu.counts().traps, 0u);
  // Unmapped without invalidation: the cached page stays reachable, the uncached one does not.
  ASSERT_EQ(vm.viommu.clear_ptes(0x20'0000, 2 * kPage), Status::ok);
  EXPECT_TRUE(vm.dma(0x20'0000));
  EXPECT_FALSE(vm.dma(0x20'1000));
  ASSERT_EQ(vm.viommu.invalidate(0x20'0000, 2 * kPage), Status::ok);
  EXPECT_FALSE(vm.dma(0x20'0000));
  EXPECT_EQ(vm.viommu.counts().traps, 1u);
  EXPECT_EQ(vm.viommu.counts().host_invalidations, 1u);
}

TEST(Viommu, ShadowGuestWithoutInvalidationIsNotSeen) {
  Vm vm(params(ViommuMode::shadow));
  const uint64_t hpa = params(ViommuMode::shadow).ram_hpa;
  // The hypervisor learns of a map only from the invalidation caching mode asks for.
  ASSERT_EQ(vm.viommu.write_ptes(0x20'0000, 0x5000, 2 * kPage), Status::ok);
  EXPECT_FALSE(vm.dma(0x20'0000));
  ASSERT_EQ(vm.viommu.invalidate(0x20'0000, 2 * kPage), Status::ok);
  EXPECT_EQ(vm.dma(0x20'1000), (FakeIommu::Hit{hpa + 0x6000, true}));
  // An unmap without invalidation leaves the shadow mapping, cached or not.
  ASSERT_EQ(vm.viommu.clear_ptes(0x20'0000, 2 * kPage), Status::ok);
  EXPECT_TRUE(vm.dma(0x20'0000));
  EXPECT_TRUE(vm.dma(0x20'1000));
  // A global invalidation re-reads everything.
  ASSERT_EQ(vm.viommu.invalidate(0, 0), Status::ok);
  EXPECT_FALSE(vm.dma(0x20'0000));
  EXPECT_FALSE(vm.dma(0x20'1000));
  EXPECT_EQ(vm.viommu.counts().shadow_maps, 2u);
  EXPECT_EQ(vm.viommu.counts().shadow_unmaps, 2u);
}

TEST(Viommu, ShadowFollowsARemapInPlace) {
  Vm vm(params(ViommuMode::shadow));
  const uint64_t hpa = params(ViommuMode::shadow).ram_hpa;
  ASSERT_EQ(vm.viommu.map(0x30'0000, 0x8000, kPage, Prot{true, false}), Status::ok);
  EXPECT_EQ(vm.dma(0x30'0000), (FakeIommu::Hit{hpa + 0x8000, false}));
  EXPECT_FALSE(vm.dma(0x30'0000, true));
  // The guest rewrites the entry (new GPA, writable) and invalidates: the shadow follows.
  ASSERT_EQ(vm.viommu.clear_ptes(0x30'0000, kPage), Status::ok);
  ASSERT_EQ(vm.viommu.write_ptes(0x30'0000, 0x9000, kPage, Prot{true, true}), Status::ok);
  ASSERT_EQ(vm.viommu.invalidate(0x30'0000, kPage), Status::ok);
  EXPECT_EQ(vm.dma(0x30'0000, true), (FakeIommu::Hit{hpa + 0x9000, true}));
}

TEST(Viommu, ParavirtHasNoGuestTables) {
  Vm vm(params(ViommuMode::paravirt));
  EXPECT_EQ(vm.viommu.guest_root(), 0u);
  EXPECT_EQ(vm.viommu.write_ptes(0x20'0000, 0x5000, kPage), Status::invalid);
  EXPECT_EQ(vm.viommu.invalidate(0x20'0000, kPage), Status::invalid);
  ASSERT_EQ(vm.viommu.map(0x20'0000, 0x5000, kPage), Status::ok);
  EXPECT_TRUE(vm.dma(0x20'0000));
  // UNMAP completes only after the host invalidation: nothing stale.
  ASSERT_EQ(vm.viommu.unmap(0x20'0000, kPage), Status::ok);
  EXPECT_FALSE(vm.dma(0x20'0000));
  EXPECT_EQ(vm.viommu.unmap(0x20'0000, kPage), Status::invalid);
  EXPECT_EQ(vm.viommu.counts().traps, 0u);
  EXPECT_EQ(vm.viommu.counts().hypercalls, 3u);
}

/// One buffer of `pages` mapped and unmapped: what each strategy counts and charges.
struct Cost {
  ViommuCounts c;
  Tick time;
};
Cost one_buffer(ViommuMode m, uint64_t pages) {
  Vm vm(params(m));
  const Tick t0 = vm.bus.now();
  EXPECT_EQ(vm.viommu.map(0x40'0000, 0x10'0000, pages * kPage), Status::ok);
  EXPECT_TRUE(vm.dma(0x40'0000));
  EXPECT_EQ(vm.viommu.unmap(0x40'0000, pages * kPage), Status::ok);
  EXPECT_FALSE(vm.dma(0x40'0000));
  return {vm.viommu.counts(), vm.bus.now() - t0};
}

TEST(Viommu, EachStrategyCountsAndChargesItsCosts) {
  const ViommuParams p = params(ViommuMode::nested);
  const Cost n = one_buffer(ViommuMode::nested, 4);
  EXPECT_EQ(n.c.traps, 1u);  // the unmap's invalidation only
  EXPECT_EQ(n.c.hypercalls, 0u);
  EXPECT_EQ(n.c.guest_pte_writes, 8u);
  EXPECT_EQ(n.c.host_maps, 1u);  // guest RAM in the stage 2, at set-up
  EXPECT_EQ(n.time, p.trap_cost + 8 * p.guest_pte_cost);

  const Cost s = one_buffer(ViommuMode::shadow, 4);
  EXPECT_EQ(s.c.traps, 2u);  // caching mode: map and unmap
  EXPECT_EQ(s.c.shadow_walks, 8u);
  EXPECT_EQ(s.c.shadow_maps, 4u);
  EXPECT_EQ(s.c.shadow_unmaps, 4u);
  EXPECT_EQ(s.c.host_invalidations, 1u);
  EXPECT_GE(s.c.shadow_reads, 4u * 4);  // four levels per mapped page
  EXPECT_EQ(s.time, 2 * p.trap_cost + 8 * p.guest_pte_cost + s.c.shadow_reads * p.walk_cost +
                        8 * p.host_map_cost);

  const Cost v = one_buffer(ViommuMode::paravirt, 4);
  EXPECT_EQ(v.c.hypercalls, 2u);
  EXPECT_EQ(v.c.traps, 0u);
  EXPECT_EQ(v.c.host_maps, 1u);
  EXPECT_EQ(v.c.host_unmaps, 1u);
  EXPECT_EQ(v.time, 2 * p.hypercall_cost + 2 * p.host_map_cost);
  EXPECT_GT(s.time, n.time);
}

TEST(Viommu, BadGuestRequestsAreRefusedNotCrashed) {
  Vm vm(params(ViommuMode::shadow));
  EXPECT_EQ(vm.viommu.map(0x20'0001, 0x5000, kPage), Status::invalid);
  EXPECT_EQ(vm.viommu.map(0x20'0000, 0x5000, 0), Status::invalid);
  EXPECT_EQ(vm.viommu.clear_ptes(0x20'0000, 123), Status::invalid);
  EXPECT_EQ(vm.viommu.counts().errors, 3u);
  Vm pv(params(ViommuMode::paravirt));
  EXPECT_EQ(pv.viommu.map(0x20'0000, params(ViommuMode::paravirt).ram_size, kPage),
            Status::invalid);
}

TEST(Viommu, ModeNamesRoundTrip) {
  for (ViommuMode m : {ViommuMode::nested, ViommuMode::shadow, ViommuMode::paravirt})
    EXPECT_EQ(viommu_mode_from_string(to_string(m)), m);
  for (GuestIommu g : {GuestIommu::vtd, GuestIommu::amdvi, GuestIommu::smmuv3})
    EXPECT_EQ(guest_iommu_from_string(to_string(g)), g);
  EXPECT_FALSE(viommu_mode_from_string("emulated"));
  EXPECT_EQ(guest_format(GuestIommu::smmuv3), PtFormat::arm_lpae_s1);
}

}  // namespace
}  // namespace isim::host
