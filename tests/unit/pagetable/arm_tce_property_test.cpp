// Property tests for the Arm VMSAv8-64 and TCE formats, through the runtime format variant
// (make_page_table): random map / unmap / protect sequences per granule x start level x
// concatenation (Arm) and per IO page size x level count (TCE), checked against a reference map
// and re-walked after every few operations.
#include <gtest/gtest.h>

#include <map>
#include <variant>

#include "base/bits.h"
#include "base/rng.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

std::vector<FmtCase> arm_tce_cases() {
  std::vector<FmtCase> v;
  // Stage 1: every start level of every granule (level 3 starts need FEAT_TTST).
  struct S1 {
    unsigned g, tsz;
    bool ttst;
  };
  const S1 s1s[] = {{12, 16, false}, {12, 25, false}, {12, 34, false}, {12, 43, true},
                    {14, 16, false}, {14, 17, false}, {14, 28, false}, {14, 39, false},
                    {16, 16, false}, {16, 22, false}, {16, 35, false}};
  for (const S1& s : s1s) {
    ArmLpaeConfig c = arm_s1_config(s.g, s.tsz);
    c.ttst = s.ttst;
    v.push_back(
        {"arm_s1_g" + std::to_string(s.g) + "_t" + std::to_string(s.tsz), ArmLpaeFormat(c)});
  }
  // Stage 2: start levels with and without concatenation (2 and 16 tables).
  struct S2 {
    unsigned g, tsz, sl0;
    bool ttst;
  };
  const S2 s2s[] = {{12, 16, 2, false}, {12, 24, 1, false}, {12, 21, 1, false}, {12, 33, 0, false},
                    {12, 30, 0, false}, {12, 39, 3, true},  {14, 16, 2, false}, {14, 17, 2, false},
                    {14, 27, 1, false}, {14, 24, 1, false}, {14, 38, 0, false}, {14, 35, 0, false},
                    {16, 16, 2, false}, {16, 21, 1, false}, {16, 18, 1, false}, {16, 34, 0, false},
                    {16, 31, 0, false}, {16, 39, 0, false}};
  for (const S2& s : s2s) {
    ArmLpaeConfig c = arm_s2_config(s.g, s.tsz, s.sl0);
    c.ttst = s.ttst;
    const ArmLpaeFormat f(c);
    v.push_back({"arm_s2_g" + std::to_string(s.g) + "_t" + std::to_string(s.tsz) + "_x" +
                     std::to_string(f.concatenated_tables()),
                 f});
  }
  // TCE: every IO page size, single and multi-level.
  for (unsigned page : {12u, 16u, 21u, 24u, 28u, 30u, 34u}) {
    for (unsigned levels : {1u, 2u, 3u, 5u}) {
      TceConfig c;
      c.page_lg2 = page;
      c.levels = levels;
      c.window_lg2 = levels == 1 ? page + 12 : page + 9 * levels - 4;
      if (!c.validate().empty()) continue;
      v.push_back({"tce_p" + std::to_string(page) + "_l" + std::to_string(levels), TceFormat(c)});
    }
  }
  return v;
}

struct Ref {
  uint64_t oa;
  unsigned lg2;
  MapAttrs attrs;
};

/// The rights each format should grant for `a`, written from the specifications (Arm ARM
/// Table D8-65 / D8-76 / D8-77, the TCE R/W bits), or nullopt when it cannot express them.
std::optional<Perms> expected_perms(const FormatVariant& f, const MapAttrs& a) {
  if (const auto* arm = std::get_if<ArmLpaeFormat>(&f)) {
    if (arm->stage2()) return Perms::rwx(a.read, a.write, a.exec);
    if (a.user && a.write && a.exec) return std::nullopt;  // never EL1-executable
    uint8_t b = Perms::kPrivRead;
    if (a.write) b |= Perms::kPrivWrite;
    if (a.exec) b |= Perms::kPrivExec;
    if (a.user) b |= Perms::kUserRead | (a.write ? Perms::kUserWrite : 0);
    if (a.user && a.exec) b |= Perms::kUserExec;
    return Perms(b);
  }
  return Perms::rwx(a.read, a.write, a.read);  // TCE: execute comes with read
}

class ArmTceProperty : public ::testing::TestWithParam<FmtCase> {
 protected:
  void SetUp() override {
    fmt_ = GetParam().fmt;
    pt_ = make_page_table(fmt_, env_.mem, env_.alloc, GetParam().opts);
    ASSERT_NE(pt_, nullptr);
    vbits_ = std::visit([](const auto& f) { return va_lg2(f); }, fmt_);
    oabits_ = std::visit([](const auto& f) { return f.oa_lg2(); }, fmt_);
    if (const auto* t = std::get_if<TceFormat>(&fmt_)) vbits_ = t->config().window_lg2;
    const uint64_t bm = page_size_bitmap(fmt_);
    for (unsigned k = 0; k < 64; ++k) {
      if (bit(bm, k)) sizes_.push_back(k);
    }
    ASSERT_FALSE(sizes_.empty());
  }

