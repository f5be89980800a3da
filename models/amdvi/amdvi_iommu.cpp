// AMD-Vi model: construction, registers, DMA and the cached translation flow (48882 2.3).
// Command buffer, event log and interrupts are in amdvi_queues.cpp.
#include "models/amdvi/amdvi_iommu.h"

#include "hw/translated_dma.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <ranges>

#include "base/rng.h"
#include "hw/dma_attrs.h"
#include "hw/reg_bank_tlm.h"
#include "hw/sc_time_util.h"
#include "pagetable/walker.h"
#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

using namespace amdvi;
using AmdviAts = amdvi::AtsType;

namespace {

CacheParams seeded(CacheParams c, uint64_t seed, const std::string& name, const char* cache) {
  c.seed = Rng(seed, name + "." + cache).next();
  return c;
}

void cache_stats(stats::Group& g, const CacheStats& cs, const char* what) {
  g.counter_ref("hits", &cs.hits, std::string(what) + " hits", "count");
  g.counter_ref("misses", &cs.misses, std::string(what) + " misses", "count");
  g.counter_ref("evictions", &cs.evictions, "entries evicted", "count");
  g.counter_ref("invalidations", &cs.invalidations, "entries invalidated", "count");
  g.formula("hit_rate", "hits / lookups", "ratio", [&cs] {
    return stats::ratio(static_cast<double>(cs.hits), static_cast<double>(cs.hits + cs.misses));
  });
}

/// The rights a request needs, as the walk would check them (translation requests ask for
/// the rights instead of needing any).
pt::Perms needed(const Request& r, bool priv) {
  if (r.at == AmdviAts::TranslationRequest) return pt::Perms::none();
  return pt::AccessReq{r.read, r.write, r.exec, priv}.needed();
}

bool cacheable(TranslationType t) {
  return t == TranslationType::Host || t == TranslationType::Guest || t == TranslationType::Nested;
}

}  // namespace

