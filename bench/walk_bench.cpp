// isim_bench_walk: page walks per second of host time for each page-table format, over warm
// simulated memory. Each benchmark maps kPages random 4 KiB pages, touches every table once,
// then walks random mapped addresses. Figures only: nothing here asserts a speed.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "base/bits.h"
#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "pagetable/builder.h"
#include "pagetable/page_table.h"
#include "pagetable/walker.h"

namespace {

using namespace isim;
using namespace isim::pt;

constexpr uint64_t kMemSize = uint64_t{1} << 40;    // sparse: costs only the pages touched
constexpr uint64_t kTableBase = uint64_t{1} << 32;  // table pages come from here
constexpr uint64_t kTableLimit = uint64_t{1} << 33;
constexpr uint64_t kDataBase = uint64_t{1} << 34;  // output addresses (never read by a walk)
constexpr uint64_t kPages = 4096;
constexpr uint64_t kSeed = 1;
// Addresses walked per benchmark iteration batch: a power of two, cheap to index.
constexpr uint64_t kWalkAddrs = 1 << 16;

constexpr uint64_t kFlatTableBytes = uint64_t{64} << 20;  // room for every table kPages needs

template <class Mem>
Mem make_mem() {
  if constexpr (std::is_same_v<Mem, SparseMemory>)
    return SparseMemory(kMemSize);
  else
    return Mem();
}

/// Random distinct 4 KiB-aligned addresses in [0, 2^span_lg2).
std::vector<uint64_t> random_pages(unsigned span_lg2, uint64_t n, std::mt19937_64& rng) {
  std::uniform_int_distribution<uint64_t> pick(0, (uint64_t{1} << (span_lg2 - 12)) - 1);
  std::vector<uint64_t> v;
  v.reserve(n);
  while (v.size() < n) {
    const uint64_t va = pick(rng) << 12;
    bool dup = false;
    for (uint64_t x : v) dup |= x == va;
    if (!dup) v.push_back(va);
  }
  return v;
}

/// The sequence of addresses to walk: random picks among the mapped pages, random offsets.
std::vector<uint64_t> walk_addrs(const std::vector<uint64_t>& pages, std::mt19937_64& rng) {
  std::uniform_int_distribution<uint64_t> page(0, pages.size() - 1);
  std::uniform_int_distribution<uint64_t> off(0, 4095);
  std::vector<uint64_t> v(kWalkAddrs);
  for (auto& a : v) a = pages[page(rng)] + off(rng);
  return v;
}

/// A flat host array standing in for the table region only, to separate the walker's own cost
/// from SparseMemory's page lookup (diagnostic: models use SparseMemory).
class FlatTableMem final : public PhysMem {
 public:
  bool read(uint64_t pa, void* dst, size_t len) override {
    if (pa < kTableBase || pa - kTableBase + len > bytes_.size()) return false;
    std::memcpy(dst, bytes_.data() + (pa - kTableBase), len);
    return true;
  }
  bool write(uint64_t pa, const void* src, size_t len) override {
    if (pa < kTableBase || pa - kTableBase + len > bytes_.size()) return false;
    std::memcpy(bytes_.data() + (pa - kTableBase), src, len);
    return true;
  }
  uint64_t size() const override { return kTableLimit; }

 private:
  std::vector<uint8_t> bytes_ = std::vector<uint8_t>(kFlatTableBytes);
};

/// One format's table in warm simulated memory, ready to walk.
template <class Fmt, class Mem = SparseMemory>
struct SingleStage {
  Mem mem = make_mem<Mem>();
  PhysAllocator alloc{kTableBase, kTableLimit};
  std::optional<Builder<Fmt>> b;
  std::vector<uint64_t> addrs;
  bool ok = true;

