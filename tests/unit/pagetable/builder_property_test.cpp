// Property tests: random map / unmap / protect sequences on every format configuration, checked
// against a reference std::map, with every mapping re-walked after each operation.
#include <gtest/gtest.h>

#include <map>
#include <variant>

#include "base/bits.h"
#include "base/rng.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

struct Ref {
  uint64_t oa;
  unsigned lg2;
  MapAttrs attrs;
};
using RefMap = std::map<uint64_t, Ref>;

uint64_t last_of(uint64_t va, unsigned lg2) {
  return va + (lg2_size(lg2) - 1);
}

/// The rights each format should grant for `a` (written from the specifications, independent of
/// the formats' encoders).
Perms expected_perms(const FormatVariant& f, const MapAttrs& a) {
  if (const auto* x = std::get_if<X86Format>(&f)) {
    uint8_t b = Perms::kPrivRead;  // present => readable (SDM 4.6)
    if (a.user) b |= Perms::kUserRead;
    if (a.write) b |= Perms::kPrivWrite | (a.user ? Perms::kUserWrite : 0);
    if (a.exec || !x->config().nx) b |= Perms::kPrivExec | (a.user ? Perms::kUserExec : 0);
    return Perms(b);
  }
  if (const auto* v = std::get_if<VtdSsFormat>(&f)) {
    return Perms::rwx(a.read, a.write, v->config().exec ? a.exec : a.read);
  }
  return Perms::rwx(a.read, a.write, a.read);  // AMD v1: execute comes with read
}

class BuilderProperty : public ::testing::TestWithParam<FmtCase> {
 protected:
  void SetUp() override {
    fmt_ = GetParam().fmt;
    pt_ = make_page_table(fmt_, env_.mem, env_.alloc, GetParam().opts);
    ASSERT_NE(pt_, nullptr);
    vbits_ = std::visit([](const auto& f) { return va_lg2(f); }, fmt_);
    oabits_ = std::visit([](const auto& f) { return f.oa_lg2(); }, fmt_);
    const uint64_t bm = page_size_bitmap(fmt_);
    for (unsigned k = 0; k < 64; ++k) {
      if (bit(bm, k)) sizes_.push_back(k);
    }
    ASSERT_FALSE(sizes_.empty());
  }

  FaultKind input_check(uint64_t va) const {
    return std::visit([&](const auto& f) { return check_input(f, va); }, fmt_);
  }
  uint64_t canonical(uint64_t va) const {
    return input_check(va) == FaultKind::None ? va : sign_extend(va, vbits_ - 1);
  }

  unsigned pick_size(Rng& rng) const {
    if (rng.below(2) == 0) return sizes_.front();
    return sizes_[rng.below(sizes_.size())];
  }
  uint64_t pick_va(Rng& rng, unsigned lg2) const {
    const unsigned hot_lg2 = vbits_ < 32 ? vbits_ : 32;
    uint64_t va;
    if (rng.below(4) != 0 && lg2 < hot_lg2) {
      va = hot_[rng.below(hot_.size())] + rng.below(lg2_size(hot_lg2));
    } else {
      va = vbits_ >= 64 ? rng.next() : rng.below(lg2_size(vbits_));
    }
    return canonical(align_down(va, lg2));
  }
  MapAttrs pick_attrs(Rng& rng) const {
    MapAttrs a;
    a.read = true;
    a.write = rng.below(2);
    a.exec = rng.below(2);
    a.user = rng.below(2);
    return a;
  }
  const Ref* find(uint64_t va) const {
    auto it = ref_.upper_bound(va);
    if (it == ref_.begin()) return nullptr;
    --it;
    return va <= last_of(it->first, it->second.lg2) ? &it->second : nullptr;
  }
  bool overlaps(uint64_t va, uint64_t last) const {
    auto it = ref_.upper_bound(last);
    if (it == ref_.begin()) return false;
    --it;
    return last_of(it->first, it->second.lg2) >= va;
  }

