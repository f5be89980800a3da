// DMA-API policies over a fake driver and a fake clock: which driver calls each policy makes,
// when invalidations happen relative to unmaps and IOVA reuse, and the deferred stale window.
#include "host/dma_api.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace isim::host {
namespace {

/// Time passes only when someone pauses; memory is unused by the fake driver.
class FakeBus final : public HostBus {
 public:
  uint64_t mmio_read(uint32_t, unsigned) override { return 0; }
  void mmio_write(uint32_t, unsigned, uint64_t) override {}
  PhysMem& memory() override { std::abort(); }
  void pause(Tick ps) override { now_ += ps; }
  Tick now() const override { return now_; }

 private:
  Tick now_ = 0;
};

/// Records calls; an invalidation takes `inval_time`.
class FakeDriver final : public IommuDriver {
 public:
  struct Call {
    std::string op;
    uint64_t iova, size;
    Tick at;
    int held = -1;  ///< depth of the caller's lock during the call (-1: no lock given)
  };
  FakeDriver(FakeBus& bus, bool identity) : bus_(bus), identity_(identity) {}
  Status init(std::string*) override { return Status::ok; }
  HwInfo hw_info() override { return {}; }
  DomainResult alloc_domain(const DomainRequest& r) override {
    record({std::string(to_string(r.type)), 0, 0, bus_.now(), -1});
    if (r.type == DomainType::identity && !identity_)
      return {Status::not_supported, 0, "no pass-through"};
    return {Status::ok, 7, {}};
  }
  Status attach(DomainId d, uint16_t rid, std::optional<uint32_t>) override {
    record({"attach", rid, d, bus_.now(), -1});
    return Status::ok;
  }
  Status map(DomainId, uint64_t iova, uint64_t, uint64_t size, Prot) override {
    record({"map", iova, size, bus_.now(), -1});
    return Status::ok;
  }
  Status unmap(DomainId, uint64_t iova, uint64_t size) override {
    record({"unmap", iova, size, bus_.now(), -1});
    return Status::ok;
  }
  Status invalidate(DomainId, const InvalidateRequest& r) override {
    bus_.pause(inval_time);
    record({"inval", r.iova, r.size, bus_.now(), -1});
    return Status::ok;
  }
  void record(Call c) {
    c.held = lock_depth ? *lock_depth : -1;
    calls.push_back(std::move(c));
  }
  size_t count(const std::string& op) const {
    size_t n = 0;
    for (const Call& c : calls) n += c.op == op;
    return n;
  }
  std::vector<Call> calls;
  Tick inval_time = 2'000'000;
  const int* lock_depth = nullptr;