AmdviIommu::AmdviIommu(const ComponentSpec& spec, const AmdviParams& p, BuildContext& ctx)
    : IommuBase(spec.name.c_str(), ctx.stats),
      p_(p),
      dte_lookup_t_(from_ticks(lat(p_.dte_lookup))),
      iotlb_lookup_t_(from_ticks(lat(p_.iotlb_lookup))),
      mem_(ctx.memory),
      bank_(reg::kMmioBytes),
      ids_(add_registers(bank_, p.features)),
      translator_(p.features, ctx.memory),
      dte_cache_(seeded(p.dte_cache, ctx.config.sim.seed, spec.name, "dte_cache")),
      iotlb_(seeded(p.iotlb, ctx.config.sim.seed, spec.name, "iotlb")),
      pde_cache_(seeded(p.pde_cache, ctx.config.sim.seed, spec.name, "pde_cache")),
      gcr3_cache_(seeded(p.gcr3_cache, ctx.config.sim.seed, spec.name, "gcr3_cache")),
      guest_pde_cache_(
          seeded(p.guest_pde_cache, ctx.config.sim.seed, spec.name, "guest_pde_cache")),
      walkers_(p.walkers),
      dte_stats_(stats_, "dte_cache"),
      iotlb_stats_(stats_, "iotlb"),
      pde_stats_(stats_, "pde_cache"),
      gcr3_stats_(stats_, "gcr3_cache"),
      guest_pde_stats_(stats_, "guest_pde_cache"),
      walker_stats_(stats_, "walkers"),
      dmas_(stats_.counter("dmas", "DMA requests received", "count")),
      blocked_(stats_.counter("blocked", "DMA requests blocked (target abort)", "count")),
      walks_(stats_.counter("walks", "translations that missed the IOTLB and walked", "count")),
      walk_reads_(
          stats_.counter("walk_reads", "structure entries read (DTE, GCR3, tables)", "count")),
      ats_requests_(
          stats_.counter("ats_translation_requests", "ATS translation requests", "count")),
      event_stats_(stats_, "events"),
      events_written_(event_stats_.counter("written", "entries written to the event log", "count")),
      events_suppressed_(
          event_stats_.counter("suppressed", "IO_PAGE_FAULTs suppressed by SA/SE", "count")),
      events_dropped_(event_stats_.counter(
          "dropped", "events not written (log not running, overflowed or misprogrammed)", "count")),
      event_overflows_(event_stats_.counter("overflows", "event log overflows", "count")),
      interrupts_(stats_.counter("interrupts", "MSI writes sent", "count")),
      cmd_stats_(stats_, "commands"),
      illegal_commands_(cmd_stats_.counter("illegal", "ILLEGAL_COMMAND_ERROR halts", "count")),
      cmd_hw_errors_(
          cmd_stats_.counter("hardware_errors", "COMMAND_HARDWARE_ERROR halts", "count")),
      completion_stores_(
          cmd_stats_.counter("completion_stores", "COMPLETION_WAIT stores", "count")),
      inval_stats_(stats_, "invalidations"),
      inv_dte_(inval_stats_.counter("devtab_entry", "INVALIDATE_DEVTAB_ENTRY", "count")),
      inv_pages_host_(
          inval_stats_.counter("iommu_pages_host", "INVALIDATE_IOMMU_PAGES GN=0", "count")),
      inv_pages_guest_(
          inval_stats_.counter("iommu_pages_guest", "INVALIDATE_IOMMU_PAGES GN=1", "count")),
      inv_all_(inval_stats_.counter("iommu_all", "INVALIDATE_IOMMU_ALL", "count")),
      inv_iotlb_pages_(inval_stats_.counter("iotlb_pages", "INVALIDATE_IOTLB_PAGES", "count")),
      iotlb_inv_timeouts_(
          inval_stats_.counter("iotlb_timeouts", "ATS invalidations timed out", "count")),
      walks_merged_(
          stats_.counter("walks_merged", "misses that waited for a walk in flight", "count")),
      walk_time_(stats_.histogram("walk_time", "time a walk holds its walker", "ps")),
      walker_wait_(stats_.histogram("walker_wait", "time a walk waits for a free walker", "ps")),
      translation_time_(stats_.histogram(
          "translation_time", "time to translate one page: lookups, walker wait and walk", "ps")),
      ppr_stats_(stats_, "ppr"),
      ppr_requests_(ppr_stats_.counter("requests", "page requests received", "count")),
      ppr_refused_(ppr_stats_.counter("refused", "page requests refused (PPR off)", "count")),
      ppr_logged_(ppr_stats_.counter("logged", "PPR log entries written", "count")),
      ppr_overflows_(ppr_stats_.counter("overflows", "PPR log overflows", "count")),
      ppr_responses_(
          ppr_stats_.counter("responses", "COMPLETE_PPR_REQUEST responses sent", "count")) {
  cache_stats(dte_stats_, dte_cache_.stats(), "device table cache");
  cache_stats(iotlb_stats_, iotlb_.stats(), "IOTLB");
  cache_stats(pde_stats_, pde_cache_.stats(), "page-directory cache");
  cache_stats(gcr3_stats_, gcr3_cache_.stats(), "GCR3 cache");
  cache_stats(guest_pde_stats_, guest_pde_cache_.stats(), "guest page-directory cache");
  const TimelineStats& ws = walkers_.stats();
  walker_stats_.counter_ref("walks", &ws.acquisitions, "walker bookings", "count");
  walker_stats_.counter_ref("delayed", &ws.delayed, "walks that waited for a free walker", "count");
  walker_stats_.counter_ref("total_wait", &ws.total_wait, "time walks waited for a walker", "ps");
  for (unsigned c = 0; c < 16; ++c) {
    const char* name = to_string(static_cast<EventCode>(c));
    events_.push_back(std::string_view(name) == "?"
                          ? nullptr
                          : &event_stats_.counter(name, std::string(name) + " events", "count"));
  }
  for (unsigned op = 0; op < 16; ++op) {
    const Opcode o = static_cast<Opcode>(op);
    const bool known = op >= static_cast<unsigned>(Opcode::CompletionWait) &&
                       op <= static_cast<unsigned>(Opcode::InvalidateIommuAll);
    commands_.push_back(
        known ? &cmd_stats_.counter(to_string(o), std::string(to_string(o)) + " processed", "count")
              : nullptr);
  }
  bank_.on_write(ids_.control, [this](const RegWrite& w) { on_control_write(w); });
  bank_.on_write(ids_.cmd_tail, [this](const RegWrite&) { cmd_event_.notify(mmio_delay_); });
  SC_HAS_PROCESS(AmdviIommu);
  SC_THREAD(cmd_thread);
}

