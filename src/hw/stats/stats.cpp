#include "hw/stats/stats.h"

#include <algorithm>

namespace isim::stats {

std::string_view kind_name(StatKind kind) {
  switch (kind) {
    case StatKind::kCounter:
      return "counter";
    case StatKind::kCounterRef:
      return "counter_ref";
    case StatKind::kScalar:
      return "scalar";
    case StatKind::kHistogram:
      return "histogram";
    case StatKind::kFormula:
      return "formula";
  }
  return "unknown";
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string Stat::full_name() const {
  return group_->path() + "." + name_;
}

Group::Group(std::string_view name) : name_(name) {
  if (!is_valid_name(name)) {
    throw StatsError("invalid group name '" + name_ + "' (allowed: [A-Za-z0-9_]+)");
  }
}

Group::Group(Group& parent, std::string_view name) : name_(name) {
  parent.claim_name(name, "group");
  parent_ = &parent;
  parent.children_.push_back(this);
}

Group::~Group() {
  // Children outliving us become roots; the owned ones must not call back into us while our
  // members are being destroyed.
  for (Group* c : children_) c->parent_ = nullptr;
  if (parent_) parent_->detach_child(this);
}

void Group::detach_child(Group* child) {
  std::erase(children_, child);
  names_.erase(child->name_);
}

std::string Group::path() const {
  return parent_ ? parent_->path() + "." + name_ : name_;
}

void Group::claim_name(std::string_view name, std::string_view what) {
  const std::string where = path() + "." + std::string(name);
  if (!is_valid_name(name)) {
    throw StatsError("invalid " + std::string(what) + " name '" + where +
                     "' (each component must match [A-Za-z0-9_]+)");
  }
  const auto it = names_.find(name);
  if (it != names_.end()) {
    throw StatsError("duplicate name '" + where + "': cannot register a " + std::string(what) +
                     ", already registered as a " + it->second);
  }
  names_.emplace(std::string(name), std::string(what));
}

void Group::check_text(std::string_view name, std::string_view field, std::string_view text) const {
  // One-line text keeps the CSV one row per stat and the text summary aligned.
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    throw StatsError(std::string(field) + " of '" + path() + "." + std::string(name) +
                     "' must be a single line");
  }
}

template <class T, class... Args>
T& Group::add_stat(std::string_view name, std::string_view desc, std::string_view unit,
                   Args&&... args) {
  check_text(name, "description", desc);
  check_text(name, "unit", unit);
  auto stat = std::make_unique<T>(StatKey{}, *this, std::string(name), std::string(desc),
                                  std::string(unit), std::forward<Args>(args)...);
  claim_name(name, kind_name(stat->kind()));
  T& ref = *stat;
  stats_.push_back(std::move(stat));
  return ref;
}

Counter& Group::counter(std::string_view name, std::string_view desc, std::string_view unit) {
  return add_stat<Counter>(name, desc, unit);
}

CounterRef& Group::counter_ref(std::string_view name, const uint64_t* source, std::string_view desc,
                               std::string_view unit) {
  if (source == nullptr) {
    throw StatsError("counter_ref '" + path() + "." + std::string(name) + "' has a null source");
  }
  return add_stat<CounterRef>(name, desc, unit, source);
}

Scalar& Group::scalar(std::string_view name, std::string_view desc, std::string_view unit) {
  return add_stat<Scalar>(name, desc, unit);
}

Histogram& Group::histogram(std::string_view name, std::string_view desc, std::string_view unit,
                            unsigned sub_bucket_bits) {
  return add_stat<Histogram>(name, desc, unit, sub_bucket_bits);
}

Formula& Group::formula(std::string_view name, std::string_view desc, std::string_view unit,
                        std::function<double()> fn) {
  if (!fn) {
    throw StatsError("formula '" + path() + "." + std::string(name) + "' has no function");
  }
  return add_stat<Formula>(name, desc, unit, std::move(fn));
}

Group& Group::add_group(std::string_view name) {
  owned_.push_back(std::make_unique<Group>(*this, name));
  return *owned_.back();
}

void Group::reset() {
  for (auto& s : stats_) s->reset();
  for (Group* c : children_) c->reset();
}

const Group* Group::find_group(std::string_view rel_path) const {
  const Group* g = this;
  while (!rel_path.empty()) {
    const size_t dot = rel_path.find('.');
    const std::string_view head = rel_path.substr(0, dot);
    const auto it = std::find_if(g->children_.begin(), g->children_.end(),
                                 [&](const Group* c) { return c->name_ == head; });
    if (it == g->children_.end()) return nullptr;
    g = *it;
    rel_path = dot == std::string_view::npos ? std::string_view{} : rel_path.substr(dot + 1);
  }
  return g;
}

const Stat* Group::find(std::string_view rel_path) const {
  const size_t dot = rel_path.rfind('.');
  const Group* g = dot == std::string_view::npos ? this : find_group(rel_path.substr(0, dot));
  if (g == nullptr) return nullptr;
  const std::string_view leaf = dot == std::string_view::npos ? rel_path : rel_path.substr(dot + 1);
  for (const auto& s : g->stats_) {
    if (s->name() == leaf) return s.get();
  }
  return nullptr;
}

namespace {

void collect_into(const Group& g, const std::string& prefix, std::vector<StatEntry>& out) {
  for (const auto& s : g.stats()) out.push_back({prefix + "." + s->name(), s.get()});
  for (const Group* c : g.children()) collect_into(*c, prefix + "." + c->name(), out);
}

}  // namespace

std::vector<StatEntry> collect(const Group& root) {
  std::vector<StatEntry> out;
  collect_into(root, root.path(), out);
  std::sort(out.begin(), out.end(),
            [](const StatEntry& a, const StatEntry& b) { return a.full_name < b.full_name; });
  return out;
}

}  // namespace isim::stats
