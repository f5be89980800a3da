#include "models/tce/tce_iommu.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "base/rng.h"
#include "hw/dma_attrs.h"
#include "hw/sc_time_util.h"
#include "hw/translated_dma.h"
#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

namespace {

// PHB3 TCE Kill register value (IODA2; Linux pnv_pci_phb3_tce_invalidate, IBM bit numbering
// PPC_BIT(n) = 1 << (63 - n)): bit 0 invalidate all, bit 1 all TCEs of one PE, bit 2 one TCE;
// PE number in the low byte; for one TCE the page's bus address in the bits above.
constexpr uint64_t kKillAll = uint64_t{1} << 63;
constexpr uint64_t kKillPe = uint64_t{1} << 62;
constexpr uint64_t kKillOne = uint64_t{1} << 61;
constexpr uint64_t kKillPeMask = 0xff;
constexpr unsigned kKillAddrLo = 12;

unsigned log2_exact(uint64_t v) {
  return is_pow2(v) ? static_cast<unsigned>(__builtin_ctzll(v)) : 0;
}

bool in_sc_thread() {
  if (!sc_core::sc_is_running()) return false;
  return sc_core::sc_get_current_process_handle().proc_kind() == sc_core::SC_THREAD_PROC_;
}

tce::TceWindow default_window(const TceIommuParams& p) {
  pt::TceConfig c;
  c.page_lg2 = log2_exact(p.default_page_size);
  c.window_lg2 = log2_exact(p.default_window_size);
  c.levels = p.default_levels;
  tce::TceWindow w;
  w.enabled = true;
  w.fmt = pt::TceFormat(c);  // validated by TceIommuParams::validate
  return w;
}

uint64_t pool_base(const BuildContext& ctx, const TceIommuParams& p) {
  const uint64_t mem = ctx.config.memory.size;
  if (p.table_pool_size == 0 || p.table_pool_size >= mem)
    throw std::invalid_argument("tce: table_pool_size must be above 0 and below memory.size");
  return mem - p.table_pool_size;
}

CacheParams seeded(CacheParams c, uint64_t seed, const std::string& name) {
  c.seed = Rng(seed, name + ".tce_cache").next();
  return c;
}

}  // namespace

void TceIommuParams::validate(cfg::ParamChecker& c) const {
  pt::TceConfig tc;
  tc.page_lg2 = log2_exact(default_page_size);
  tc.window_lg2 = log2_exact(default_window_size);
  tc.levels = default_levels;
  if (!is_pow2(default_page_size))
    c.fail("default_page_size", "must be a power of two");
  else if (!is_pow2(default_window_size))
    c.fail("default_window_size", "must be a power of two");
  else if (tc.window_lg2 > tce::kMaxWindowLg2)
    c.fail("default_window_size", "must be at most 2^59 (the window 0 slot)");
  else if (std::string why = tc.validate(); !why.empty())
    c.fail("default_page_size", why);
  uint32_t known = 0;
  for (const auto& [lg2, bit] : tce::kDdwPageSizeBits) known |= bit;
  if (ddw_page_mask & ~known) c.fail("ddw_page_mask", "has bits of no DDW page size");
}