AmdviIommu::~AmdviIommu() = default;

sc_core::sc_time AmdviIommu::lat_t(const Latency& l) const {
  return from_ticks(lat(l));
}

void AmdviIommu::mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  mmio_delay_ = delay;
  serve_register_access(bank_, tx);
}

UnitState AmdviIommu::unit_state() const {
  return UnitState::from_registers(bank_.get(ids_.dev_tab_base), bank_.get(ids_.control),
                                   bank_.get(ids_.excl_base), bank_.get(ids_.excl_limit));
}

// --- Memory traffic ---------------------------------------------------------------------------
void AmdviIommu::charge(const pt::WalkLog& log, sc_core::sc_time& delay) {
  // The translator read the entries functionally; these reads give the walk the memory's
  // latency and bandwidth (no DmaAttrs: memory counts them as IOMMU traffic).
  for (const pt::MemAccess& a : log.reads) {
    ++walk_reads_;
    if (!a.ok) break;  // the walk stopped there with a hardware error
    uint64_t buf = 0;
    bus_read(a.pa, &buf, sizeof buf, delay);
    delay += lat_t(p_.walk_level);
  }
}

// --- Translation: 2.3 with the caches between the translator's steps ------------------------
bool AmdviIommu::device_context(const UnitState& st, const Request& req, DeviceContext& ctx,
                                Fault& fault, sc_core::sc_time& delay) {
  delay += dte_lookup_t_;
  if (const DeviceContext* c = dte_cache_.lookup(DteKey{req.device_id})) {
    ctx = *c;
    return true;
  }
  pt::WalkLog log;
  const Step<DeviceContext> s = translator_.fetch_dte(st, req, log);
  charge(log, delay);
  if (!s.ok()) {
    fault = s.fault;
    return false;
  }
  ctx = s.value;
  dte_cache_.insert(DteKey{req.device_id}, ctx);
  return true;
}

void AmdviIommu::fill_pde_cache(const DeviceContext& ctx, uint64_t va, const pt::WalkStart& start,
                                const pt::WalkLog& log) {
  // Each entry read after the first came from a table some PDE pointed to: remember that
  // table with the rights of everything above it. Level skips are covered: the key keeps
  // every address bit above the table's reach, skipped-level bits included.
  const auto fmt = translator_.host_format(ctx.dte.mode);
  if (!fmt) return;
  pt::Perms perms = start.perms;
  const unsigned n = log.reads.size();
  for (unsigned i = 0; i + 1 < n; ++i) {
    const pt::MemAccess& pde = log.reads[i];
    const pt::MemAccess& next = log.reads[i + 1];
    const pt::Decoded dec = fmt->decode(pde.value, pde.level);
    if (dec.type != pt::EntryType::Table) return;
    perms = perms & dec.perms;
    pde_cache_.insert(PdeKey{ctx.dte.domain_id, next.level, pde_prefix(va, next.level)},
                      PdeEntry{dec.addr, perms});
  }
}

