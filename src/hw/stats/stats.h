// Statistics: a tree of groups that mirrors the module hierarchy, holding named stats.
//
// Shape (after gem5's statistics::Group, Ramulator's collect_stats and SST's statistics ELI; our
// own design): a component owns a Group created as a child of its parent's group, and registers
// its stats in it. The full name of a stat is the dotted path of group names plus its own,
// e.g. `system.iommu0.iotlb.hits`.
//
//   class Iotlb {
//     stats::Group stats_;                 // declared before the stats that live in it
//     stats::Counter& hits_;
//     stats::Histogram& lookup_ps_;
//     CacheStats raw_{};                   // a struct the cache template updates
//    public:
//     explicit Iotlb(stats::Group& parent)
//         : stats_(parent, "iotlb"),
//           hits_(stats_.counter("hits", "lookups that hit", "count")),
//           lookup_ps_(stats_.histogram("lookup_latency", "lookup latency", "ps")) {
//       stats_.counter_ref("evictions", &raw_.evictions, "entries evicted", "count");
//       stats_.formula("hit_rate", "hits / lookups", "ratio",
//                      [this] { return stats::ratio(hits_.value(), lookups()); });
//     }
//   };
//
// Rules:
// - Names match [A-Za-z0-9_]+ and are unique within a group; stats and child groups share that
//   namespace. A bad or duplicate name throws StatsError naming the full path.
// - Stats are owned by their group and never move, so a component may keep references to them.
//   The hot path (Counter::operator++, Histogram::record) is inline and non-virtual; the virtual
//   interface of Stat is used only when dumping or resetting.
// - "Undefined" values (a ratio over zero, statistics of an empty histogram, any NaN or
//   infinity) are NaN in memory and written as JSON null, an empty CSV field and "n/a" in the
//   text summary. Their names are always present, so the set of names does not depend on the
//   run.
// - Formulas should read other stats (e.g. CounterRef::value()) rather than raw fields, so that
//   they respect reset().
// - Single-threaded, like the SystemC kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hw/stats/histogram.h"
#include "hw/stats/stats_error.h"

namespace isim::stats {

class Group;

enum class StatKind { kCounter, kCounterRef, kScalar, kHistogram, kFormula };

/// "counter", "counter_ref", "scalar", "histogram", "formula".
std::string_view kind_name(StatKind kind);

/// num / den, or NaN (undefined) when den is 0: the usual body of a rate formula.
inline double ratio(double num, double den) {
  return den == 0.0 ? std::numeric_limits<double>::quiet_NaN() : num / den;
}

/// True if `name` is a valid group or stat name: [A-Za-z0-9_]+.
bool is_valid_name(std::string_view name);

/// Lets only Group construct stats, so every stat is registered in exactly one group.
class StatKey {
  friend class Group;
  StatKey() = default;
};

/// What every stat has: a name within its group, a one-line description and a unit string.
class Stat {
 public:
  Stat(const Stat&) = delete;
  Stat& operator=(const Stat&) = delete;
  virtual ~Stat() = default;

  const std::string& name() const { return name_; }
  const std::string& desc() const { return desc_; }
  const std::string& unit() const { return unit_; }
  const Group& group() const { return *group_; }
  /// Dotted path from the root, e.g. "system.iommu0.iotlb.hits".
  std::string full_name() const;

  virtual StatKind kind() const = 0;
  virtual void reset() = 0;

 protected:
  Stat(const Group& group, std::string name, std::string desc, std::string unit)
      : group_(&group), name_(std::move(name)), desc_(std::move(desc)), unit_(std::move(unit)) {}

 private:
  const Group* group_;
  std::string name_;
  std::string desc_;
  std::string unit_;
};

/// An owned event counter. Increments compile to a plain add on a uint64_t.
class Counter final : public Stat {
 public:
  Counter(StatKey, const Group& g, std::string name, std::string desc, std::string unit)
      : Stat(g, std::move(name), std::move(desc), std::move(unit)) {}

  Counter& operator++() {
    ++value_;
    return *this;
  }
  void operator++(int) { ++value_; }
  Counter& operator+=(uint64_t n) {
    value_ += n;
    return *this;
  }
  uint64_t value() const { return value_; }

  StatKind kind() const override { return StatKind::kCounter; }
  void reset() override { value_ = 0; }

 private:
  uint64_t value_ = 0;
};

/// A counter that lives in a component (e.g. a field of a cache's stats struct) and is read
/// through a pointer at dump time. The source must outlive the group and must only grow.
/// reset() cannot write to the source, so it records a baseline instead: value() is the
/// increase since the last reset. If the source is seen below the baseline (the component
/// zeroed it itself) the raw source value is reported.
class CounterRef final : public Stat {
 public:
  CounterRef(StatKey, const Group& g, std::string name, std::string desc, std::string unit,
             const uint64_t* source)
      : Stat(g, std::move(name), std::move(desc), std::move(unit)), source_(source) {}

  uint64_t value() const { return *source_ >= baseline_ ? *source_ - baseline_ : *source_; }
  uint64_t raw() const { return *source_; }

  StatKind kind() const override { return StatKind::kCounterRef; }
  void reset() override { baseline_ = *source_; }

