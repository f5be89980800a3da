// Address sequences of the traffic generators (models/devices/address_pattern.h).
#include "models/devices/address_pattern.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>
#include <vector>

namespace isim {
namespace {

using Params = AddressPattern::Params;

constexpr uint64_t kBase = 0x4000'0000;

std::vector<uint64_t> take(AddressPattern& p, size_t n) {
  std::vector<uint64_t> v(n);
  for (auto& a : v) a = p.next();
  return v;
}

Params params(AccessPattern pattern, uint64_t footprint, uint64_t size, uint64_t stride = 4096) {
  Params p;
  p.pattern = pattern;
  p.base = kBase;
  p.footprint = footprint;
  p.size = size;
  p.stride = stride;
  return p;
}

TEST(AddressPattern, SequentialWalksTheFootprintAndWraps) {
  constexpr uint64_t kSlots = 8, kSize = 64;
  AddressPattern p(params(AccessPattern::sequential, kSlots * kSize, kSize), Rng(1));
  const auto got = take(p, 2 * kSlots + 3);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], kBase + (i % kSlots) * kSize) << i;
}

TEST(AddressPattern, SequentialStaysInsideAFootprintThatIsNotAMultipleOfTheSize) {
  // 200 bytes hold three whole 64-byte requests; the fourth would run past the end.
  AddressPattern p(params(AccessPattern::sequential, 200, 64), Rng(1));
  const std::vector<uint64_t> want = {kBase, kBase + 64, kBase + 128, kBase, kBase + 64};
  EXPECT_EQ(take(p, want.size()), want);
}

struct StrideCase {
  uint64_t footprint;
  uint64_t size;
  uint64_t stride;
};

void PrintTo(const StrideCase& c, std::ostream* os) {
  *os << "footprint" << c.footprint << "_size" << c.size << "_stride" << c.stride;
}

class StridedPattern : public testing::TestWithParam<StrideCase> {};

TEST_P(StridedPattern, VisitsEverySlotExactlyOncePerCycle) {
  const StrideCase c = GetParam();
  const uint64_t slots = c.footprint / c.size;
  AddressPattern p(params(AccessPattern::strided, c.footprint, c.size, c.stride), Rng(1));
  const auto cycle = take(p, slots);
  std::map<uint64_t, int> visits;
  for (uint64_t a : cycle) {
    ASSERT_GE(a, kBase);
    ASSERT_LE(a + c.size, kBase + c.footprint) << a;
    ASSERT_EQ((a - kBase) % c.size, 0u) << a;
    ++visits[a];
  }
  EXPECT_EQ(visits.size(), slots);
  for (const auto& [a, n] : visits) EXPECT_EQ(n, 1) << a;
  // The next cycle repeats the first.
  EXPECT_EQ(take(p, slots), cycle);
}

TEST_P(StridedPattern, FirstPassStepsByTheStride) {
  const StrideCase c = GetParam();
  AddressPattern p(params(AccessPattern::strided, c.footprint, c.size, c.stride), Rng(1));
  // Requests that fit in the footprint at offsets 0, stride, 2 * stride, ...
  const uint64_t first_pass = (c.footprint - c.size) / c.stride + 1;
  const auto got = take(p, first_pass + 1);
  for (uint64_t i = 0; i < first_pass; ++i) EXPECT_EQ(got[i], kBase + i * c.stride) << i;
  // Then the second pass starts one request further in, unless that lane does not exist (a
  // stride of one request, or a footprint of one request) and the cycle starts over.
  const bool second_lane = c.size < c.stride && 2 * c.size <= c.footprint;
  EXPECT_EQ(got[first_pass], kBase + (second_lane ? c.size : 0));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, StridedPattern,
    testing::Values(StrideCase{4096, 64, 256},    // stride divides the footprint
                    StrideCase{640, 64, 256},     // it does not: the last passes are shorter
                    StrideCase{1024, 64, 64},     // stride of one request: sequential
                    StrideCase{4096, 64, 4096},   // stride equals the footprint: one per pass
                    StrideCase{256, 64, 1024},    // stride larger than the footprint
                    StrideCase{12288, 128, 384},  // stride a multiple of a larger size
                    StrideCase{4096, 4096, 8192}  // a single slot
                    ));