TceIommu::TceIommu(const ComponentSpec& spec, const TceIommuParams& p, BuildContext& ctx)
    : IommuBase(spec.name.c_str(), ctx.stats),
      p_(p),
      table_pool_(pool_base(ctx, p), ctx.config.memory.size),
      partition_mem_end_(pool_base(ctx, p)),
      pes_(p.pe_rid_shift, p.liobn_base, default_window(p)),
      translator_(pes_, ctx.memory, tce::TranslatorOptions{p.freeze_on_error}),
      cache_(seeded(p.tce_cache, ctx.config.sim.seed, spec.name)),
      cache_stats_(stats_, "tce_cache"),
      dmas_(stats_.counter("dmas", "DMA requests received", "count")),
      walks_(stats_.counter("walks", "TCE table walks (cache misses that walked)", "count")),
      walk_reads_(stats_.counter("walk_reads", "table entries read by walks", "count")),
      blocked_(stats_.counter("blocked", "DMA requests blocked", "count")),
      blk_outside_(stats_.counter("blocked_outside_windows", "blocked: in no window", "count")),
      blk_invalid_(stats_.counter("blocked_invalid_tce", "blocked: invalid TCE", "count")),
      blk_perm_(stats_.counter("blocked_permission", "blocked: direction not granted", "count")),
      blk_table_(stats_.counter("blocked_table_error", "blocked: table unreadable", "count")),
      blk_frozen_(stats_.counter("blocked_frozen", "blocked: PE frozen (EEH)", "count")),
      kills_(stats_.counter("tce_kills", "TCE kills (hypervisor and register)", "count")),
      tces_written_(stats_.counter("tces_written", "TCEs stored by hypercalls", "count")),
      hcall_stats_(stats_, "hcalls"),
      h_put_tce_(hcall_stats_.counter("H_PUT_TCE", "H_PUT_TCE calls", "count")),
      h_get_tce_(hcall_stats_.counter("H_GET_TCE", "H_GET_TCE calls", "count")),
      h_put_tce_indirect_(
          hcall_stats_.counter("H_PUT_TCE_INDIRECT", "H_PUT_TCE_INDIRECT calls", "count")),
      h_stuff_tce_(hcall_stats_.counter("H_STUFF_TCE", "H_STUFF_TCE calls", "count")),
      hcall_errors_(hcall_stats_.counter("errors", "hcalls that returned an error", "count")),
      rtas_stats_(stats_, "rtas"),
      rtas_query_(rtas_stats_.counter("query_pe_dma_window", "ibm,query-pe-dma-window", "count")),
      rtas_create_(
          rtas_stats_.counter("create_pe_dma_window", "ibm,create-pe-dma-window", "count")),
      rtas_remove_(
          rtas_stats_.counter("remove_pe_dma_window", "ibm,remove-pe-dma-window", "count")),
      rtas_reset_(rtas_stats_.counter("reset_pe_dma_window", "ibm,reset-pe-dma-window", "count")),
      rtas_errors_(rtas_stats_.counter("errors", "RTAS calls that returned an error", "count")) {
  tce::HvConfig hc;
  hc.buid_hi = static_cast<uint32_t>(p.buid >> 32);
  hc.buid_lo = static_cast<uint32_t>(p.buid);
  hc.ddw_page_mask = p.ddw_page_mask;
  hc.ddw_max_tces = p.ddw_max_tces;
  hc.max_levels = p.max_levels;
  hc.table_level_bits = p.table_level_bits;
  hc.partition_mem_end = partition_mem_end_;
  hc.query_out_ext = p.query_out_ext;
  hv_ = std::make_unique<tce::TceHypervisor>(pes_, ctx.memory, table_pool_, hc,
                                             [this](const tce::TceKill& k) { apply_kill(k); });
  const CacheStats& cs = cache_.stats();
  cache_stats_.counter_ref("hits", &cs.hits, "TCE cache hits", "count");
  cache_stats_.counter_ref("misses", &cs.misses, "TCE cache misses", "count");
  cache_stats_.counter_ref("evictions", &cs.evictions, "entries evicted", "count");
  cache_stats_.counter_ref("invalidations", &cs.invalidations, "entries killed", "count");
  cache_stats_.formula("hit_rate", "hits / lookups", "ratio", [&cs] {
    return stats::ratio(static_cast<double>(cs.hits), static_cast<double>(cs.hits + cs.misses));
  });
}

TceIommu::~TceIommu() = default;

void TceIommu::count_block(tce::BlockReason r) {
  ++blocked_;
  switch (r) {
    case tce::BlockReason::outside_windows:
      ++blk_outside_;
      break;
    case tce::BlockReason::invalid_tce:
      ++blk_invalid_;
      break;
    case tce::BlockReason::permission:
      ++blk_perm_;
      break;
    case tce::BlockReason::table_error:
      ++blk_table_;
      break;
    case tce::BlockReason::frozen:
      ++blk_frozen_;
      break;
    case tce::BlockReason::none:
      break;
  }
}

void TceIommu::charge_walk(const tce::TceFetch& f, sc_core::sc_time& delay) {
  // The walker already read the entries functionally; these reads give the walk the memory's
  // latency and bandwidth. They carry no DmaAttrs, so memory counts them as IOMMU traffic.
  walk_reads_ += f.reads;
  for (unsigned i = 0; i < f.reads; ++i) {
    uint64_t buf = 0;
    bus_read(f.read_pa[i], &buf, sizeof buf, delay);
    delay += from_ticks(lat(p_.walk_level));
  }
}