void AmdviIommu::fill_guest_pde_cache(const DeviceContext& ctx, uint32_t pasid, uint64_t va,
                                      const pt::WalkStart& start, const pt::WalkLog& log) {
  // Only the guest (stage 1) reads: in a nested walk they are interleaved with host reads. A
  // table's address comes from the entry pointing to it (a GPA when nested), not from where
  // the entry was read.
  const auto fmt = translator_.guest_format(ctx.dte.gpm);
  if (!fmt) return;
  pt::Perms perms = start.perms;
  const pt::MemAccess* prev = nullptr;
  for (const pt::MemAccess& a : log.reads) {
    if (a.stage != kGuestStage) continue;
    if (prev != nullptr) {
      const pt::Decoded dec = fmt->decode(prev->value, prev->level);
      if (dec.type != pt::EntryType::Table) return;
      perms = perms & dec.perms;
      guest_pde_cache_.insert(
          GuestPdeKey{ctx.dte.domain_id, pasid, a.level, pde_prefix(va, a.level)},
          PdeEntry{dec.addr, perms});
    }
    prev = &a;
  }
}

pt::WalkStart AmdviIommu::guest_start(const DeviceContext& ctx, const GuestContext& g, uint64_t va,
                                      bool& from_cache, sc_core::sc_time& walk) {
  pt::WalkStart start;
  start.table = g.gcr3;
  start.perms = Translator::guest_root_perms(ctx.dte);
  from_cache = false;
  const auto fmt = translator_.guest_format(ctx.dte.gpm);
  if (!fmt) return start;
  walk += lat_t(p_.pde_lookup);
  const auto hit =
      guest_pde_cache_.lookup_any(std::views::iota(0u, fmt->top_level()), [&](unsigned level) {
        return GuestPdeKey{ctx.dte.domain_id, g.pasid, static_cast<uint8_t>(level),
                           pde_prefix(va, level)};
      });
  if (hit) {
    start.table = hit.value->table;
    start.level = static_cast<unsigned>(hit.probe);
    start.perms = hit.value->perms;
    from_cache = true;
  }
  return start;
}

unsigned AmdviIommu::iotlb_probes(std::array<unsigned, 64>& probes) const {
  unsigned n = 0;
  for (uint64_t sz = iotlb_sizes_; sz; sz &= sz - 1)
    probes[n++] = static_cast<unsigned>(std::countr_zero(sz));
  return n;
}

pt::WalkStart AmdviIommu::host_start(const DeviceContext& ctx, uint64_t va, bool& from_cache,
                                     sc_core::sc_time& walk) {
  const Dte& d = ctx.dte;
  pt::WalkStart start;
  start.table = d.pt_root;
  start.perms = Translator::dte_perms(d);
  from_cache = false;
  if (d.mode == kModeNone || d.mode > p_.features.max_host_levels()) return start;
  // Deepest cached table first: the fewer levels left to read, the better. One lookup (one
  // hit or miss) probes every level below the root.
  walk += lat_t(p_.pde_lookup);
  const auto hit = pde_cache_.lookup_any(std::views::iota(0u, d.mode - 1), [&](unsigned level) {
    return PdeKey{d.domain_id, static_cast<uint8_t>(level), pde_prefix(va, level)};
  });
  if (hit) {
    start.table = hit.value->table;
    start.level = static_cast<unsigned>(hit.probe);
    start.perms = hit.value->perms;
    from_cache = true;
  }
  return start;
}

Result AmdviIommu::walk_host(const DeviceContext& ctx, const Request& req, sc_core::sc_time& walk) {
  bool from_cache = false;
  const pt::WalkStart start = host_start(ctx, req.addr, from_cache, walk);
  Result r = translator_.translate_host(ctx, req, from_cache ? &start : nullptr);
  charge(r.log, walk);
  if (r.ok() && ctx.dte.mode != kModeNone) fill_pde_cache(ctx, req.addr, start, r.log);
  return r;
}

