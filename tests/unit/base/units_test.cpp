#include "base/units.h"

#include <gtest/gtest.h>

namespace isim {
namespace {

TEST(Units, UnsignedIntegers) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("4096"), 4096u);
  EXPECT_EQ(parse_uint("0x1000"), 0x1000u);
  EXPECT_EQ(parse_uint("0xFED9_0000"), 0xfed90000u);
  EXPECT_EQ(parse_uint("0b101"), 5u);
  EXPECT_EQ(parse_uint("18446744073709551615"), ~uint64_t{0});
  EXPECT_FALSE(parse_uint("18446744073709551616"));
  EXPECT_FALSE(parse_uint("-1"));
  EXPECT_FALSE(parse_uint("12abc"));
  EXPECT_FALSE(parse_uint("_12"));
  EXPECT_FALSE(parse_uint("1__2"));
  EXPECT_FALSE(parse_uint(""));
  EXPECT_FALSE(parse_uint("0x"));
}

TEST(Units, SignedIntegers) {
  EXPECT_EQ(parse_int("-4"), -4);
  EXPECT_EQ(parse_int("+7"), 7);
  EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parse_int("9223372036854775808"));
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_bytes("64"), 64u);
  EXPECT_EQ(parse_bytes("64B"), 64u);
  EXPECT_EQ(parse_bytes("4KiB"), 4096u);
  EXPECT_EQ(parse_bytes("2MiB"), 2u << 20);
  EXPECT_EQ(parse_bytes("64GiB"), uint64_t{64} << 30);
  EXPECT_EQ(parse_bytes("1TiB"), uint64_t{1} << 40);
  EXPECT_EQ(parse_bytes("1.5KiB"), 1536u);
  EXPECT_EQ(parse_bytes("2KB"), 2000u);
  EXPECT_FALSE(parse_bytes("1.3B"));  // not a whole number of bytes
  EXPECT_FALSE(parse_bytes("4kib"));
  EXPECT_FALSE(parse_bytes("GiB"));
  EXPECT_FALSE(parse_bytes("4 GiBs"));
  EXPECT_FALSE(parse_bytes("100000PiB"));  // overflows 64 bits
}

TEST(Units, Latencies) {
  EXPECT_EQ(parse_latency("90ns"), Latency::ps(90'000));
  EXPECT_EQ(parse_latency("1.5us"), Latency::ps(1'500'000));
  EXPECT_EQ(parse_latency("2ms"), Latency::ps(2'000'000'000));
  EXPECT_EQ(parse_latency("250ps"), Latency::ps(250));
  EXPECT_EQ(parse_latency("20cycles"), Latency::in_cycles(20));
  EXPECT_EQ(parse_latency("0"), Latency::ps(0));
  EXPECT_FALSE(parse_latency("90"));  // a unit is required for non-zero values
  EXPECT_FALSE(parse_latency("1.5cycles"));
  EXPECT_FALSE(parse_latency("90 nss"));
  EXPECT_FALSE(parse_latency("0.1ps"));  // finer than the resolution
  EXPECT_EQ(parse_time("200us"), 200'000'000u);
  EXPECT_FALSE(parse_time("5cycles"));
}

TEST(Units, LatencyInCycles) {
  EXPECT_EQ(Latency::in_cycles(20).to_ticks(1000), 20'000u);  // 20 cycles at 1 GHz
  EXPECT_EQ(Latency::in_cycles(3).to_ticks(3000), 1'000u);    // 3 cycles at 3 GHz
  EXPECT_EQ(Latency::ns(5).to_ticks(1234), 5'000u);           // absolute times ignore the clock
}

TEST(Units, BandwidthFrequencyRate) {
  EXPECT_DOUBLE_EQ(*parse_bandwidth("19.2GB/s"), 19.2e9);
  EXPECT_DOUBLE_EQ(*parse_bandwidth("8Gb/s"), 1e9);
  EXPECT_DOUBLE_EQ(*parse_bandwidth("1GiB/s"), 1073741824.0);
  EXPECT_FALSE(parse_bandwidth("19.2"));
  EXPECT_FALSE(parse_bandwidth("0GB/s"));
  EXPECT_DOUBLE_EQ(*parse_frequency_mhz("2GHz"), 2000.0);
  EXPECT_DOUBLE_EQ(*parse_frequency_mhz("800MHz"), 800.0);
  EXPECT_FALSE(parse_frequency_mhz("2G"));
  EXPECT_DOUBLE_EQ(*parse_rate_gts("8GT/s"), 8.0);
  EXPECT_DOUBLE_EQ(*parse_rate_gts("2500MT/s"), 2.5);
  EXPECT_FALSE(parse_rate_gts("8GB/s"));
}

TEST(Units, FormatsRoundTrip) {
  for (uint64_t b :
       {uint64_t{64}, uint64_t{4096}, uint64_t{3} << 20, uint64_t{64} << 30, uint64_t{1000}})
    EXPECT_EQ(parse_bytes(format_bytes(b)), b) << format_bytes(b);
  for (Tick t : {Tick{250}, Tick{90'000}, Tick{1'500'000}, Tick{200'000'000}, Tick{1234}})
    EXPECT_EQ(parse_time(format_time(t)), t) << format_time(t);
  EXPECT_EQ(format_bytes(uint64_t{64} << 30), "64GiB");
  EXPECT_EQ(format_time(200'000'000), "200us");
  EXPECT_EQ(format_latency(Latency::in_cycles(7)), "7cycles");
}

}  // namespace
}  // namespace isim