tce::TceResult TceIommu::translate(const tce::TceRequest& req, sc_core::sc_time& delay) {
  delay += from_ticks(lat(p_.cache_lookup));
  tce::BlockReason why = tce::BlockReason::none;
  tce::TceResult res;
  auto hit = translator_.select(req, &why);
  if (!hit) {
    res.pe = pes_.pe_of(req.rid);
    res.reason = why;
    translator_.on_error(res.pe, why);
    return res;
  }
  const Key key = Key::of(tce::CacheTag{hit->pe, static_cast<uint8_t>(hit->slot)}, hit->offset,
                          hit->win.page_lg2());
  uint64_t tce = 0;
  if (const tce::CacheEntry* c = cache_.lookup(key)) {
    tce = c->tce;
  } else {
    ++walks_;
    const tce::TceFetch f = translator_.fetch(*hit);
    charge_walk(f, delay);
    if (f.fault.kind != pt::FaultKind::None) {
      res.pe = hit->pe;
      res.slot = hit->slot;
      res.reason = f.fault.kind == pt::FaultKind::NotPresent ? tce::BlockReason::invalid_tce
                                                             : tce::BlockReason::table_error;
      translator_.on_error(res.pe, res.reason);
      return res;
    }
    tce = f.tce;
    cache_.insert(key, tce::CacheEntry{tce});
  }
  res = tce::TceTranslator::check(*hit, tce, req);
  if (!res.ok()) translator_.on_error(res.pe, res.reason);
  return res;
}

void TceIommu::dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++dmas_;
  const DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  // The PHB translates untranslated requests only (no ATS under PAPR here).
  if (!attrs || attrs->ats != AtsType::untranslated) {
    count_block(tce::BlockReason::outside_windows);
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  const bool write = tx.is_write();
  forward_translated(tx, downstream, delay, pieces_,
                     [&](uint64_t a) -> std::optional<PageTranslation> {
                       const tce::TceResult r = translate({attrs->rid, a, write}, delay);
                       if (!r.ok()) {
                         count_block(r.reason);
                         return std::nullopt;
                       }
                       return PageTranslation{r.out, r.page_lg2};
                     });
}

unsigned TceIommu::dma_debug(int, tlm::tlm_generic_payload& tx) {
  // Side-effect free: no cache, no stats, no freeze. Only accesses inside one TCE page.
  const DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs) return 0;
  const tce::TceRequest req{attrs->rid, tx.get_address(), tx.is_write()};
  tce::BlockReason why = tce::BlockReason::none;
  auto hit = translator_.select(req, &why);
  if (!hit) return 0;
  const tce::TceFetch f = translator_.fetch(*hit);
  if (f.fault.kind != pt::FaultKind::None) return 0;
  const tce::TceResult r = tce::TceTranslator::check(*hit, f.tce, req);
  if (!r.ok()) return 0;
  const uint64_t room = lg2_size(r.page_lg2) - (r.out & (lg2_size(r.page_lg2) - 1));
  if (tx.get_data_length() > room) return 0;
  const uint64_t addr = tx.get_address();
  tx.set_address(r.out);
  const unsigned n = downstream->transport_dbg(tx);
  tx.set_address(addr);
  return n;
}

void TceIommu::apply_kill(const tce::TceKill& k) {
  ++kills_;
  using Scope = tce::TceKill::Scope;
  switch (k.scope) {
    case Scope::all:
      cache_.invalidate_all();
      return;
    case Scope::pe:
      cache_.invalidate_if(
          [&](const Key& key, const tce::CacheEntry&) { return key.tag.pe == k.pe; });
      return;
    case Scope::pages: {
      cache_.invalidate_if([&](const Key& key, const tce::CacheEntry&) {
        if (key.tag.pe != k.pe || key.tag.slot != k.slot) return false;
        const uint64_t base = key.base();
        const uint64_t end = base + lg2_size(key.page_lg2);
        const uint64_t kill_end = k.offset + (k.npages << key.page_lg2);
        return base < kill_end && end > k.offset;
      });
      return;
    }
  }
}