pt::StageResult AmdviIommu::stage2(const DeviceContext& ctx, uint64_t gpa, const pt::AccessReq& a,
                                   pt::WalkLog& log, sc_core::sc_time& walk) {
  // 2.2.7: the GPA -> SPA step of a nested walk is the domain's host translation, which the
  // IOTLB caches untagged by PASID.
  const IotlbTag tag{ctx.dte.domain_id, false, 0};
  walk += iotlb_lookup_t_;
  std::array<unsigned, 64> probes;  // only the first iotlb_probes() entries are read
  const unsigned np = iotlb_probes(probes);
  const auto hit = iotlb_.lookup_any(std::span(probes.data(), np),
                                     [&](unsigned lg2) { return IotlbKey::of(tag, gpa, lg2); });
  pt::StageResult sr;
  if (hit && hit.value->perms.has(a.needed())) {
    const unsigned lg2 = probes[hit.probe];
    sr.tr.oa = hit.value->out_page | (gpa & ((uint64_t{1} << lg2) - 1));
    sr.tr.page_lg2 = static_cast<uint8_t>(lg2);
    sr.tr.perms = hit.value->perms;
    return sr;
  }
  const auto fmt = translator_.host_format(ctx.dte.mode);
  if (!fmt) {  // translate_guest checked the format; fail closed anyway
    sr.fault.kind = pt::FaultKind::ReservedBit;
    sr.fault.stage = kHostStage;
    return sr;
  }
  bool from_cache = false;
  const pt::WalkStart start = host_start(ctx, gpa, from_cache, walk);
  pt::WalkOptions opt;
  opt.stage = kHostStage;
  pt::WalkLog local;
  sr = pt::walk_stage(*fmt, mem_, start, gpa, a, opt, local);
  for (const pt::MemAccess& m : local.reads) log.reads.push(m);
  if (sr.ok()) {
    fill_pde_cache(ctx, gpa, start, local);
    const unsigned lg2 = sr.tr.page_lg2;
    iotlb_.insert(IotlbKey::of(tag, gpa, lg2),
                  IotlbEntry{sr.tr.oa & ~((uint64_t{1} << lg2) - 1), sr.tr.perms,
                             TranslationType::Host, (sr.tr.leaf & pt::AmdV1Format::kU) != 0, 0});
    iotlb_sizes_ |= uint64_t{1} << lg2;
  }
  return sr;
}

Result AmdviIommu::walk_guest(const DeviceContext& ctx, uint32_t pasid, const Request& req,
                              sc_core::sc_time& walk) {
  walk += lat_t(p_.gcr3_lookup);
  GuestContext g;
  const Gcr3Key key{ctx.device_id, pasid};
  if (const Gcr3Entry2* e = gcr3_cache_.lookup(key)) {
    g.pasid = pasid;
    g.gcr3 = e->gcr3;
  } else {
    pt::WalkLog log;
    const Step<GuestContext> s = translator_.fetch_gcr3(ctx, pasid, req, log);
    charge(log, walk);
    if (!s.ok()) {
      Result r;
      r.fault = s.fault;
      return r;
    }
    g = s.value;
    gcr3_cache_.insert(key, Gcr3Entry2{g.gcr3, ctx.dte.domain_id});
  }
  const Translator::Stage2Hook s2 = [&](uint64_t gpa, const pt::AccessReq& a, pt::WalkLog& log) {
    return stage2(ctx, gpa, a, log, walk);
  };
  bool from_cache = false;
  const pt::WalkStart start = guest_start(ctx, g, req.addr, from_cache, walk);
  Result r = translator_.translate_guest(ctx, g, req, ctx.dte.mode != kModeNone ? &s2 : nullptr,
                                         from_cache ? &start : nullptr);
  charge(r.log, walk);
  if (r.ok()) fill_guest_pde_cache(ctx, g.pasid, req.addr, start, r.log);
  return r;
}

