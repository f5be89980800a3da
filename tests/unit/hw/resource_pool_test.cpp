// Resource timelines: slot pools and bandwidth channels.
#include "hw/resource_pool.h"

#include "hw/busy_calendar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <vector>

#include "base/rng.h"

namespace isim {
namespace {

TEST(BusyCalendar, MergesTouchingIntervals) {
  BusyCalendar<Tick> c(8);
  c.book(0, 10);
  c.book(10, 10);  // back to back: one interval
  EXPECT_EQ(c.spans(), 1u);
  c.book(40, 10);
  c.book(25, 5);  // in the gap, touching neither side
  EXPECT_EQ(c.spans(), 3u);
  c.book(20, 5);   // touches [0,20) and [25,30)
  c.book(30, 10);  // touches [0,30) and [40,50): one interval again
  EXPECT_EQ(c.spans(), 1u);
  EXPECT_EQ(c.last_end(), 50u);
  EXPECT_TRUE(c.busy_at(49));
  EXPECT_FALSE(c.busy_at(50));
  EXPECT_EQ(c.earliest_fit(0, 1), 50u);
  c.retire_before(50);
  EXPECT_EQ(c.spans(), 0u);
  EXPECT_THROW(BusyCalendar<Tick>(1), std::invalid_argument);
}

TEST(ResourcePool, RejectsZeroSlots) {
  EXPECT_THROW(ResourcePool(0), std::invalid_argument);
}

TEST(ResourcePool, SingleSlotQueues) {
  ResourcePool p(1);
  EXPECT_EQ(p.acquire(0, 10), 0u);
  EXPECT_EQ(p.acquire(0, 10), 10u);
  EXPECT_EQ(p.acquire(5, 10), 20u);
  EXPECT_EQ(p.acquire(100, 1), 100u);  // idle gap: no wait
  const TimelineStats& s = p.stats();
  EXPECT_EQ(s.acquisitions, 4u);
  EXPECT_EQ(s.delayed, 2u);
  EXPECT_EQ(s.total_wait, 0u + 10u + 15u + 0u);
  EXPECT_EQ(s.max_wait, 15u);
  EXPECT_EQ(s.busy, 31u);
  EXPECT_EQ(p.busy_until(0), 101u);
}

TEST(ResourcePool, BurstOnNSlots) {
  constexpr uint32_t kSlots = 4;
  constexpr Tick kDur = 100;
  ResourcePool p(kSlots);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(p.acquire(0, kDur), (i / kSlots) * kDur) << i;
  EXPECT_EQ(p.stats().max_wait, 2 * kDur);
  EXPECT_EQ(p.stats().total_wait, 4 * kDur + 2 * 2 * kDur);
  EXPECT_EQ(p.stats().delayed, 6u);
  EXPECT_EQ(p.earliest_free(), 2 * kDur);  // two slots finish the first two rounds
  EXPECT_EQ(p.free_at(2 * kDur), 2u);
  EXPECT_EQ(p.free_at(3 * kDur), 4u);
}

TEST(ResourcePool, TiesGoToTheLowestSlot) {
  ResourcePool p(3);
  p.acquire(0, 50);
  EXPECT_EQ(p.busy_until(0), 50u);
  EXPECT_EQ(p.busy_until(1), 0u);
  p.acquire(0, 60);
  EXPECT_EQ(p.busy_until(1), 60u);
  EXPECT_EQ(p.busy_until(2), 0u);
}

TEST(ResourcePool, LateArrivalFindsEarlyFreedSlot) {
  // Slot 0 frees at 90, slot 1 at 0. A request ready at 100 takes slot 0 (the free slot that
  // freed last), so a request that arrives afterwards but is ready at 50 still starts at 50.
  ResourcePool p(2);
  p.acquire(0, 90);
  EXPECT_EQ(p.acquire(100, 50), 100u);
  EXPECT_EQ(p.busy_until(0), 150u);
  EXPECT_EQ(p.acquire(50, 10), 50u);
  EXPECT_EQ(p.busy_until(1), 60u);
  EXPECT_EQ(p.stats().total_wait, 0u);
}

// For requests in ready-time order, an N-server FIFO queue: each request starts when it is
// ready or when the earliest of the N servers frees, whichever is later.
TEST(ResourcePool, MatchesQueueReferenceForOrderedArrivals) {
  for (uint32_t slots : {1u, 2u, 3u, 6u, 16u}) {
    ResourcePool p(slots);
    std::priority_queue<Tick, std::vector<Tick>, std::greater<>> free_times;
    for (uint32_t i = 0; i < slots; ++i) free_times.push(0);
    Rng rng(slots);
    Tick ready = 0, wait_sum = 0, wait_max = 0, busy = 0;
    for (int i = 0; i < 5000; ++i) {
      ready += rng.below(40);
      const Tick dur = 1 + rng.below(300);
      const Tick want = std::max(ready, free_times.top());
      free_times.pop();
      free_times.push(want + dur);
      ASSERT_EQ(p.acquire(ready, dur), want) << "slots " << slots << " request " << i;
      wait_sum += want - ready;
      wait_max = std::max(wait_max, want - ready);
      busy += dur;
    }
    EXPECT_EQ(p.stats().total_wait, wait_sum);
    EXPECT_EQ(p.stats().max_wait, wait_max);
    EXPECT_EQ(p.stats().busy, busy);
    if (slots == 1) {
      EXPECT_GT(wait_sum, 0u);
    }
  }
}

TEST(ResourcePool, LateBookingUsesIdleGaps) {
  // One walker, booked ahead by a request ready at 1000; a request booked later but ready at
  // 0 runs at once, and one too long for the gap goes after the future booking.
  ResourcePool p(1);
  EXPECT_EQ(p.acquire(1000, 100), 1000u);
  EXPECT_EQ(p.acquire(0, 500), 0u);
  EXPECT_EQ(p.acquire(0, 600), 1100u);
  EXPECT_EQ(p.first_free(0), 500u);
  EXPECT_EQ(p.first_free(1000), 1700u);
  EXPECT_EQ(p.free_at(700), 1u);
  EXPECT_EQ(p.free_at(1050), 0u);
  EXPECT_EQ(p.stats().total_wait, 1100u);
}

TEST(ResourcePool, LateBookingPrefersTheSlotIdleLeast) {
  // Slot 0 is busy [0, 100), slot 1 never used. A late request ready at 100 takes slot 0 (idle
  // since 100, not since forever), so slot 1 stays free for a long request ready at 100 too.
  ResourcePool p(2);
  p.acquire(0, 100);
  EXPECT_EQ(p.acquire(100, 10), 100u);
  EXPECT_EQ(p.busy_until(0), 110u);
  EXPECT_EQ(p.busy_until(1), 0u);
}

// Against a brute-force reference of the documented rule, with requests in any order: each
// starts at the earliest time some slot is idle for its whole duration; among slots that can
// start then, the one whose previous use ended last, then the lowest number.
TEST(ResourcePool, MatchesBruteForceCalendarForAnyOrder) {
  for (uint32_t slots : {1u, 2u, 5u}) {
    ResourcePool p(slots);
    std::vector<std::vector<std::pair<Tick, Tick>>> busy(slots);
    Rng rng(100 + slots);
    Tick waited = 0;
    for (int i = 0; i < 2000; ++i) {
      const Tick ready = rng.below(20000);
      const Tick dur = 1 + rng.below(200);
      uint32_t pick = 0;
      Tick want = 0, idle = 0;
      for (uint32_t s = 0; s < slots; ++s) {
        Tick t = ready;
        for (bool moved = true; moved;) {
          moved = false;
          for (const auto& [b, e] : busy[s])
            if (b < t + dur && t < e) {
              t = e;
              moved = true;
            }
        }
        Tick since = 0;
        for (const auto& [b, e] : busy[s])
          if (e <= t) since = std::max(since, e);
        if (s == 0 || t < want || (t == want && since > idle)) {
          pick = s;
          want = t;
          idle = since;
        }
      }
      busy[pick].emplace_back(want, want + dur);
      ASSERT_EQ(p.acquire(ready, dur), want) << "slots " << slots << " request " << i;
      waited += want - ready;
    }
    EXPECT_EQ(p.stats().total_wait, waited);
    EXPECT_GT(waited, 0u);  // the load is heavy enough for requests to queue
  }
}

TEST(ResourcePool, UtilisationAndReset) {
  ResourcePool p(2);
  p.acquire(0, 50);
  p.acquire(0, 50);
  EXPECT_DOUBLE_EQ(p.utilisation(100), 0.5);
  EXPECT_DOUBLE_EQ(p.utilisation(0), 0.0);
  p.reset();
  EXPECT_EQ(p.stats().acquisitions, 0u);
  EXPECT_EQ(p.earliest_free(), 0u);
  EXPECT_EQ(p.acquire(0, 10), 0u);
}

// ---------------------------------------------------------------- bandwidth

TEST(TransferRate, ReducedExactRatio) {
  const TransferRate r = TransferRate::per_second(19.2e9);
  EXPECT_EQ(r, TransferRate::ratio(19'200'000'000ull, 1'000'000'000'000ull));
  EXPECT_EQ(r.bytes * 1'000'000'000'000ull, 19'200'000'000ull * r.ticks);
  EXPECT_DOUBLE_EQ(r.bytes_per_second(), 19.2e9);
  EXPECT_THROW(TransferRate::per_second(-1), std::invalid_argument);
}

TEST(TransferRate, TransferTicksRoundsUp) {
  const auto r = TransferRate::ratio(3, 10);  // 0.3 bytes/ps
  EXPECT_EQ(transfer_ticks(3, r), 10u);
  EXPECT_EQ(transfer_ticks(1, r), 4u);  // 3.33 -> 4
  EXPECT_EQ(transfer_ticks(0, r), 0u);
  EXPECT_THROW(transfer_ticks(1, TransferRate{}), std::invalid_argument);
}

TEST(BandwidthTimeline, RejectsZeroRate) {
  EXPECT_THROW(BandwidthTimeline(TransferRate{0, 1}), std::invalid_argument);
}

TEST(BandwidthTimeline, LongRunIsExact) {
  // 64-byte transfers at 19.2 GB/s take 3333.33 ps each: rounding each one would drift by
  // 0.67 ps per transfer; carrying the fraction ends exactly at floor(total / rate).
  BandwidthTimeline ch(TransferRate::per_second(19.2e9));
  constexpr uint64_t kN = 1'000'000, kBytes = 64;
  BandwidthTimeline::Booking last{};
  for (uint64_t i = 0; i < kN; ++i) {
    last = ch.transfer(0, kBytes);
    const Tick d = last.end - last.start;
    ASSERT_TRUE(d == 3333 || d == 3334) << "transfer " << i << " took " << d;
  }
  const auto exact = static_cast<Tick>(static_cast<unsigned __int128>(kN * kBytes) *
                                       1'000'000'000'000ull / 19'200'000'000ull);
  EXPECT_EQ(last.end, exact);
  EXPECT_EQ(ch.busy_until(), exact);
  EXPECT_EQ(ch.stats().busy, exact);
  EXPECT_EQ(ch.bytes(), kN * kBytes);
  EXPECT_NE(transfer_ticks(kBytes, ch.rate()) * kN, exact);  // what naive rounding would give
}

TEST(BandwidthTimeline, PcieStyleRatioIsExact) {
  // 8 lanes at 8 GT/s with 128b/130b encoding: 1024 bytes every 130 ns.
  const auto rate = TransferRate::ratio(1024, 130'000);
  BandwidthTimeline ch(rate);
  Rng rng(5);
  uint64_t total = 0;
  Tick end = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t b = 1 + rng.below(512);
    total += b;
    end = ch.transfer(0, b).end;
  }
  EXPECT_EQ(end, static_cast<Tick>(static_cast<unsigned __int128>(total) * 130'000 / 1024));
}

TEST(BandwidthTimeline, IdleGapDropsTheFraction) {
  BandwidthTimeline ch(TransferRate::ratio(3, 10));
  auto a = ch.transfer(0, 1);  // exact end 3.33
  EXPECT_EQ(a.start, 0u);
  EXPECT_EQ(a.end, 3u);
  auto b = ch.transfer(0, 1);  // queued: exact 3.33 .. 6.67
  EXPECT_EQ(b.start, 3u);
  EXPECT_EQ(b.end, 6u);
  auto c = ch.transfer(100, 1);  // idle: starts on its own ready time, no inherited fraction
  EXPECT_EQ(c.start, 100u);
  EXPECT_EQ(c.end, 103u);
  auto d = ch.transfer(100, 2);  // queued behind c (exact 103.33): ends at 110
  EXPECT_EQ(d.start, 103u);
  EXPECT_EQ(d.end, 110u);
  EXPECT_EQ(ch.stats().acquisitions, 4u);
  EXPECT_EQ(ch.stats().delayed, 2u);
  EXPECT_EQ(ch.stats().total_wait, 3u + 3u);
  EXPECT_EQ(ch.stats().max_wait, 3u);
}

TEST(BandwidthTimeline, LateBookingUsesTheIdleGapBeforeFutureBookings) {
  // One initiator ran ahead and booked [1000, 1100); another, booked afterwards but ready at
  // 0, finds the channel idle then instead of queueing behind the future booking.
  BandwidthTimeline ch(TransferRate::ratio(1, 1));
  EXPECT_EQ(ch.transfer(1000, 100).start, 1000u);
  const auto late = ch.transfer(0, 100);
  EXPECT_EQ(late.start, 0u);
  EXPECT_EQ(late.end, 100u);
  EXPECT_EQ(ch.stats().total_wait, 0u);
  // A transfer too long for the gap that is left goes after the future booking...
  EXPECT_EQ(ch.transfer(150, 900).start, 1100u);
  // ... while one that fits still uses it, and one straddling a booking waits for its end.
  EXPECT_EQ(ch.transfer(150, 850).start, 150u);
  EXPECT_EQ(ch.transfer(90, 20).start, 100u);
  EXPECT_EQ(ch.busy_until(), 2000u);
}

TEST(BandwidthTimeline, GapFillingKeepsTheFraction) {
  // 0.3 bytes/ps: a transfer that fills the gap behind a queued one inherits its exact end.
  BandwidthTimeline ch(TransferRate::ratio(3, 10));
  ch.transfer(1000, 3);                  // [1000, 1010)
  EXPECT_EQ(ch.transfer(0, 1).end, 3u);  // exact 3.33
  const auto b = ch.transfer(0, 2);      // exact 3.33 .. 10
  EXPECT_EQ(b.start, 3u);
  EXPECT_EQ(b.end, 10u);
  EXPECT_EQ(ch.transfer(0, 1).start, 10u);  // exact 10: the gap starts on a whole ps
}

TEST(BandwidthTimeline, RetiredAndCappedCalendarsStayCorrect) {
  // With two intervals kept at most, the oldest gap is filled: a late request may wait more
  // than it would have, never less than the bookings it overlaps demand.
  BandwidthTimeline ch(TransferRate::ratio(1, 1), 2);
  ch.transfer(0, 10);    // [0, 10)
  ch.transfer(100, 10);  // [100, 110)
  ch.transfer(200, 10);  // [200, 210): [0, 110) is now one interval
  EXPECT_EQ(ch.transfer(50, 10).start, 110u);
  BandwidthTimeline r(TransferRate::ratio(1, 1));
  r.transfer(0, 10);
  r.transfer(100, 10);
  r.retire_before(50);  // [0, 10) is forgotten; later requests are ready at 50 or after
  EXPECT_EQ(r.transfer(50, 10).start, 50u);
  EXPECT_EQ(r.transfer(95, 10).start, 110u);
}

TEST(BandwidthTimeline, UtilisationAndReset) {
  BandwidthTimeline ch(TransferRate::ratio(1, 1));  // 1 byte/ps
  ch.transfer(0, 250);
  ch.transfer(500, 250);
  EXPECT_DOUBLE_EQ(ch.utilisation(1000), 0.5);
  ch.reset();
  EXPECT_EQ(ch.busy_until(), 0u);
  EXPECT_EQ(ch.bytes(), 0u);
  EXPECT_EQ(ch.transfer(0, 10).end, 10u);
}

}  // namespace
}  // namespace isim
