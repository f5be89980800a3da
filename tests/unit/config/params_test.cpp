// The params visitors: strict reading with precise errors, describing, and JSON round trips.
#include "sim/params.h"

#include <gtest/gtest.h>

namespace isim::cfg {
namespace {

enum class Color { red, green };

}  // namespace

template <>
struct EnumNames<Color> {
  static constexpr std::pair<Color, std::string_view> table[] = {{Color::red, "red"},
                                                                 {Color::green, "green"}};
};

namespace {

struct Inner {
  unsigned entries = 64;
  template <class V>
  void visit(V& v) {
    v.param("entries", entries, "entries", Range<unsigned>{1, 1024});
  }
};

struct Demo {
  uint64_t size = 4096;
  Latency latency = Latency::ns(10);
  bool enabled = false;
  Color color = Color::red;
  Bandwidth bw{1e9};
  uint64_t base = 0x1000;
  uint32_t flags = 0x107;
  Inner inner;
  template <class V>
  void visit(V& v) {
    v.param("size", size, "a size", Unit::bytes);
    v.param("latency", latency, "a latency");
    v.param("enabled", enabled, "a flag");
    v.param("color", color, "an enum");
    v.param("bw", bw, "a bandwidth");
    v.param("base", base, "an address", Unit::address);
    v.param("flags", flags, "a mask", Unit::hex);
    v.group("inner", inner, "nested");
  }
  template <class C>
  void validate(C& c) const {
    if (size % 4096) c.fail("size", "must be a multiple of 4KiB");
  }
};

struct Parsed {
  Demo d;
  std::vector<std::string> errors;
};

Parsed parse(const std::string& yaml) {
  Parsed p;
  ErrorList errs;
  SourceInfo src{"demo.yaml", {}};
  read_params(YAML::Load(yaml), "demo", src, errs, p.d);
  p.errors = errs.messages();
  return p;
}

TEST(Params, DefaultsWhenAbsent) {
  auto p = parse("{}");
  EXPECT_TRUE(p.errors.empty());
  EXPECT_EQ(p.d.size, 4096u);
  EXPECT_EQ(p.d.inner.entries, 64u);
  auto q = parse("");  // a null document is "all defaults"
  EXPECT_TRUE(q.errors.empty());
}

TEST(Params, ReadsEveryKind) {
  auto p = parse(
      "size: 2MiB\nlatency: 20cycles\nenabled: yes\ncolor: green\nbw: 8Gb/s\nbase: 0xfed0_0000\n"
      "inner: {entries: 512}\n");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0];
  EXPECT_EQ(p.d.size, 2u << 20);
  EXPECT_EQ(p.d.latency, Latency::in_cycles(20));
  EXPECT_TRUE(p.d.enabled);
  EXPECT_EQ(p.d.color, Color::green);
  EXPECT_DOUBLE_EQ(p.d.bw.bytes_per_s, 1e9);
  EXPECT_EQ(p.d.base, 0xfed00000u);
  EXPECT_EQ(p.d.inner.entries, 512u);
}

TEST(Params, UnknownKeyNamesFileLineAndSuggestion) {
  auto p = parse("size: 8KiB\nlatncy: 5ns\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0], "demo.yaml:2:1: demo.latncy: unknown key (did you mean 'latency'?)");
}

TEST(Params, BadValueNamesTheKeyAndWhatWasExpected) {
  auto p = parse("size: 8KiB\nlatency: 5 parsecs\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].find("demo.yaml:2:10: demo.latency: bad value '5 parsecs'"),
            std::string::npos)
      << p.errors[0];
  EXPECT_NE(p.errors[0].find("expected a duration"), std::string::npos);
}

TEST(Params, EveryErrorIsReportedAtOnce) {
  auto p = parse("size: banana\ncolor: blue\ninner: {entries: 0}\nbogus: 1\n");
  ASSERT_EQ(p.errors.size(), 4u);
  EXPECT_NE(p.errors[0].find("demo.size"), std::string::npos);
  EXPECT_NE(p.errors[1].find("demo.color: bad value 'blue': expected one of: red | green"),
            std::string::npos)
      << p.errors[1];
  EXPECT_NE(p.errors[2].find("demo.yaml:3:18: demo.inner.entries: value 0 out of range [1, 1024]"),
            std::string::npos)
      << p.errors[2];
  EXPECT_NE(p.errors[3].find("demo.bogus: unknown key"), std::string::npos);
}

TEST(Params, WrongShapes) {
  auto p = parse("inner: 5\nsize: [1, 2]\n");
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_NE(p.errors[0].find("demo.size: expected a size"), std::string::npos) << p.errors[0];
  EXPECT_NE(p.errors[1].find("demo.inner: expected a mapping"), std::string::npos) << p.errors[1];
}

TEST(Params, CrossFieldValidation) {
  auto p = parse("size: 5000\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0], "demo.yaml:1:7: demo.size: must be a multiple of 4KiB");
}

TEST(Params, OverriddenKeysReportTheOverride) {
  ErrorList errs;
  SourceInfo src{"demo.yaml", {{"demo.latency", "demo.latency=fast"}}};
  Demo d;
  read_params(YAML::Load("latency: fast"), "demo", src, errs, d);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs.messages()[0].rfind("--set demo.latency=fast: demo.latency: bad value", 0), 0u)
      << errs.messages()[0];
}

TEST(Params, DescribeListsEveryKeyWithDefaultsAndDocs) {
  const auto rows = describe_params<Demo>();
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].key, "size");
  EXPECT_EQ(rows[0].default_value, "4KiB");
  EXPECT_EQ(rows[0].doc, "a size");
  EXPECT_EQ(rows[1].default_value, "10ns");
  EXPECT_EQ(rows[3].type, "one of: red | green");
  EXPECT_EQ(rows[5].default_value, "0x1000");
  EXPECT_EQ(rows[6].default_value, "0x107");
  EXPECT_EQ(rows[6].type, "a number, written in hex (e.g. 0x107)");
  EXPECT_EQ(rows[7].key, "inner.entries");
  EXPECT_NE(rows[7].type.find("[1..1024]"), std::string::npos);
}

TEST(Params, JsonRoundTripsThroughTheReader) {
  auto p = parse("size: 8KiB\nlatency: 3cycles\ncolor: green\ninner: {entries: 7}\n");
  ASSERT_TRUE(p.errors.empty());
  const nlohmann::json j = params_to_json(p.d);
  EXPECT_EQ(j["size"], "8KiB");
  EXPECT_EQ(j["inner"]["entries"], 7);
  // The JSON dump is itself a valid config for the same struct and yields the same values.
  auto again = parse(j.dump());
  ASSERT_TRUE(again.errors.empty()) << again.errors[0];
  EXPECT_EQ(params_to_json(again.d), j);
}

}  // namespace
}  // namespace isim::cfg