  SingleStage(const Fmt& f, unsigned span_lg2) {
    std::mt19937_64 rng(kSeed);
    b = Builder<Fmt>::create(f, mem, alloc);
    ok = b.has_value();
    const auto pages = random_pages(span_lg2, kPages, rng);
    for (uint64_t i = 0; ok && i < pages.size(); ++i)
      ok = b->map(pages[i], kDataBase + i * 4096, 4096, MapAttrs::rw()) == MapStatus::Ok;
    addrs = walk_addrs(pages, rng);
    // Warm: one pass so every table page is allocated and cached on the host.
    for (uint64_t va : addrs) ok = ok && walk(b->format(), mem, b->root(), va, AccessReq::r()).ok();
  }
};

template <class Fmt, class Mem = SparseMemory>
void bm_walk(benchmark::State& state, Fmt fmt) {
  SingleStage<Fmt, Mem> s(fmt, static_cast<unsigned>(state.range(0)));
  if (!s.ok) {
    state.SkipWithError("building the table failed");
    return;
  }
  uint64_t i = 0;
  for (auto _ : state) {
    const WalkResult r =
        walk(s.b->format(), s.mem, s.b->root(), s.addrs[i++ & (kWalkAddrs - 1)], AccessReq::r());
    benchmark::DoNotOptimize(r.tr.oa);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["tables"] = static_cast<double>(s.b->table_count());
}

template <class Fmt>
void bm_walk_flatmem(benchmark::State& state, Fmt fmt) {
  bm_walk<Fmt, FlatTableMem>(state, fmt);
}

/// The same walks through the runtime-selected entry point models use (std::variant dispatch).
template <class Fmt>
void bm_walk_variant(benchmark::State& state, Fmt fmt) {
  SingleStage<Fmt> s(fmt, static_cast<unsigned>(state.range(0)));
  if (!s.ok) {
    state.SkipWithError("building the table failed");
    return;
  }
  const FormatVariant fv = s.b->format();
  WalkStart start;
  start.table = s.b->root();
  uint64_t i = 0;
  for (auto _ : state) {
    const WalkResult r = walk(fv, s.mem, start, s.addrs[i++ & (kWalkAddrs - 1)], AccessReq::r());
    benchmark::DoNotOptimize(r.tr.oa);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// Nested: the guest's stage-1 tables live at guest-physical addresses; GPA g is host PA
// g + kGuestOffset, and stage 2 maps every stage-1 table page and data page with 4 KiB pages,
// so each stage-2 walk is a full-depth walk (24 reads for 4+4 levels).
constexpr uint64_t kGuestOffset = uint64_t{1} << 36;
constexpr uint64_t kGuestSize = uint64_t{1} << 35;
constexpr uint64_t kGuestTables = uint64_t{1} << 30;
constexpr uint64_t kGuestTablesSize = uint64_t{1} << 28;
constexpr uint64_t kGuestData = uint64_t{1} << 32;

class GuestMem final : public PhysMem {
 public:
  explicit GuestMem(PhysMem& host) : host_(host) {}
  bool read(uint64_t pa, void* dst, size_t len) override {
    return pa + len <= kGuestSize && host_.read(pa + kGuestOffset, dst, len);
  }
  bool write(uint64_t pa, const void* src, size_t len) override {
    return pa + len <= kGuestSize && host_.write(pa + kGuestOffset, src, len);
  }
  uint64_t size() const override { return kGuestSize; }

 private:
  PhysMem& host_;
};

template <class F1, class F2>
struct Nested {
  SparseMemory mem{kMemSize};
  GuestMem guest{mem};
  PhysAllocator halloc{kTableBase, kTableLimit};
  PhysAllocator galloc{kGuestTables, kGuestTables + kGuestTablesSize};
  std::optional<Builder<F1>> s1;
  std::optional<Builder<F2>> s2;
  std::vector<uint64_t> addrs;
  bool ok = true;

  Nested(const F1& f1, const F2& f2, unsigned span_lg2) {
    std::mt19937_64 rng(kSeed);
    s1 = Builder<F1>::create(f1, guest, galloc);
    s2 = Builder<F2>::create(f2, mem, halloc);
    ok = s1.has_value() && s2.has_value();
    const auto pages = random_pages(span_lg2, kPages, rng);
    for (uint64_t i = 0; ok && i < pages.size(); ++i) {
      const uint64_t gpa = kGuestData + i * 4096;
      ok = s1->map(pages[i], gpa, 4096, MapAttrs::rw()) == MapStatus::Ok &&
           s2->map(gpa, gpa + kGuestOffset, 4096, MapAttrs::rw()) == MapStatus::Ok;
    }
    for (uint64_t g = kGuestTables; ok && g < kGuestTables + galloc.bytes_in_use(); g += 4096)
      ok = s2->map(g, g + kGuestOffset, 4096, MapAttrs::rw()) == MapStatus::Ok;
    addrs = walk_addrs(pages, rng);
    for (uint64_t va : addrs) ok = ok && go(va).ok();
  }

  WalkResult go(uint64_t va) {
    return walk_nested(s1->format(), s2->format(), mem, s1->root(), s2->root(), va, AccessReq::r());
  }
};

void bm_walk_nested_x86_vtdss(benchmark::State& state) {
  Nested<X86Format, VtdSsFormat> s(X86Format(X86Config{}), VtdSsFormat(VtdSsConfig{}),
                                   static_cast<unsigned>(state.range(0)));
  if (!s.ok) {
    state.SkipWithError("building the tables failed");
    return;
  }
  uint64_t i = 0;
  for (auto _ : state) {
    const WalkResult r = s.go(s.addrs[i++ & (kWalkAddrs - 1)]);
    benchmark::DoNotOptimize(r.tr.oa);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

AmdV1Config amd_mode4() {
  AmdV1Config c;
  c.mode = 4;
  return c;
}

// Arg = log2 of the VA span the mapped pages are spread over: 30 (a 1 GiB DMA buffer: upper
// levels shared, leaf tables mostly distinct) and 47 (sparse: nearly every walk touches
// distinct tables below the root).
#define ISIM_SPANS Arg(30)->Arg(47)

BENCHMARK_CAPTURE(bm_walk, x86_64_4l, X86Format(X86Config{}))->ISIM_SPANS;
BENCHMARK_CAPTURE(bm_walk, vtd_ss_4l, VtdSsFormat(VtdSsConfig{}))->ISIM_SPANS;
BENCHMARK_CAPTURE(bm_walk, amd_v1_mode4, AmdV1Format(amd_mode4()))->ISIM_SPANS;
BENCHMARK_CAPTURE(bm_walk_variant, x86_64_4l, X86Format(X86Config{}))->ISIM_SPANS;
BENCHMARK(bm_walk_nested_x86_vtdss)->ISIM_SPANS;
// Diagnostic: the walker alone, table reads from a flat array instead of SparseMemory.
BENCHMARK_CAPTURE(bm_walk_flatmem, x86_64_4l, X86Format(X86Config{}))->ISIM_SPANS;

}  // namespace

BENCHMARK_MAIN();