TEST(AddressPattern, RandomStaysInRangeAndAligned) {
  constexpr uint64_t kSize = 256, kFootprint = 1 << 20;
  AddressPattern p(params(AccessPattern::random, kFootprint, kSize), Rng(7));
  for (uint64_t a : take(p, 10000)) {
    ASSERT_GE(a, kBase);
    ASSERT_LE(a + kSize, kBase + kFootprint) << a;
    ASSERT_EQ((a - kBase) % kSize, 0u) << a;
  }
}

TEST(AddressPattern, RandomIsDeterministicPerSeed) {
  const Params pr = params(AccessPattern::random, 1 << 20, 64);
  AddressPattern a(pr, Rng(42)), b(pr, Rng(42)), c(pr, Rng(43));
  const auto sa = take(a, 1000);
  EXPECT_EQ(sa, take(b, 1000));
  const auto sc = take(c, 1000);
  size_t same = 0;
  for (size_t i = 0; i < sa.size(); ++i) same += sa[i] == sc[i];
  EXPECT_LT(same, 10u);  // 16384 slots: about 0.06 coincidences expected
}

TEST(AddressPattern, RandomIsRoughlyUniform) {
  // Chi-square over 16 slots with 15 degrees of freedom: the 99.9th percentile is 37.7.
  constexpr uint64_t kSlots = 16, kDraws = 160'000;
  AddressPattern p(params(AccessPattern::random, kSlots * 64, 64), Rng(3));
  std::vector<uint64_t> hits(kSlots, 0);
  for (uint64_t a : take(p, kDraws)) ++hits.at((a - kBase) / 64);
  const double expected = static_cast<double>(kDraws) / kSlots;
  double chi2 = 0;
  for (uint64_t h : hits) {
    const double d = static_cast<double>(h) - expected;
    chi2 += d * d / expected;
  }
  EXPECT_LT(chi2, 37.7);
}

TEST(AddressPattern, PatternsIgnoreTheRngExceptRandom) {
  // Sequential and strided sequences depend only on the params, never on the seed.
  for (AccessPattern pat : {AccessPattern::sequential, AccessPattern::strided}) {
    const Params pr = params(pat, 4096, 64, 512);
    AddressPattern a(pr, Rng(1)), b(pr, Rng(999));
    EXPECT_EQ(take(a, 200), take(b, 200)) << static_cast<int>(pat);
  }
}

}  // namespace
}  // namespace isim