 private:
  const uint64_t* source_;
  uint64_t baseline_ = 0;
};

/// A double set by the component (a simulated time, a rate computed at the end, a config-derived
/// figure). Starts at 0; NaN means undefined.
class Scalar final : public Stat {
 public:
  Scalar(StatKey, const Group& g, std::string name, std::string desc, std::string unit)
      : Stat(g, std::move(name), std::move(desc), std::move(unit)) {}

  void set(double v) { value_ = v; }
  Scalar& operator=(double v) {
    value_ = v;
    return *this;
  }
  Scalar& operator+=(double v) {
    value_ += v;
    return *this;
  }
  double value() const { return value_; }

  StatKind kind() const override { return StatKind::kScalar; }
  void reset() override { value_ = 0.0; }

 private:
  double value_ = 0.0;
};

/// A distribution of non-negative integer samples; see histogram.h for bucketing and error.
/// Written as count, min, max, mean, p50, p90, p99.
class Histogram final : public Stat {
 public:
  Histogram(StatKey, const Group& g, std::string name, std::string desc, std::string unit,
            unsigned sub_bucket_bits)
      : Stat(g, std::move(name), std::move(desc), std::move(unit)), data_(sub_bucket_bits) {}

  void record(uint64_t v, uint64_t n = 1) { data_.record(v, n); }

  uint64_t count() const { return data_.count(); }
  uint64_t min() const { return data_.min(); }
  uint64_t max() const { return data_.max(); }
  double mean() const { return data_.mean(); }
  double percentile(double q) const { return data_.percentile(q); }
  const LogHistogram& data() const { return data_; }

  StatKind kind() const override { return StatKind::kHistogram; }
  void reset() override { data_.reset(); }

 private:
  LogHistogram data_;
};

/// A value derived at dump time from other stats, e.g. a hit rate. A non-finite result (use
/// ratio() for divisions) is undefined and written as null.
class Formula final : public Stat {
 public:
  Formula(StatKey, const Group& g, std::string name, std::string desc, std::string unit,
          std::function<double()> fn)
      : Stat(g, std::move(name), std::move(desc), std::move(unit)), fn_(std::move(fn)) {}

  double value() const { return fn_(); }

  StatKind kind() const override { return StatKind::kFormula; }
  void reset() override {}

 private:
  std::function<double()> fn_;
};

/// A node of the stats tree. Not copyable or movable: children and stats point at it.
class Group {
 public:
  /// A root group (normally "system").
  explicit Group(std::string_view name);
  /// A child of `parent`, registered under `name`. If the parent is destroyed first the child
  /// becomes a root.
  Group(Group& parent, std::string_view name);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  const std::string& name() const { return name_; }
  /// Dotted path from the root, e.g. "system.iommu0.iotlb".
  std::string path() const;
  const Group* parent() const { return parent_; }

  // Registration. `desc` and `unit` must be single-line. Each throws StatsError on an invalid or
  // duplicate name. The returned reference stays valid for the group's lifetime.
  Counter& counter(std::string_view name, std::string_view desc, std::string_view unit);
  CounterRef& counter_ref(std::string_view name, const uint64_t* source, std::string_view desc,
                          std::string_view unit);
  Scalar& scalar(std::string_view name, std::string_view desc, std::string_view unit);
  Histogram& histogram(std::string_view name, std::string_view desc, std::string_view unit,
                       unsigned sub_bucket_bits = LogHistogram::kDefaultSubBucketBits);
  Formula& formula(std::string_view name, std::string_view desc, std::string_view unit,
                   std::function<double()> fn);
  /// A child group owned by this one (for per-label families such as walk latency per level).
  Group& add_group(std::string_view name);

  /// Resets every stat in this group and all groups below it (end of a warm-up period).
  void reset();

  /// Stat or group at a dotted path relative to this group ("iotlb.hits"); nullptr if absent.
  const Stat* find(std::string_view rel_path) const;
  const Group* find_group(std::string_view rel_path) const;

  /// In registration order.
  const std::vector<std::unique_ptr<Stat>>& stats() const { return stats_; }
  const std::vector<Group*>& children() const { return children_; }

 private:
  void claim_name(std::string_view name, std::string_view what);
  void check_text(std::string_view name, std::string_view field, std::string_view text) const;
  template <class T, class... Args>
  T& add_stat(std::string_view name, std::string_view desc, std::string_view unit, Args&&... args);
  void detach_child(Group* child);

  Group* parent_ = nullptr;
  std::string name_;
  std::vector<std::unique_ptr<Stat>> stats_;
  std::vector<Group*> children_;                           // owned or not, registration order
  std::vector<std::unique_ptr<Group>> owned_;              // those created by add_group()
  std::map<std::string, std::string, std::less<>> names_;  // name -> "stat" kind or "group"
};

/// One stat with its full name, as produced by collect().
struct StatEntry {
  std::string full_name;
  const Stat* stat;
};

/// Every stat under `root` (inclusive), sorted by full name in byte order. Because '.' sorts
/// below every name character this is also a depth-first walk with siblings sorted by name, so
/// a component's stats stay together. This is the one ordering every writer uses.
std::vector<StatEntry> collect(const Group& root);

}  // namespace isim::stats