  void check_all(Rng& rng) {
    for (const auto& [va, m] : ref_) {
      const uint64_t off = rng.below(lg2_size(m.lg2));
      WalkResult r = pt_->translate(va + off, AccessReq::r(/*priv=*/true), {});
      ASSERT_TRUE(r.ok()) << std::hex << "va " << va + off << " " << to_string(r.fault.kind)
                          << " level " << unsigned(r.fault.level);
      EXPECT_EQ(r.tr.oa, m.oa + off);
      EXPECT_EQ(r.tr.page_lg2, m.lg2);
      EXPECT_EQ(r.tr.perms, expected_perms(fmt_, m.attrs));
      const WalkResult w = pt_->translate(va + off, AccessReq::w(), {});
      EXPECT_EQ(w.ok(), expected_perms(fmt_, m.attrs).has(AccessReq::w().needed()));
      if (!w.ok()) {
        EXPECT_EQ(w.fault.kind, FaultKind::Permission);
      }
    }
    for (int i = 0; i < 32; ++i) {
      const uint64_t va = pick_va(rng, sizes_.front());
      if (find(va)) continue;
      const WalkResult r = pt_->translate(va, AccessReq::r(true), {});
      ASSERT_FALSE(r.ok()) << std::hex << va;
      EXPECT_TRUE(r.fault.kind == FaultKind::NotPresent ||
                  r.fault.kind == FaultKind::SkippedBitsNonZero)
          << to_string(r.fault.kind);
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
    const unsigned ob = oabits_ < 52 ? oabits_ : 52;
    const uint64_t oa = align_down(rng.next() & mask(ob - 1, 0), lg2);
    const MapAttrs a = pick_attrs(rng);
    const MapStatus expect =
        overlaps(va, last_of(va, lg2)) ? MapStatus::AlreadyMapped : MapStatus::Ok;
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
      // A wider, aligned range: may cover several mappings and holes.
      lg2 += static_cast<unsigned>(rng.below(10));
      if (lg2 > vbits_ - 1) lg2 = vbits_ - 1;
      va = align_down(va, lg2);
    } else if (how == 1 && lg2 > sizes_.front()) {
      // Part of a larger page: must be refused, since splitting is not supported.
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
      EXPECT_EQ(r.removed[i].page_lg2, m.lg2);
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
    ASSERT_EQ(pt_->protect(it->first, lg2_size(it->second.lg2), a), MapStatus::Ok);
    it->second.attrs = a;
  }

  void run(uint64_t seed, int ops) {
    Rng rng(seed, GetParam().name);
    const unsigned hot_lg2 = vbits_ < 32 ? vbits_ : 32;
    for (int i = 0; i < 4; ++i) {
      const uint64_t r = vbits_ >= 64 ? rng.next() : rng.below(lg2_size(vbits_));
      hot_.push_back(align_down(r, hot_lg2));
    }
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
    // Tearing everything down returns every table but the root.
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
  RefMap ref_;
};

TEST_P(BuilderProperty, RandomSequenceSeed1) {
  run(1, 300);
}
TEST_P(BuilderProperty, RandomSequenceSeed2) {
  run(2, 300);
}

TEST_P(BuilderProperty, EveryPageSizeMapsAndWalks) {
  Rng rng(7, GetParam().name);
  hot_.push_back(0);
  for (unsigned lg2 : sizes_) {
    const uint64_t va =
        canonical(align_down(rng.next() & (vbits_ >= 64 ? ~0ull : mask(vbits_ - 1, 0)), lg2));
    const uint64_t oa = lg2_size(lg2) * 3 & mask((oabits_ < 52 ? oabits_ : 52) - 1, 0);
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

INSTANTIATE_TEST_SUITE_P(AllFormats, BuilderProperty, ::testing::ValuesIn(all_format_cases()),
                         case_name);

}  // namespace
}  // namespace isim::pt::test
