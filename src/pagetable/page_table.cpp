#include "pagetable/page_table.h"

#include "pagetable/walker.h"

namespace isim::pt {

const char* format_name(const FormatVariant& f) {
  return std::visit([](const auto& fmt) -> const char* { return fmt.kName; }, f);
}

unsigned top_level(const FormatVariant& f) {
  return std::visit([](const auto& fmt) -> unsigned { return fmt.top_level(); }, f);
}

uint64_t page_size_bitmap(const FormatVariant& f) {
  return std::visit([](const auto& fmt) -> uint64_t { return fmt.page_size_bitmap(); }, f);
}

WalkResult walk(const FormatVariant& f, PhysMem& mem, const WalkStart& start, uint64_t va,
                const AccessReq& req, const WalkOptions& opts) {
  return std::visit([&](const auto& fmt) { return walk(fmt, mem, start, va, req, opts); }, f);
}

WalkResult walk_nested(const FormatVariant& s1, const FormatVariant& s2, PhysMem& mem,
                       const WalkStart& s1_start, const WalkStart& s2_root, uint64_t va,
                       const AccessReq& req, const WalkOptions& s1_opts,
                       const WalkOptions& s2_opts) {
  return std::visit(
      [&](const auto& f1, const auto& f2) {
        using F2 = std::decay_t<decltype(f2)>;
        return walk_nested(f1, mem, s1_start, va, req, Stage2Walker<F2>(f2, mem, s2_root, s2_opts),
                           s1_opts);
      },
      s1, s2);
}

namespace {

template <PageTableFormat Fmt>
class PageTableImpl final : public PageTable {
 public:
  PageTableImpl(Builder<Fmt> b, PhysMem& mem) : b_(std::move(b)), mem_(&mem), fv_(b_.format()) {}
  ~PageTableImpl() override { b_.destroy(); }

  const FormatVariant& format() const override { return fv_; }
  uint64_t root() const override { return b_.root(); }
  uint64_t table_count() const override { return b_.table_count(); }

  WalkResult translate(uint64_t va, const AccessReq& req, const WalkOptions& opts) override {
    return walk(b_.format(), *mem_, b_.root(), va, req, opts);
  }
  MapStatus map(uint64_t va, uint64_t oa, uint64_t size, const MapAttrs& attrs) override {
    return b_.map(va, oa, size, attrs);
  }
  MapStatus map_range(uint64_t va, uint64_t oa, uint64_t len, const MapAttrs& attrs) override {
    return b_.map_range(va, oa, len, attrs);
  }
  UnmapResult unmap(uint64_t va, uint64_t len) override { return b_.unmap(va, len); }
  MapStatus protect(uint64_t va, uint64_t len, const MapAttrs& attrs) override {
    return b_.protect(va, len, attrs);
  }
  std::vector<Mapping> mappings() const override { return b_.mappings(); }

 private:
  Builder<Fmt> b_;
  PhysMem* mem_;
  FormatVariant fv_;
};

}  // namespace

std::unique_ptr<PageTable> make_page_table(const FormatVariant& f, PhysMem& mem,
                                           PhysAllocator& alloc, const BuilderOptions& opts) {
  return std::visit(
      [&](const auto& fmt) -> std::unique_ptr<PageTable> {
        using Fmt = std::decay_t<decltype(fmt)>;
        std::optional<Builder<Fmt>> b = Builder<Fmt>::create(fmt, mem, alloc, opts);
        if (!b) return nullptr;
        return std::make_unique<PageTableImpl<Fmt>>(std::move(*b), mem);
      },
      f);
}

}  // namespace isim::pt