Result AmdviIommu::translate(const Request& req, sc_core::sc_time& delay) {
  const UnitState st = unit_state();
  if (!st.iommu_en) {  // 3.4.4 IommuEn = 0: no translation at all
    Result r;
    r.tr.type = TranslationType::Disabled;
    r.tr.oa = req.addr;
    return r;
  }
  Result r;
  DeviceContext ctx;
  if (!device_context(st, req, ctx, r.fault, delay)) return r;
  const Route rt = translator_.route(st, ctx, req);
  if (rt.kind == Route::Kind::Done) return rt.done;

  // 2.3: the IOTLB is tagged by DomainID and, for guest translations, the PASID.
  const bool gn = rt.kind == Route::Kind::Guest;
  const IotlbTag tag{ctx.dte.domain_id, gn, gn ? rt.pasid : 0};
  const bool priv = gn && (!p_.features.us_sup || (req.pasid.has_value() && req.priv));
  delay += iotlb_lookup_t_;
  std::array<unsigned, 64> probes;  // only the first iotlb_probes() entries are read
  unsigned np = iotlb_probes(probes);
  const auto probe = [&] {
    return iotlb_.lookup_any(std::span(probes.data(), np),
                             [&](unsigned lg2) { return IotlbKey::of(tag, req.addr, lg2); });
  };
  const pt::Perms want = needed(req, !gn || priv);
  const auto serve = [&](const Iotlb::ProbeResult& hit) {
    const unsigned lg2 = probes[hit.probe];
    r.tr.oa = hit.value->out_page | (req.addr & ((uint64_t{1} << lg2) - 1));
    r.tr.page_lg2 = static_cast<uint8_t>(lg2);
    r.tr.perms = hit.value->perms;
    r.tr.type = hit.value->type;
    r.tr.domain_id = ctx.dte.domain_id;
    r.tr.pasid_valid = gn;
    r.tr.pasid = tag.pasid;
    r.tr.iotlb = ctx.dte.i;
    r.tr.untranslated_only = hit.value->untranslated_only;
    return r;
  };
  if (const auto hit = probe(); hit && hit.value->perms.has(want)) return serve(hit);
  // A miss (or a cached entry without the rights asked for: walk again so a fault carries
  // the architected details). A miss on a page whose walk is under way waits for it and
  // takes its result from the IOTLB.
  const IotlbKey flight = IotlbKey::of(tag, req.addr, 12);
  Tick ready = to_ticks(sc_core::sc_time_stamp() + delay);
  if (const std::optional<Tick> done = inflight_.join(flight, ready)) {
    ++walks_merged_;
    delay += from_ticks(*done - ready);
    ready = *done;
    // The fill may have added a page size the probe list lacked.
    np = iotlb_probes(probes);
    if (const auto hit = probe(); hit && hit.value->perms.has(want)) return serve(hit);
  }
  // The walk takes a walker for as long as its reads and work last; its reads go to memory
  // from when the first walker is free, not before the request has arrived.
  ++walks_;
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  walkers_.retire_before(now);
  const sc_core::sc_time begin = from_ticks(walkers_.first_free(ready) - now);
  sc_core::sc_time walk = begin;
  r = gn ? walk_guest(ctx, rt.pasid, req, walk) : walk_host(ctx, req, walk);
  const Tick length = to_ticks(walk - begin);
  const Tick start = walkers_.acquire(ready, length);
  inflight_.start(flight, start + length, ready);
  delay += from_ticks(start - ready + length);
  walk_time_.record(length);
  walker_wait_.record(start - ready);
  const bool zero_answer = r.ok() && r.tr.perms == pt::Perms::none();
  if (r.ok() && cacheable(r.tr.type) && !zero_answer) {
    const unsigned lg2 = r.tr.page_lg2;
    const uint64_t page_mask = ~((uint64_t{1} << lg2) - 1);
    iotlb_.insert(IotlbKey::of(tag, req.addr, lg2),
                  IotlbEntry{r.tr.oa & page_mask, r.tr.perms, r.tr.type, r.tr.untranslated_only,
                             r.tr.gpa & page_mask});
    iotlb_sizes_ |= uint64_t{1} << lg2;
  }
  return r;
}

