#include "models/tce/papr_calls.h"

#include <algorithm>

namespace isim::tce {

namespace {

uint64_t reg(int64_t v) {
  return static_cast<uint64_t>(v);
}
CallOutcome status_only(int64_t s) {
  return CallOutcome{{reg(s)}};
}

}  // namespace

TceHypervisor::TceHypervisor(PeMap& pes, PhysMem& mem, PhysAllocator& tables, const HvConfig& cfg,
                             KillSink kill)
    : pes_(pes), mem_(mem), alloc_(tables), cfg_(cfg), kill_(std::move(kill)) {}

TceHypervisor::~TceHypervisor() = default;

CallOutcome TceHypervisor::hcall(std::string_view name, std::span<const uint64_t> a) {
  // The harness passes the argument registers the call defines; any other count is a malformed
  // call and answered like a bad argument.
  auto need = [&](size_t n) { return a.size() == n; };
  if (name == "H_PUT_TCE") return need(3) ? put_tce(a[0], a[1], a[2]) : status_only(kHParameter);
  if (name == "H_GET_TCE") return need(2) ? get_tce(a[0], a[1]) : status_only(kHParameter);
  if (name == "H_PUT_TCE_INDIRECT")
    return need(4) ? put_tce_indirect(a[0], a[1], a[2], a[3]) : status_only(kHParameter);
  if (name == "H_STUFF_TCE")
    return need(4) ? stuff_tce(a[0], a[1], a[2], a[3]) : status_only(kHParameter);
  CallOutcome o;
  o.known = false;
  return o;
}

CallOutcome TceHypervisor::rtas(std::string_view name, std::span<const uint64_t> args) {
  if (name == "ibm,query-pe-dma-window") return query_pe_dma_window(args);
  if (name == "ibm,create-pe-dma-window") return create_pe_dma_window(args);
  if (name == "ibm,remove-pe-dma-window") return remove_pe_dma_window(args);
  if (name == "ibm,reset-pe-dma-window") return reset_pe_dma_window(args);
  CallOutcome o;
  o.known = false;
  return o;
}

// --- helpers -------------------------------------------------------------------------------

std::optional<TceHypervisor::Target> TceHypervisor::find_window(uint64_t liobn) {
  auto ref = pes_.find_liobn(liobn);
  if (!ref) return std::nullopt;
  const PeWindows w = pes_.snapshot(ref->pe);
  if (!w.slot[ref->slot].enabled) return std::nullopt;
  return Target{ref->pe, ref->slot, w.slot[ref->slot]};
}

std::optional<uint32_t> TceHypervisor::find_pe(std::span<const uint64_t> args) const {
  if (args.size() < 3) return std::nullopt;
  if (args[1] != cfg_.buid_hi || args[2] != cfg_.buid_lo) return std::nullopt;
  // The config address names a function; bits above bus:devfn (and the register byte) are
  // not part of it.
  if (args[0] > 0xffffffffu) return std::nullopt;
  return pes_.pe_of(rid_of_config_addr(args[0]));
}

std::optional<uint64_t> TceHypervisor::check_range(const TceWindow& w, uint64_t ioba,
                                                   uint64_t npages) const {
  // KVM kvmppc_ioba_validate: the I/O bus address must be page aligned and the whole range
  // inside the window (QEMU masks the offset instead; we follow the stricter LoPAPR reading).
  if (!is_aligned(ioba, w.page_lg2()) || !w.contains(ioba)) return std::nullopt;
  const uint64_t index = (ioba - w.bus_base) >> w.page_lg2();
  if (npages > w.fmt.window_entries() - index) return std::nullopt;
  return index;
}

bool TceHypervisor::tce_ok(const TceWindow& w, uint64_t tce) const {
  // Bits between the permission bits and the page-size boundary are not part of the TCE
  // (older KVM kvmppc_tce_validate rejected them; we do too: fail closed).
  if (w.page_lg2() > 2 && (tce & mask(w.page_lg2() - 1, 2)) != 0) return false;
  if (!tce_valid(tce)) return true;  // R = W = 0 unmaps; its address bits mean nothing
  const uint64_t page = tce_page_addr(tce, w.page_lg2());
  if (cfg_.oa_bits < 64 && (page >> cfg_.oa_bits) != 0) return false;
  // The page must lie inside partition memory (KVM: the GPA must be in a memslot).
  return page < cfg_.partition_mem_end && cfg_.partition_mem_end - page >= lg2_size(w.page_lg2());
}

TceTable* TceHypervisor::table_for(const Target& t) {
  const auto key = std::make_pair(t.pe, t.slot);
  if (auto it = tables_.find(key); it != tables_.end()) return &it->second;
  // First use of a boot-time window: firmware allocates its table now and points the TVE at it.
  auto tbl = TceTable::create(t.win.fmt, mem_, alloc_);
  if (!tbl) return nullptr;
  PeWindows w = pes_.snapshot(t.pe);
  w.slot[t.slot].table_pa = tbl->root();
  w.slot[t.slot].table_present = true;
  pes_.commit(t.pe, w);
  return &tables_.emplace(key, std::move(*tbl)).first->second;
}

const TceTable* TceHypervisor::table(uint32_t pe, unsigned slot) const {
  auto it = tables_.find({pe, slot});
  return it == tables_.end() ? nullptr : &it->second;
}

void TceHypervisor::kill_pages(const Target& t, uint64_t index, uint64_t npages, CallOutcome& out) {
  if (npages == 0) return;
  TceKill k;
  k.scope = TceKill::Scope::pages;
  k.pe = t.pe;
  k.slot = t.slot;
  k.offset = index << t.win.page_lg2();
  k.npages = npages;
  if (kill_) kill_(k);
  ++out.kills;
}

void TceHypervisor::kill_pe(uint32_t pe, CallOutcome& out) {
  TceKill k;
  k.scope = TceKill::Scope::pe;
  k.pe = pe;
  if (kill_) kill_(k);
  ++out.kills;
}

unsigned TceHypervisor::active_windows(uint32_t pe) const {
  const PeWindows w = pes_.snapshot(pe);
  return static_cast<unsigned>(
      std::count_if(w.slot.begin(), w.slot.end(), [](const TceWindow& s) { return s.enabled; }));
}

unsigned TceHypervisor::levels_for(unsigned index_bits) const {
  // As Linux pnv_pci_ioda2_table_alloc_pages: enough levels that each table stays near the
  // target size, at most the configured maximum (then tables grow instead).
  const unsigned per = std::max(1u, cfg_.table_level_bits);
  const unsigned levels = (index_bits + per - 1) / per;
  return std::clamp(levels, 1u, std::max(1u, cfg_.max_levels));
}

// --- hypercalls ----------------------------------------------------------------------------

CallOutcome TceHypervisor::put_tce(uint64_t liobn, uint64_t ioba, uint64_t tce) {
  auto t = find_window(liobn);
  if (!t) return status_only(kHParameter);
  auto index = check_range(t->win, ioba, 1);
  if (!index || !tce_ok(t->win, tce)) return status_only(kHParameter);
  TceTable* tbl = table_for(*t);
  if (!tbl || !tbl->write(*index, tce)) return status_only(kHHardware);
  CallOutcome out = status_only(kHSuccess);
  out.tces_written = 1;
  kill_pages(*t, *index, 1, out);
  return out;
}

CallOutcome TceHypervisor::get_tce(uint64_t liobn, uint64_t ioba) {
  auto t = find_window(liobn);
  if (!t) return status_only(kHParameter);
  auto index = check_range(t->win, ioba, 1);
  if (!index) return status_only(kHParameter);
  uint64_t tce = 0;
  if (const TceTable* tbl = table(t->pe, t->slot)) {
    auto v = tbl->read(*index);
    if (!v) return status_only(kHHardware);
    tce = *v;
  }
  return CallOutcome{{reg(kHSuccess), tce}};
}

CallOutcome TceHypervisor::put_tce_indirect(uint64_t liobn, uint64_t ioba, uint64_t tce_list,
                                            uint64_t npages) {
  auto t = find_window(liobn);
  if (!t) return status_only(kHParameter);
  // The list is one 4 KiB page of big-endian TCEs: at most 512, page aligned.
  if (npages > kMaxIndirectTces || !is_aligned(tce_list, kTceListAlignLg2))
    return status_only(kHParameter);
  if (tce_list >= cfg_.partition_mem_end || cfg_.partition_mem_end - tce_list < npages * 8)
    return status_only(kHParameter);
  auto index = check_range(t->win, ioba, npages);
  if (!index) return status_only(kHParameter);
  std::vector<uint64_t> list(npages);
  for (uint64_t i = 0; i < npages; ++i) {
    auto v = mem_.read_be64(tce_list + i * 8);
    if (!v || !tce_ok(t->win, *v)) return status_only(kHParameter);
    list[i] = *v;
  }
  CallOutcome out = status_only(kHSuccess);
  if (npages == 0) return out;
  TceTable* tbl = table_for(*t);
  if (!tbl) return status_only(kHHardware);
  for (uint64_t i = 0; i < npages; ++i) {
    if (!tbl->write(*index + i, list[i])) {
      out.rets[0] = reg(kHHardware);
      break;
    }
    ++out.tces_written;
  }
  kill_pages(*t, *index, out.tces_written, out);
  return out;
}

CallOutcome TceHypervisor::stuff_tce(uint64_t liobn, uint64_t ioba, uint64_t tce_value,
                                     uint64_t npages) {
  auto t = find_window(liobn);
  if (!t) return status_only(kHParameter);
  auto index = check_range(t->win, ioba, npages);
  if (!index || !tce_ok(t->win, tce_value)) return status_only(kHParameter);
  CallOutcome out = status_only(kHSuccess);
  if (npages == 0) return out;
  TceTable* tbl = table_for(*t);
  if (!tbl) return status_only(kHHardware);
  for (uint64_t i = 0; i < npages; ++i) {
    if (!tbl->write(*index + i, tce_value)) {
      out.rets[0] = reg(kHHardware);
      break;
    }
    ++out.tces_written;
  }
  kill_pages(*t, *index, out.tces_written, out);
  return out;
}

// --- RTAS Dynamic DMA Windows ----------------------------------------------------------------

CallOutcome TceHypervisor::query_pe_dma_window(std::span<const uint64_t> args) {
  if (args.size() != 3) return status_only(kRtasParamError);
  auto pe = find_pe(args);
  if (!pe) return status_only(kRtasParamError);
  const uint64_t available = kWindowsPerPe - active_windows(*pe);
  const uint64_t largest = cfg_.ddw_max_tces;
  if (cfg_.query_out_ext) {
    return CallOutcome{{reg(kRtasSuccess), available, largest >> 32, largest & 0xffffffffu,
                        cfg_.ddw_page_mask, 0}};
  }
  // The 5-output form carries the block in one 32-bit cell.
  return CallOutcome{{reg(kRtasSuccess), available, std::min<uint64_t>(largest, 0xffffffffu),
                      cfg_.ddw_page_mask, 0}};
}

CallOutcome TceHypervisor::create_pe_dma_window(std::span<const uint64_t> args) {
  if (args.size() != 5) return status_only(kRtasParamError);
  auto pe = find_pe(args);
  if (!pe) return status_only(kRtasParamError);
  const uint64_t page_shift = args[3];
  const uint64_t window_shift = args[4];
  // A page size the query did not offer, a window not larger than one page, beyond its TVE
  // slot, or more TCEs than the largest block: parameter errors (QEMU spapr_rtas_ddw.c).
  if (page_shift >= 64 ||
      (ddw_page_bit(static_cast<unsigned>(page_shift)) & cfg_.ddw_page_mask) == 0)
    return status_only(kRtasParamError);
  if (window_shift <= page_shift || window_shift > kMaxWindowLg2)
    return status_only(kRtasParamError);
  const unsigned index_bits = static_cast<unsigned>(window_shift - page_shift);
  if (index_bits >= 64 || lg2_size(index_bits) > cfg_.ddw_max_tces)
    return status_only(kRtasParamError);
  PeWindows w = pes_.snapshot(*pe);
  unsigned slot = kWindowsPerPe;
  for (unsigned s = 0; s < kWindowsPerPe; ++s) {
    if (!w.slot[s].enabled) {
      slot = s;
      break;
    }
  }
  // No free TVE: QEMU answers a hardware error.
  if (slot == kWindowsPerPe) return status_only(kRtasHwError);
  pt::TceConfig tc;
  tc.page_lg2 = static_cast<unsigned>(page_shift);
  tc.window_lg2 = static_cast<unsigned>(window_shift);
  tc.levels = levels_for(index_bits);
  tc.oa_bits = cfg_.oa_bits;
  auto fmt = pt::TceFormat::create(tc);
  if (!fmt) return status_only(kRtasParamError);
  auto tbl = TceTable::create(*fmt, mem_, alloc_);
  if (!tbl) return status_only(kRtasHwError);
  TceWindow& nw = w.slot[slot];
  nw.enabled = true;
  nw.liobn = pes_.liobn(*pe, slot);
  nw.bus_base = window_base(slot);
  nw.fmt = *fmt;
  nw.table_pa = tbl->root();
  nw.table_present = true;
  tables_.insert_or_assign({*pe, slot}, std::move(*tbl));
  pes_.commit(*pe, w);
  CallOutcome out{{reg(kRtasSuccess), nw.liobn, nw.bus_base >> 32, nw.bus_base & 0xffffffffu}};
  kill_pe(*pe, out);
  return out;
}

CallOutcome TceHypervisor::remove_pe_dma_window(std::span<const uint64_t> args) {
  if (args.size() != 1) return status_only(kRtasParamError);
  auto ref = pes_.find_liobn(args[0]);
  if (!ref) return status_only(kRtasParamError);
  PeWindows w = pes_.snapshot(ref->pe);
  if (!w.slot[ref->slot].enabled) return status_only(kRtasParamError);
  TceWindow& old = w.slot[ref->slot];
  old.enabled = false;
  old.table_present = false;
  old.table_pa = 0;
  pes_.commit(ref->pe, w);
  CallOutcome out = status_only(kRtasSuccess);
  // Kill before the table memory can be reused.
  kill_pe(ref->pe, out);
  tables_.erase({ref->pe, ref->slot});
  return out;
}

CallOutcome TceHypervisor::reset_pe_dma_window(std::span<const uint64_t> args) {
  if (args.size() != 3 && args.size() != 4) return status_only(kRtasParamError);
  auto pe = find_pe(args);
  if (!pe) return status_only(kRtasParamError);
  // The optional 4th input asks for Limited Address mode (LoPAPR 2.13 extension): not offered.
  if (args.size() == 4 && args[3] != 0) return status_only(kRtasParamError);
  pes_.commit(*pe, pes_.boot_windows(*pe));
  CallOutcome out = status_only(kRtasSuccess);
  kill_pe(*pe, out);
  for (unsigned s = 0; s < kWindowsPerPe; ++s) tables_.erase({*pe, s});
  return out;
}

}  // namespace isim::tce