void TceIommu::mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  // Only the TCE Kill register exists; it is write-only and reads as zero. The bus data is the
  // register value (the CPU model has already applied the big-endian register byte order).
  if (tx.get_address() != kTceKillOffset || tx.get_data_length() != sizeof(uint64_t)) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  uint64_t v = 0;
  if (tx.is_read()) {
    std::memcpy(tx.get_data_ptr(), &v, sizeof v);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  std::memcpy(&v, tx.get_data_ptr(), sizeof v);
  delay += from_ticks(lat(p_.tce_kill));
  tce::TceKill k;
  k.pe = static_cast<uint32_t>(v & kKillPeMask);
  if (v & kKillAll) {
    k.scope = tce::TceKill::Scope::all;
    apply_kill(k);
  } else if (v & kKillPe) {
    // PHB3 PE numbers are 8 bits: kill every PE whose number matches in the low byte.
    ++kills_;
    cache_.invalidate_if(
        [&](const Key& key, const tce::CacheEntry&) { return (key.tag.pe & kKillPeMask) == k.pe; });
  } else if (v & kKillOne) {
    const uint64_t bus = v & mask(tce::kTveSelectBit, kKillAddrLo);
    const unsigned slot = static_cast<unsigned>((bus >> tce::kTveSelectBit) & 1);
    const uint64_t off = bus - tce::window_base(slot);
    ++kills_;
    cache_.invalidate_if([&](const Key& key, const tce::CacheEntry&) {
      if ((key.tag.pe & kKillPeMask) != k.pe || key.tag.slot != slot) return false;
      return off >= key.base() && off - key.base() < lg2_size(key.page_lg2);
    });
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

PaprResult TceIommu::hcall(std::string_view name, std::span<const uint64_t> args) {
  const tce::CallOutcome out = hv_->hcall(name, args);
  if (!out.known) return PaprResult{{}, false};
  if (name == "H_PUT_TCE")
    ++h_put_tce_;
  else if (name == "H_GET_TCE")
    ++h_get_tce_;
  else if (name == "H_PUT_TCE_INDIRECT")
    ++h_put_tce_indirect_;
  else if (name == "H_STUFF_TCE")
    ++h_stuff_tce_;
  if (out.status() != 0) ++hcall_errors_;
  tces_written_ += out.tces_written;
  const Tick cost =
      lat(p_.hcall_entry) + out.tces_written * lat(p_.per_tce) + out.kills * lat(p_.tce_kill);
  if (in_sc_thread()) sc_core::wait(from_ticks(cost));
  return PaprResult{out.rets, true};
}

std::optional<PaprDmaInfo> TceIommu::dma_info(uint16_t rid) const {
  PaprDmaInfo i;
  i.pe = pes_.pe_of(rid);
  i.config_addr = tce::config_addr_of_rid(rid);
  i.buid = p_.buid;
  i.liobn = pes_.liobn(i.pe, 0);
  i.window_base = tce::window_base(0);
  i.window_size = p_.default_window_size;
  i.page_lg2 = log2_exact(p_.default_page_size);
  i.memory_size = partition_mem_end_;
  return i;
}

PaprResult TceIommu::rtas(std::string_view name, std::span<const uint64_t> args) {
  const tce::CallOutcome out = hv_->rtas(name, args);
  if (!out.known) return PaprResult{{}, false};
  if (name == "ibm,query-pe-dma-window")
    ++rtas_query_;
  else if (name == "ibm,create-pe-dma-window")
    ++rtas_create_;
  else if (name == "ibm,remove-pe-dma-window")
    ++rtas_remove_;
  else if (name == "ibm,reset-pe-dma-window")
    ++rtas_reset_;
  if (out.status() != 0) ++rtas_errors_;
  const Tick cost = lat(p_.rtas_entry) + out.kills * lat(p_.tce_kill);
  if (in_sc_thread()) sc_core::wait(from_ticks(cost));
  return PaprResult{out.rets, true};
}

void register_tce_iommu() {
  iommu_types().add(make_component_type<IommuBase, TceIommu, TceIommuParams>(
      "tce", "IBM POWER TCE IOMMU (IODA2/3 PHB) with the PAPR hcall and DDW RTAS interface"));
}

}  // namespace isim
