#include "trace/binary_format.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "trace/trace_error.h"

namespace isim::trace {
namespace {

std::vector<Event> events() {
  std::vector<Event> v;
  for (unsigned i = 0; i < 50; ++i) {
    Event e;
    e.time_ps = 1000 * i + (i % 3 == 0 ? 0 : 500);  // not monotonic between some neighbours
    if (i % 7 == 0) e.time_ps = 0;
    e.kind = i % 10 == 9 ? Kind::unmap : Kind::dma;
    e.rid = static_cast<uint16_t>(0x100 + i % 4);
    if (i % 5 == 0) e.pasid = i;
    e.addr = (i % 2 ? 0xffff'f000'0000ull : 0x1000) + i * 64;
    e.size = 64;
    e.access = e.kind == Kind::dma ? (i % 2 ? Access::write : Access::read) : Access::none;
    if (i % 4 == 0) e.out = e.addr - 0x800;
    if (i % 6 == 0) e.domain = i;
    if (i % 8 == 0) e.at = At::translation_request;
    v.push_back(e);
  }
  return v;
}

std::string encode(const std::vector<Event>& v) {
  std::ostringstream os;
  BinaryEncoder enc(os);
  for (const auto& e : v) enc.write(e);
  enc.finish();
  return os.str();
}

TEST(BinaryFormat, RoundTripsEveryField) {
  const auto v = events();
  std::istringstream is(encode(v));
  BinaryDecoder dec(is, "mem");
  Event e;
  for (const auto& want : v) {
    ASSERT_TRUE(dec.next(e));
    EXPECT_EQ(e, want);
  }
  EXPECT_FALSE(dec.next(e));
  EXPECT_EQ(dec.count(), v.size());
}

TEST(BinaryFormat, IsCompact) {
  const auto v = events();
  // Delta/varint records stay well under the 50+ characters of a text line.
  EXPECT_LT(encode(v).size(), v.size() * 16);
}

TEST(BinaryFormat, EveryTruncationIsDetected) {
  const std::string full = encode(events());
  for (size_t cut = 0; cut < full.size(); ++cut) {
    std::istringstream is(full.substr(0, cut));
    try {
      BinaryDecoder dec(is, "cut");
      Event e;
      while (dec.next(e)) {
      }
      FAIL() << "truncation at byte " << cut << " was not detected";
    } catch (const TraceError& ex) {
      const std::string what = ex.what();
      EXPECT_TRUE(what.find("truncated") != std::string::npos ||
                  what.find("bad magic") != std::string::npos)
          << what;
    }
  }
}

TEST(BinaryFormat, RejectsOtherVersionsAndTrailingBytes) {
  std::string bad = encode(events());
  bad[sizeof kBinaryMagic] = 2;
  std::istringstream is(bad);
  EXPECT_THROW(BinaryDecoder(is, "v2"), TraceError);

  std::istringstream tail(encode(events()) + "x");
  BinaryDecoder dec(tail, "tail");
  Event e;
  EXPECT_THROW(
      {
        while (dec.next(e)) {
        }
      },
      TraceError);
}

}  // namespace
}  // namespace isim::trace
