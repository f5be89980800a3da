// The generator's queue of completion times: always yields the earliest, whatever the order of
// arrival, across wrap-around of its ring.
#include "models/devices/completion_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <queue>
#include <random>
#include <vector>

namespace isim {
namespace {

TEST(CompletionQueue, PopsInTimeOrderWhateverTheArrivalOrder) {
  CompletionQueue q;
  q.reset(4);
  for (Tick t : {30, 10, 40, 20}) q.push(t);
  EXPECT_EQ(q.size(), 4u);
  std::vector<Tick> out;
  while (!q.empty()) {
    out.push_back(q.earliest());
    q.pop_earliest();
  }
  EXPECT_EQ(out, (std::vector<Tick>{10, 20, 30, 40}));
}

TEST(CompletionQueue, MatchesAHeapOverAClosedLoop) {
  // A closed loop of 8 in flight over many requests with random latencies: the ring wraps many
  // times and must agree with a priority queue at every step.
  constexpr size_t kOutstanding = 8;
  CompletionQueue q;
  q.reset(kOutstanding);
  std::priority_queue<Tick, std::vector<Tick>, std::greater<>> ref;
  std::mt19937_64 rng(7);
  Tick now = 0;
  for (int n = 0; n < 10000; ++n) {
    if (q.size() == kOutstanding) {
      ASSERT_EQ(q.earliest(), ref.top()) << "request " << n;
      now = std::max(now, q.earliest());
      q.pop_earliest();
      ref.pop();
    }
    const Tick done = now + 100 + rng() % 1000;
    q.push(done);
    ref.push(done);
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.earliest(), ref.top());
    q.pop_earliest();
    ref.pop();
  }
  EXPECT_TRUE(q.empty());
}

TEST(CompletionQueue, ResetEmptiesIt) {
  CompletionQueue q;
  q.reset(2);
  q.push(5);
  q.reset(3);
  EXPECT_TRUE(q.empty());
  q.push(9);
  q.push(1);
  EXPECT_EQ(q.earliest(), 1u);
}

}  // namespace
}  // namespace isim
