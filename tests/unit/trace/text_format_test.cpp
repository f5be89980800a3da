#include "trace/text_format.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "trace/trace_error.h"
#include "trace/trace_io.h"
#include "trace/trace_stats.h"

namespace isim::trace {
namespace {

Event sample() {
  Event e;
  e.time_ps = 12345;
  e.rid = 0x0108;
  e.pasid = 7;
  e.addr = 0x4000'1040;
  e.size = 64;
  e.access = Access::write;
  e.at = At::translated;
  e.out = 0x9'0000'0040;
  return e;
}

TEST(TextFormat, EventRoundTrips) {
  const Event e = sample();
  const std::string line = format_event(e);
  EXPECT_EQ(line, "12345 dma 01:01.0 7 0x40001040 64 w at=t out=0x900000040");
  Event back;
  std::string err;
  ASSERT_EQ(parse_event_line(line, back, err), LineResult::event) << err;
  EXPECT_EQ(back, e);
}

TEST(TextFormat, SoftwareEventsRoundTrip) {
  Event m;
  m.kind = Kind::map;
  m.addr = 0x1000;
  m.size = 0x2000;
  m.access = Access::read_write;
  m.out = 0x80000;
  m.domain = 3;
  Event back;
  std::string err;
  ASSERT_EQ(parse_event_line(format_event(m), back, err), LineResult::event) << err;
  EXPECT_EQ(back, m);
}

TEST(TextFormat, AcceptsNumericRidAndComments) {
  Event e;
  std::string err;
  ASSERT_EQ(parse_event_line("5 dma 0x0100 - 0x1000 4 r # comment", e, err), LineResult::event)
      << err;
  EXPECT_EQ(e.rid, 0x0100);
  EXPECT_FALSE(e.pasid);
  EXPECT_EQ(parse_event_line("   # only a comment", e, err), LineResult::blank);
  EXPECT_EQ(parse_event_line("", e, err), LineResult::blank);
}

TEST(TextFormat, RejectsMalformedLines) {
  Event e;
  std::string err;
  EXPECT_EQ(parse_event_line("5 dma 01:00.0 - 0x1000 4", e, err), LineResult::error);
  EXPECT_EQ(parse_event_line("5 dmx 01:00.0 - 0x1000 4 r", e, err), LineResult::error);
  EXPECT_NE(err.find("dmx"), std::string::npos);
  EXPECT_EQ(parse_event_line("5 dma 01:00.0 - 0x1000 0 r", e, err), LineResult::error);
  EXPECT_EQ(parse_event_line("5 dma 01:00.0 - 0x1000 4 rw", e, err), LineResult::error);
  EXPECT_EQ(parse_event_line("5 dma 01:00.0 2000000 0x1000 4 r", e, err), LineResult::error);
  EXPECT_EQ(parse_event_line("5 dma 01:40.0 - 0x1000 4 r", e, err), LineResult::error);
  EXPECT_EQ(parse_event_line("5 dma 01:00.0 - 0x1000 4 r bogus=1", e, err), LineResult::error);
}

TEST(TextFormat, HeaderIsChecked) {
  EXPECT_EQ(check_text_header(text_header()), "");
  EXPECT_NE(check_text_header("# iommu-sim trace v2"), "");
  EXPECT_NE(check_text_header("hello"), "");
}

class TraceFile : public ::testing::Test {
 protected:
  std::string path(const std::string& name) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("isim_trace_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
  }
  void write(const std::string& p, const std::string& text) { std::ofstream(p) << text; }
};

TEST_F(TraceFile, MalformedLineNamesFileAndLine) {
  const auto p = path("bad.trace");
  write(p, text_header() + "\n0 dma 01:00.0 - 0x1000 64 r\n\n1 dma 01:00.0 - zz 64 r\n");
  auto r = open_reader(p);
  Event e;
  ASSERT_TRUE(r->next(e));
  try {
    r->next(e);
    FAIL() << "no error";
  } catch (const TraceError& ex) {
    EXPECT_NE(std::string(ex.what()).find("bad.trace:4: bad address 'zz'"), std::string::npos)
        << ex.what();
  }
}

TEST_F(TraceFile, SkipBadCountsLines) {
  const auto p = path("skip.trace");
  write(p, text_header() + "\n0 dma 01:00.0 - 0x1000 64 r\nxx\n2 dma 01:00.0 - 0x2000 64 w\n");
  auto r = open_reader(p, {Format::automatic, true});
  Event e;
  unsigned n = 0;
  while (r->next(e)) ++n;
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(r->skipped(), 1u);
}

TEST_F(TraceFile, ReadersSayWhereEachEventCameFrom) {
  // Text: the file and line of the event, past comments and blank lines.
  const auto t = path("where.trace");
  write(t, text_header() + "\n# c\n0 dma 01:00.0 - 0x1000 64 r\n\n5 dma 01:00.0 - 0x2000 64 w\n");
  auto r = open_reader(t);
  Event e;
  ASSERT_TRUE(r->next(e));
  EXPECT_EQ(r->where(), t + ":3");
  ASSERT_TRUE(r->next(e));
  EXPECT_EQ(r->where(), t + ":5");

  // Binary: the event's ordinal.
  const auto b = path("where.itb");
  {
    auto w = open_writer(b);
    w->write(e);
    w->write(e);
    w->finish();
  }
  auto rb = open_reader(b);
  ASSERT_TRUE(rb->next(e));
  ASSERT_TRUE(rb->next(e));
  EXPECT_EQ(rb->where(), b + ": event 2");

  // Imported logs: the line of the log, other events' lines counted too.
  const auto q = path("where.log");
  write(q,
        "1@1.000001:vtd_reg_write addr 0x18 size 0x4 value 0x1\n"
        "1@1.000002:vtd_dmar_translate dev 01:00.00 iova 0x1000 -> gpa 0x2000 mask 0xfff\n");
  auto rq = open_reader(q, {Format::qemu, false});
  ASSERT_TRUE(rq->next(e));
  EXPECT_EQ(rq->where(), q + ":2");
}

TEST_F(TraceFile, StatsCountFootprintAndSpan) {
  const auto p = path("stats.trace");
  write(p, text_header() +
               "\n100 dma 01:00.0 - 0x1000 64 r\n300 dma 01:00.0 - 0x1fc0 128 w\n"
               "200 map 01:00.0 - 0x5000 4096 rw out=0x9000\n");
  auto r = open_reader(p);
  TraceSummary s;
  Event e;
  while (r->next(e)) s.add(e);
  EXPECT_EQ(s.events, 3u);
  EXPECT_EQ(s.reads, 1u);
  EXPECT_EQ(s.writes, 1u);
  EXPECT_EQ(s.bytes, 192u);
  EXPECT_EQ(s.pages.size(), 2u);  // 0x1fc0 + 128 crosses into page 2
  EXPECT_EQ(s.first_ps, 100u);
  EXPECT_EQ(s.last_ps, 300u);
}

}  // namespace
}  // namespace isim::trace