void AmdviIommu::report(const Fault& f, sc_core::sc_time& delay) {
  if (!f.any()) return;
  const bool iopf = f.event.code == EventCode::IoPageFault;
  // 2.2.2.1 SA: no IO_PAGE_FAULT events for this device; SE: only the first one (until the
  // DTE is invalidated).
  if (iopf && !f.log) {
    ++events_suppressed_;
    return;
  }
  if (iopf && f.se && !se_logged_.insert(f.event.device_id).second) {
    ++events_suppressed_;
    return;
  }
  log_event(f.event, delay);
}

// --- DMA -----------------------------------------------------------------------------------
void AmdviIommu::dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++dmas_;
  DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs) {
    ++blocked_;
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  Request req;
  req.device_id = attrs->rid;
  if (attrs->has_pasid) req.pasid = attrs->pasid & DmaAttrs::kPasidMask;
  req.priv = attrs->priv;
  req.exec = attrs->exec;
  req.addr = tx.get_address();
  req.read = tx.is_read();
  req.write = tx.is_write();

  if (attrs->ats == isim::AtsType::translation_request) {
    // PCIe ATS: the answer goes back in the extension; nothing reaches memory.
    ++ats_requests_;
    req.at = AmdviAts::TranslationRequest;
    req.read = req.write = false;
    const Result r = translate(req, delay);
    attrs->completion = AtsCompletion{};
    if (!r.ok()) {
      report(r.fault, delay);
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    const unsigned lg2 = r.tr.page_lg2;
    attrs->completion.valid = true;
    attrs->completion.translated = r.tr.oa & ~((uint64_t{1} << lg2) - 1);
    attrs->completion.page_lg2 = lg2;
    attrs->completion.read = r.tr.perms.any(pt::Perms::kRead);
    attrs->completion.write = r.tr.perms.any(pt::Perms::kWrite);
    attrs->completion.exec = r.tr.perms.any(pt::Perms::kExec);
    attrs->completion.priv = r.tr.perms.any(pt::Perms::kPriv);
    attrs->completion.untranslated_only = r.tr.untranslated_only;
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (attrs->ats == isim::AtsType::translated) req.at = AmdviAts::Translated;

  forward_translated(tx, downstream, delay, pieces_,
                     [&](uint64_t a) -> std::optional<PageTranslation> {
                       req.addr = a;
                       const sc_core::sc_time before = delay;
                       const Result r = translate(req, delay);
                       translation_time_.record(to_ticks(delay - before));
                       if (!r.ok()) {
                         report(r.fault, delay);
                         ++blocked_;
                         return std::nullopt;
                       }
                       return PageTranslation{r.tr.oa, r.tr.page_lg2};
                     });
}

unsigned AmdviIommu::dma_debug(int, tlm::tlm_generic_payload& tx) {
  // Side-effect free: the functional translator alone (no caches, stats or events), one page.
  const DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs || attrs->ats == isim::AtsType::translation_request) return 0;
  Request req;
  req.device_id = attrs->rid;
  if (attrs->has_pasid) req.pasid = attrs->pasid & DmaAttrs::kPasidMask;
  req.priv = attrs->priv;
  req.exec = attrs->exec;
  req.addr = tx.get_address();
  req.read = tx.is_read();
  req.write = tx.is_write();
  if (attrs->ats == isim::AtsType::translated) req.at = AmdviAts::Translated;
  const Result r = translator_.translate(unit_state(), req);
  if (!r.ok()) return 0;
  const uint64_t page = uint64_t{1} << r.tr.page_lg2;
  if (tx.get_data_length() > page - (r.tr.oa & (page - 1))) return 0;
  const uint64_t addr = tx.get_address();
  tx.set_address(r.tr.oa);
  const unsigned n = downstream->transport_dbg(tx);
  tx.set_address(addr);
  return n;
}

void register_amdvi_iommu() {
  iommu_types().add(make_component_type<IommuBase, AmdviIommu, AmdviParams>(
      "amdvi",
      "AMD-Vi IOMMU (AMD I/O Virtualization, spec 48882): device table, v1/v2 tables, "
      "GCR3, command buffer, event log, IOTLB"));
}

}  // namespace isim