  static uint64_t last_of(uint64_t va, unsigned lg2) { return va + (lg2_size(lg2) - 1); }
  unsigned pick_size(Rng& rng) const {
    return rng.below(2) == 0 ? sizes_.front() : sizes_[rng.below(sizes_.size())];
  }
  uint64_t pick_va(Rng& rng, unsigned lg2) const {
    const unsigned hot_lg2 = vbits_ < 32 ? vbits_ : 32;
    uint64_t va;
    if (rng.below(4) != 0 && lg2 < hot_lg2) {
      va = hot_[rng.below(hot_.size())] + rng.below(lg2_size(hot_lg2));
    } else {
      va = rng.below(lg2_size(vbits_));
    }
    return align_down(va, lg2);
  }
  MapAttrs pick_attrs(Rng& rng) const {
    MapAttrs a;
    a.read = true;
    a.write = rng.below(2);
    a.exec = rng.below(2);
    a.user = rng.below(2);
    return a;
  }
  bool overlaps(uint64_t va, uint64_t last) const {
    auto it = ref_.upper_bound(last);
    if (it == ref_.begin()) return false;
    --it;
    return last_of(it->first, it->second.lg2) >= va;
  }
  bool mapped(uint64_t va) const { return overlaps(va, va); }

  void check_all(Rng& rng) {
    for (const auto& [va, m] : ref_) {
      const uint64_t off = rng.below(lg2_size(m.lg2));
      const WalkResult r = pt_->translate(va + off, AccessReq{}, {});
      ASSERT_TRUE(r.ok()) << std::hex << "va " << va + off << " " << to_string(r.fault.kind);
      EXPECT_EQ(r.tr.oa, m.oa + off);
      EXPECT_EQ(r.tr.page_lg2, m.lg2);
      EXPECT_EQ(r.tr.perms, *expected_perms(fmt_, m.attrs));
      const WalkResult w = pt_->translate(va + off, AccessReq::w(), {});
      EXPECT_EQ(w.ok(), expected_perms(fmt_, m.attrs)->has(AccessReq::w().needed()));
      if (!w.ok()) {
        EXPECT_EQ(w.fault.kind, FaultKind::Permission);
      }
    }
    for (int i = 0; i < 32; ++i) {
      const uint64_t va = pick_va(rng, sizes_.front());
      if (mapped(va)) continue;
      const WalkResult r = pt_->translate(va, AccessReq::r(true), {});
      ASSERT_FALSE(r.ok()) << std::hex << va;
      EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
    }
    const std::vector<Mapping> got = pt_->mappings();
    ASSERT_EQ(got.size(), ref_.size());
    size_t i = 0;
    for (const auto& [va, m] : ref_) {
      EXPECT_EQ(got[i].va, va);
      EXPECT_EQ(got[i].oa, m.oa);
      EXPECT_EQ(got[i].page_lg2, m.lg2);
      ++i;
    }
  }

  void op_map(Rng& rng) {
    const unsigned lg2 = pick_size(rng);
    const uint64_t va = pick_va(rng, lg2);
    const uint64_t oa = align_down(rng.next() & mask(oabits_ - 1, 0), lg2);
    const MapAttrs a = pick_attrs(rng);
    MapStatus expect = MapStatus::Ok;
    if (!expected_perms(fmt_, a)) {
      expect = MapStatus::AttrsNotSupported;
    } else if (overlaps(va, last_of(va, lg2))) {
      expect = MapStatus::AlreadyMapped;
    }
    ASSERT_EQ(pt_->map(va, oa, lg2_size(lg2), a), expect)
        << std::hex << "va " << va << " lg2 " << std::dec << lg2;
    if (expect == MapStatus::Ok) ref_[va] = {oa, lg2, a};
  }

  void op_unmap(Rng& rng) {
    if (ref_.empty()) return;
    auto it = ref_.begin();
    std::advance(it, rng.below(ref_.size()));
    uint64_t va = it->first;
    unsigned lg2 = it->second.lg2;
    const uint64_t how = rng.below(3);
    if (how == 0) {
      lg2 += static_cast<unsigned>(rng.below(10));
      if (lg2 > vbits_ - 1) lg2 = vbits_ - 1;
      va = align_down(va, lg2);
    } else if (how == 1 && lg2 > sizes_.front()) {
      const unsigned sub = sizes_.front();
      va += rng.below(lg2_size(lg2 - sub)) << sub;
      lg2 = sub;
    }
    const uint64_t last = last_of(va, lg2);
    std::vector<uint64_t> inside;
    bool partial = false;
    for (auto& [mva, m] : ref_) {
      const uint64_t mlast = last_of(mva, m.lg2);
      if (mlast < va || mva > last) continue;
      if (mva < va || mlast > last) partial = true;
      inside.push_back(mva);
    }
    const UnmapResult r = pt_->unmap(va, lg2_size(lg2));
    if (partial) {
      ASSERT_EQ(r.status, MapStatus::PartialLeaf);
      EXPECT_TRUE(r.removed.empty());
      return;
    }
    ASSERT_EQ(r.status, MapStatus::Ok) << to_string(r.status);
    ASSERT_EQ(r.removed.size(), inside.size());
    uint64_t bytes = 0;
    for (size_t i = 0; i < inside.size(); ++i) {
      const Ref& m = ref_.at(inside[i]);
      EXPECT_EQ(r.removed[i].va, inside[i]);
      EXPECT_EQ(r.removed[i].oa, m.oa);
      bytes += lg2_size(m.lg2);
      ref_.erase(inside[i]);
    }
    EXPECT_EQ(r.bytes, bytes);
  }