 private:
  FakeBus& bus_;
  bool identity_;
};

DmaApiParams params(DmaPolicy p) {
  DmaApiParams d;
  d.policy = p;
  d.fq_size = 4;
  d.fq_timeout = 50'000'000;
  return d;
}

struct Fixture {
  explicit Fixture(DmaPolicy p, bool identity = true)
      : drv(bus, identity), api(drv, bus, params(p)) {}
  FakeBus bus;
  FakeDriver drv;
  DmaApi api;
};

TEST(DmaApi, PassthroughUsesAnIdentityDomainAndNoTables) {
  Fixture f(DmaPolicy::passthrough);
  ASSERT_EQ(f.api.setup(0x100, 0x1000'0000, 1 << 20), "");
  EXPECT_EQ(f.drv.calls.front().op, "identity");
  EXPECT_EQ(f.api.map(0x1000'0123, 64), 0x1000'0123u);
  f.api.unmap(0x1000'0123, 64);
  EXPECT_EQ(f.drv.count("map"), 0u);
  EXPECT_EQ(f.drv.count("inval"), 0u);
}

TEST(DmaApi, PassthroughRefusedSaysWhy) {
  Fixture f(DmaPolicy::passthrough, false);
  const std::string why = f.api.setup(0x100, 0x1000'0000, 1 << 20);
  EXPECT_NE(why.find("not supported"), std::string::npos) << why;
  EXPECT_EQ(f.drv.count("attach"), 0u);
}

TEST(DmaApi, StaticMapsTheAreaOnceAndNeverInvalidates) {
  Fixture f(DmaPolicy::static_map);
  ASSERT_EQ(f.api.setup(0x100, 0x1000'0000, 1 << 20), "");
  ASSERT_EQ(f.drv.count("map"), 1u);
  EXPECT_EQ(f.drv.calls[1].iova, 0x1000'0000u);
  EXPECT_EQ(f.drv.calls[1].size, 1u << 20);
  for (int i = 0; i < 10; ++i) {
    const auto d = f.api.map(0x1000'0000 + i * 4096, 4096);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, 0x1000'0000u + i * 4096);
    f.api.unmap(*d, 4096);
  }
  EXPECT_FALSE(f.api.map(0x2000'0000, 4096));  // outside the pre-mapped area
  EXPECT_EQ(f.drv.count("map"), 1u);
  EXPECT_EQ(f.drv.count("inval"), 0u);
  EXPECT_EQ(f.api.counts().map_errors, 1u);
}

TEST(DmaApi, StaticPageMapsTheAreaInWholePagesOfThatSize) {
  // 4 KiB pages: one map call per page, so the driver cannot use a superpage.
  {
    FakeBus bus;
    FakeDriver drv(bus, true);
    DmaApiParams p = params(DmaPolicy::static_map);
    p.static_page = 4096;
    DmaApi api(drv, bus, p);
    ASSERT_EQ(api.setup(0x100, 0x1000'0000, 64 << 10), "");
    ASSERT_EQ(drv.count("map"), 16u);
    for (size_t i = 0; i < 16; ++i) {
      EXPECT_EQ(drv.calls[1 + i].iova, 0x1000'0000u + i * 4096);
      EXPECT_EQ(drv.calls[1 + i].size, 4096u);
    }
  }
  // 2 MiB pages: a 64 KiB area in the middle of a 2 MiB page maps that whole page.
  {
    FakeBus bus;
    FakeDriver drv(bus, true);
    DmaApiParams p = params(DmaPolicy::static_map);
    p.static_page = uint64_t{2} << 20;
    DmaApi api(drv, bus, p);
    ASSERT_EQ(api.setup(0x100, 0x1010'0000, 64 << 10), "");
    ASSERT_EQ(drv.count("map"), 1u);
    EXPECT_EQ(drv.calls[1].iova, 0x1000'0000u);
    EXPECT_EQ(drv.calls[1].size, uint64_t{2} << 20);
    // The range check still covers the device's own area only.
    EXPECT_TRUE(api.map(0x1010'0000, 64));
    EXPECT_FALSE(api.map(0x1000'0000, 64));
  }
}

TEST(DmaApi, StrictInvalidatesEachUnmapBeforeTheIovaIsReused) {
  Fixture f(DmaPolicy::strict);
  ASSERT_EQ(f.api.setup(0x100, 0x1000'0000, 1 << 20), "");
  const auto a = f.api.map(0x1000'0040, 64);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a & 0xfff, 0x40u);  // the offset within the page survives
  f.api.unmap(*a, 64);
  // unmap, then an invalidation of exactly that page, before unmap returned.
  ASSERT_EQ(f.drv.calls.back().op, "inval");
  EXPECT_EQ(f.drv.calls.back().iova, *a & ~uint64_t{0xfff});
  EXPECT_EQ(f.drv.calls.back().size, 4096u);
  EXPECT_EQ(f.drv.calls[f.drv.calls.size() - 2].op, "unmap");
  // The next buffer gets the same IOVA back from the magazine.
  const auto b = f.api.map(0x1000'2000, 64);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b & ~uint64_t{0xfff}, *a & ~uint64_t{0xfff});
  EXPECT_EQ(f.api.counts().invalidations, 1u);
  EXPECT_GE(f.api.counts().unmap_time, f.drv.inval_time);  // unmap waited for it
  EXPECT_FALSE(f.api.note_access(*a, 64));                 // no stale window in strict mode
}

TEST(DmaApi, DeferredBatchesUnmapsIntoOneFlushAndMeasuresTheStaleWindow) {
  Fixture f(DmaPolicy::deferred);
  ASSERT_EQ(f.api.setup(0x100, 0x1000'0000, 1 << 20), "");
  std::vector<uint64_t> dmas;
  for (int i = 0; i < 3; ++i) {
    const auto d = f.api.map(0x1000'0000 + i * 4096, 4096);
    ASSERT_TRUE(d);
    dmas.push_back(*d);
    f.api.unmap(*d, 4096);
    f.bus.pause(1'000'000);
  }
  EXPECT_EQ(f.drv.count("inval"), 0u);          // three queued, fq_size is 4
  EXPECT_TRUE(f.api.note_access(dmas[0], 64));  // unmapped, still in the window
  // IOVAs waiting in the queue are not handed out again.
  const auto d = f.api.map(0x1000'4000, 4096);
  ASSERT_TRUE(d);
  for (uint64_t x : dmas) EXPECT_NE(*d, x);
  const Tick first_unmap = f.drv.calls[3].at;  // identity? no: paging, attach, map, unmap
  ASSERT_EQ(f.drv.calls[3].op, "unmap");
  f.api.unmap(*d, 4096);  // the fourth entry: flush
  ASSERT_EQ(f.drv.count("inval"), 1u);
  EXPECT_EQ(f.drv.calls.back().op, "inval");
  EXPECT_EQ(f.drv.calls.back().size, 0u);  // the whole domain
  const Tick flushed = f.drv.calls.back().at;
  const DmaApiCounts& c = f.api.counts();
  EXPECT_EQ(c.fq_flushes, 1u);
  EXPECT_EQ(c.stale_entries, 4u);
  EXPECT_GE(c.stale_window_max, flushed - first_unmap - 1'000'000);  // map costs shift times
  EXPECT_LE(c.stale_window_max, flushed - first_unmap);
  EXPECT_EQ(c.stale_accesses, 1u);
  EXPECT_FALSE(f.api.note_access(dmas[0], 64));  // invalidated now
}

TEST(DmaApi, DeferredFlushesOnTheTimeout) {
  Fixture f(DmaPolicy::deferred);
  ASSERT_EQ(f.api.setup(0x100, 0x1000'0000, 1 << 20), "");
  const auto d = f.api.map(0x1000'0000, 4096);
  ASSERT_TRUE(d);
  f.api.unmap(*d, 4096);
  ASSERT_TRUE(f.api.next_deadline());
  f.bus.pause(10'000'000);
  f.api.poll();
  EXPECT_EQ(f.drv.count("inval"), 0u);  // not yet
  f.bus.pause(*f.api.next_deadline() - f.bus.now());
  f.api.poll();
  EXPECT_EQ(f.drv.count("inval"), 1u);
  EXPECT_EQ(f.api.counts().fq_timeouts, 1u);
  EXPECT_FALSE(f.api.next_deadline());
  EXPECT_GE(f.api.counts().stale_window_max, 50'000'000u);
}

/// Counts how deep it is held.
class DepthLock final : public DriverLock {
 public:
  void lock() override { ++depth; }
  void unlock() override { --depth; }
  int depth = 0;
};

TEST(DmaApi, EveryDriverCallHoldsTheSharedLock) {
  for (DmaPolicy p : {DmaPolicy::static_map, DmaPolicy::strict, DmaPolicy::deferred}) {
    FakeBus bus;
    FakeDriver drv(bus, true);
    DepthLock lock;
    drv.lock_depth = &lock.depth;
    DmaApi api(drv, bus, params(p), &lock);
    ASSERT_EQ(api.setup(0x100, 0x1000'0000, 1 << 20), "");
    for (int i = 0; i < 10; ++i) {
      const auto d = api.map(0x1000'0000 + i * 4096, 4096);
      ASSERT_TRUE(d);
      api.unmap(*d, 4096);
    }
    api.flush();
    EXPECT_EQ(lock.depth, 0);
    ASSERT_GT(drv.calls.size(), 2u);
    for (const FakeDriver::Call& c : drv.calls) EXPECT_EQ(c.held, 1) << c.op;
  }
}

TEST(DmaApi, PolicyNamesRoundTrip) {
  for (DmaPolicy p :
       {DmaPolicy::passthrough, DmaPolicy::static_map, DmaPolicy::strict, DmaPolicy::deferred})
    EXPECT_EQ(dma_policy_from_string(to_string(p)), p);
  EXPECT_FALSE(dma_policy_from_string("lazy"));
}

}  // namespace
}  // namespace isim::host