namespace isim {
namespace {

TEST(ZipfSampler, RankFrequenciesFollowThePowerLaw) {
  for (double theta : {0.5, 0.99, 1.0, 1.5}) {
    ZipfSampler z(1000, theta);
    Rng rng(42);
    std::vector<uint64_t> count(1001);
    constexpr int kDraws = 400000;
    for (int i = 0; i < kDraws; ++i) {
      const uint64_t k = z.sample(rng);
      ASSERT_GE(k, 1u);
      ASSERT_LE(k, 1000u);
      ++count[k];
    }
    double norm = 0;
    for (int k = 1; k <= 1000; ++k) norm += std::pow(k, -theta);
    for (int k : {1, 2, 3, 10, 100}) {
      const double want = kDraws * std::pow(k, -theta) / norm;
      EXPECT_NEAR(static_cast<double>(count[k]), want, 5 * std::sqrt(want) + 0.01 * want)
          << "theta " << theta << " rank " << k;
    }
  }
}

TEST(AddressPattern, ZipfScattersAHotSetOverTheFootprint) {
  constexpr uint64_t kSlots = 4096, kSize = 64;
  AddressPattern p(params(AccessPattern::zipf, kSlots * kSize, kSize), Rng(3));
  std::map<uint64_t, uint64_t> hits;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t a = p.next();
    ASSERT_GE(a, kBase);
    ASSERT_LT(a, kBase + kSlots * kSize);
    ASSERT_EQ((a - kBase) % kSize, 0u);
    ++hits[a];
  }
  // The two hottest slots are about 2^0.99 apart in frequency and not neighbours.
  std::vector<std::pair<uint64_t, uint64_t>> by_count;
  for (auto [a, n] : hits) by_count.emplace_back(n, a);
  std::sort(by_count.rbegin(), by_count.rend());
  const double ratio = static_cast<double>(by_count[0].first) / by_count[1].first;
  EXPECT_NEAR(ratio, std::pow(2.0, 0.99), 0.25);
  const uint64_t d = by_count[0].second > by_count[1].second
                         ? by_count[0].second - by_count[1].second
                         : by_count[1].second - by_count[0].second;
  EXPECT_GT(d, kSize);
  // Same seed, same hot slot.
  AddressPattern q(params(AccessPattern::zipf, kSlots * kSize, kSize), Rng(3));
  std::map<uint64_t, uint64_t> hits_q;
  for (int i = 0; i < 100000; ++i) ++hits_q[q.next()];
  EXPECT_EQ(hits_q, hits);
}

TEST(AddressPattern, StorageIssuesWholeBlocksAtBlockAlignedPlaces) {
  Params pp = params(AccessPattern::storage, 64 << 20, 4096);
  pp.block = 128 << 10;
  AddressPattern p(pp, Rng(5));
  std::set<uint64_t> starts;
  for (int b = 0; b < 50; ++b) {
    const uint64_t first = p.next();
    ASSERT_EQ((first - kBase) % pp.block, 0u) << "block " << b;
    starts.insert(first);
    for (uint64_t i = 1; i < pp.block / 4096; ++i) ASSERT_EQ(p.next(), first + i * 4096);
  }
  EXPECT_GT(starts.size(), 40u) << "blocks are chosen at random";
}

TEST(AddressPattern, GpuBurstsStayInOnePage) {
  Params pp = params(AccessPattern::gpu, 16 << 20, 128);
  pp.burst = 8;
  AddressPattern p(pp, Rng(9));
  std::set<uint64_t> pages;
  for (int b = 0; b < 200; ++b) {
    const uint64_t first = p.next();
    pages.insert(first & ~uint64_t{0xfff});
    for (int i = 1; i < 8; ++i) {
      const uint64_t a = p.next();
      ASSERT_EQ(a, first + i * 128u);
      ASSERT_EQ(a & ~uint64_t{0xfff}, first & ~uint64_t{0xfff}) << "burst left its page";
    }
  }
  EXPECT_GT(pages.size(), 190u);
}

TEST(AddressPattern, NicReadsADescriptorMovesThePacketAndWritesTheDescriptorBack) {
  Params pp = params(AccessPattern::nic, 1 << 20, 1500);
  pp.stride = 2048;
  pp.ring_entries = 4;
  pp.desc_size = 16;
  EXPECT_EQ(AddressPattern::nic_span(pp), 4096u + 4 * 2048);
  AddressPattern p(pp, Rng(1));
  for (uint64_t pkt = 0; pkt < 10; ++pkt) {
    const uint64_t slot = pkt % 4;
    const PatternAccess d = p.next_access();
    EXPECT_EQ(d.addr, kBase + slot * 16);
    EXPECT_EQ(d.size, 16u);
    EXPECT_EQ(d.write, std::optional<bool>(false));
    const PatternAccess data = p.next_access();
    EXPECT_EQ(data.addr, kBase + 4096 + slot * 2048);
    EXPECT_EQ(data.size, 1500u);
    EXPECT_FALSE(data.write.has_value()) << "the op decides: rx writes, tx reads";
    const PatternAccess wb = p.next_access();
    EXPECT_EQ(wb.addr, d.addr);
    EXPECT_EQ(wb.write, std::optional<bool>(true));
  }
}

}  // namespace
}  // namespace isim