  void op_protect(Rng& rng) {
    if (ref_.empty()) return;
    auto it = ref_.begin();
    std::advance(it, rng.below(ref_.size()));
    const MapAttrs a = pick_attrs(rng);
    const MapStatus want = expected_perms(fmt_, a) ? MapStatus::Ok : MapStatus::AttrsNotSupported;
    ASSERT_EQ(pt_->protect(it->first, lg2_size(it->second.lg2), a), want);
    if (want == MapStatus::Ok) it->second.attrs = a;
  }

  void run(uint64_t seed, int ops) {
    Rng rng(seed, GetParam().name);
    const unsigned hot_lg2 = vbits_ < 32 ? vbits_ : 32;
    for (int i = 0; i < 4; ++i) hot_.push_back(align_down(rng.below(lg2_size(vbits_)), hot_lg2));
    for (int i = 0; i < ops; ++i) {
      const uint64_t what = rng.below(10);
      if (what < 6) {
        op_map(rng);
      } else if (what < 9) {
        op_unmap(rng);
      } else {
        op_protect(rng);
      }
      if (HasFatalFailure()) return;
      if (i % 16 == 15) {
        check_all(rng);
        if (HasFatalFailure()) return;
      }
    }
    check_all(rng);
    while (!ref_.empty()) {
      const auto it = ref_.begin();
      ASSERT_TRUE(pt_->unmap(it->first, lg2_size(it->second.lg2)).ok());
      ref_.erase(it);
    }
    EXPECT_TRUE(pt_->mappings().empty());
    EXPECT_EQ(pt_->table_count(), 1u);
  }

  Env env_;
  FormatVariant fmt_;
  std::unique_ptr<PageTable> pt_;
  unsigned vbits_ = 0;
  unsigned oabits_ = 0;
  std::vector<unsigned> sizes_;
  std::vector<uint64_t> hot_;
  std::map<uint64_t, Ref> ref_;
};

TEST_P(ArmTceProperty, RandomSequenceSeed1) {
  run(1, 300);
}
TEST_P(ArmTceProperty, RandomSequenceSeed2) {
  run(2, 300);
}

TEST_P(ArmTceProperty, EveryPageSizeMapsAndWalks) {
  Rng rng(7, GetParam().name);
  hot_.push_back(0);
  for (unsigned lg2 : sizes_) {
    const uint64_t va = align_down(rng.below(lg2_size(vbits_)), lg2);
    const uint64_t oa = (lg2_size(lg2) * 3) & mask(oabits_ - 1, 0);
    if (overlaps(va, last_of(va, lg2))) continue;
    ASSERT_EQ(pt_->map(va, oa, lg2_size(lg2), MapAttrs::rw()), MapStatus::Ok) << lg2;
    ref_[va] = {oa, lg2, MapAttrs::rw()};
    const WalkResult r = pt_->translate(va + lg2_size(lg2) - 8, AccessReq::rw(), {});
    ASSERT_TRUE(r.ok()) << lg2 << " " << to_string(r.fault.kind);
    EXPECT_EQ(r.tr.page_lg2, lg2);
    EXPECT_EQ(r.tr.oa, oa + lg2_size(lg2) - 8);
  }
  check_all(rng);
}

TEST_P(ArmTceProperty, VariantWalkMatchesTheTemplate) {
  ASSERT_EQ(pt_->map(0, lg2_size(sizes_.front()) * 7, lg2_size(sizes_.front()), MapAttrs::rw()),
            MapStatus::Ok);
  WalkStart s;
  s.table = pt_->root();
  const WalkResult v = walk(fmt_, env_.mem, s, 0x10, AccessReq::r());
  const WalkResult t = std::visit(
      [&](const auto& f) { return walk(f, env_.mem, pt_->root(), 0x10, AccessReq::r()); }, fmt_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.tr.oa, t.tr.oa);
  EXPECT_EQ(v.tr.oa, lg2_size(sizes_.front()) * 7 + 0x10);
  EXPECT_EQ(v.log.reads.size(), top_level(fmt_) + 1);
  EXPECT_STREQ(format_name(fmt_), std::holds_alternative<TceFormat>(fmt_) ? "tce" : "arm_lpae");
}

INSTANTIATE_TEST_SUITE_P(ArmAndTce, ArmTceProperty, ::testing::ValuesIn(arm_tce_cases()),
                         case_name);

}  // namespace
}  // namespace isim::pt::test
