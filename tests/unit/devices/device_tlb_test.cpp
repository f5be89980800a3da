#include "models/devices/device_tlb.h"

#include <gtest/gtest.h>

namespace isim {
namespace {

constexpr unsigned kSizes[] = {12, 21, 30};

AtsCompletion completion(uint64_t out, unsigned lg2, bool r = true, bool w = true) {
  AtsCompletion c;
  c.valid = true;
  c.translated = out;
  c.page_lg2 = lg2;
  c.read = r;
  c.write = w;
  return c;
}

DeviceTlb make() {
  return DeviceTlb(CacheParams{64, 8}, kSizes);
}

TEST(DeviceTlb, CachesCompletionsAtTheirSize) {
  DeviceTlb atc = make();
  const AtcTag t{true, 7};
  EXPECT_FALSE(atc.lookup(t, 0x1234).has_value());
  ASSERT_TRUE(atc.fill(t, 0x1234, completion(0x9000, 12)));
  const auto hit = atc.lookup(t, 0x1ff8);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->addr, 0x9ff8u);
  EXPECT_FALSE(atc.lookup(t, 0x2000).has_value()) << "next page";
  EXPECT_FALSE(atc.lookup(AtcTag{true, 8}, 0x1000).has_value()) << "other PASID";
  EXPECT_FALSE(atc.lookup(AtcTag{}, 0x1000).has_value()) << "no PASID";
  ASSERT_TRUE(atc.fill(t, 0x40212345, completion(0x80000000, 21)));
  EXPECT_EQ(atc.lookup(t, 0x403fffff)->addr, 0x801fffffu);
  EXPECT_EQ(atc.lookup(t, 0x403fffff)->page_lg2, 21u);
  EXPECT_EQ(atc.stats().hits, 3u);
  EXPECT_EQ(atc.stats().misses, 4u);
}

TEST(DeviceTlb, DoesNotCacheWhatItMayNot) {
  DeviceTlb atc = make();
  AtsCompletion u = completion(0x9000, 12);
  u.untranslated_only = true;
  EXPECT_FALSE(atc.fill({}, 0x1000, u)) << "U: untranslated access only";
  EXPECT_FALSE(atc.fill({}, 0x1000, completion(0x9000, 12, false, false))) << "no access";
  EXPECT_FALSE(atc.fill({}, 0x1000, completion(0x9000, 16))) << "a size the ATC does not hold";
  AtsCompletion invalid = completion(0x9000, 12);
  invalid.valid = false;
  EXPECT_FALSE(atc.fill({}, 0x1000, invalid));
  EXPECT_FALSE(atc.lookup({}, 0x1000).has_value());
  ASSERT_TRUE(atc.fill({}, 0x1000, completion(0x9000, 12, true, false)));
  EXPECT_FALSE(atc.lookup({}, 0x1000)->entry.write) << "read-only kept as read-only";
}

TEST(DeviceTlb, InvalidationDropsOverlappingEntriesOfItsPasid) {
  DeviceTlb atc = make();
  const AtcTag p1{true, 1}, p2{true, 2}, none{};
  for (const AtcTag& t : {p1, p2, none}) {
    atc.fill(t, 0x10000, completion(0x90000, 12));
    atc.fill(t, 0x11000, completion(0x91000, 12));
    atc.fill(t, 0x40000000, completion(0x80000000, 21));
  }
  AtsInvalidation inv;
  inv.has_pasid = true;
  inv.pasid = 1;
  inv.addr = 0x10000;
  inv.size_lg2 = 12;
  EXPECT_EQ(atc.invalidate(inv), 1u);
  EXPECT_FALSE(atc.lookup(p1, 0x10000).has_value());
  EXPECT_TRUE(atc.lookup(p1, 0x11000).has_value());
  EXPECT_TRUE(atc.lookup(p2, 0x10000).has_value());
  // A 4 KiB invalidation inside a 2 MiB entry drops the whole entry.
  inv.addr = 0x40100000;
  EXPECT_EQ(atc.invalidate(inv), 1u);
  EXPECT_FALSE(atc.lookup(p1, 0x40000000).has_value());
  // Global: every PASID's entries in the range.
  inv.global = true;
  inv.addr = 0x0;
  inv.size_lg2 = 20;  // [0, 1 MiB)
  EXPECT_EQ(atc.invalidate(inv), 3u) << "p1 0x11000, p2 0x10000 and 0x11000";
  EXPECT_TRUE(atc.lookup(none, 0x10000).has_value()) << "entries without a PASID stay";
}

TEST(DeviceTlb, InvalidationWithoutPasidCoversEveryPasid) {
  DeviceTlb atc = make();
  atc.fill(AtcTag{true, 1}, 0x10000, completion(0x90000, 12));
  atc.fill(AtcTag{}, 0x10000, completion(0x90000, 12));
  atc.fill(AtcTag{}, 0x20000, completion(0xa0000, 12));
  EXPECT_EQ(atc.invalidate(AtsInvalidation::from_wire(0x10000)), 2u);
  EXPECT_TRUE(atc.lookup({}, 0x20000).has_value());
  EXPECT_EQ(atc.invalidate(AtsInvalidation::from_wire(0x7ffffffffffff800ull)), 1u) << "all";
}

}  // namespace
}  // namespace isim
