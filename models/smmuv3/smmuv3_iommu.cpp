#include "models/smmuv3/smmuv3_iommu.h"

#include "hw/translated_dma.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "base/rng.h"
#include "hw/dma_attrs.h"
#include "hw/reg_bank_tlm.h"
#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

using namespace smmuv3;

namespace {

CacheParams seeded(CacheParams c, uint64_t seed, const std::string& name, const char* cache) {
  c.seed = Rng(seed, name + "." + cache).next();
  return c;
}

CacheGeometry geometry(const SmmuV3Params& p, uint64_t seed, const std::string& name) {
  CacheGeometry g;
  g.ste = seeded(p.ste_cache, seed, name, "ste_cache");
  g.cd = seeded(p.cd_cache, seed, name, "cd_cache");
  g.tlb = seeded(p.tlb, seed, name, "tlb");
  g.ipa = seeded(p.ipa_cache, seed, name, "ipa_cache");
  g.walk = seeded(p.walk_cache, seed, name, "walk_cache");
  return g;
}

smmuv3::AtsType ats_of(isim::AtsType t) {
  switch (t) {
    case isim::AtsType::translation_request:
      return smmuv3::AtsType::kTranslationRequest;
    case isim::AtsType::translated:
      return smmuv3::AtsType::kTranslated;
    default:
      return smmuv3::AtsType::kUntranslated;
  }
}

constexpr EventType kEventTypes[] = {EventType::kF_UUT,
                                     EventType::kC_BAD_STREAMID,
                                     EventType::kF_STE_FETCH,
                                     EventType::kC_BAD_STE,
                                     EventType::kF_BAD_ATS_TREQ,
                                     EventType::kF_STREAM_DISABLED,
                                     EventType::kF_TRANSL_FORBIDDEN,
                                     EventType::kC_BAD_SUBSTREAMID,
                                     EventType::kF_CD_FETCH,
                                     EventType::kC_BAD_CD,
                                     EventType::kF_WALK_EABT,
                                     EventType::kF_TRANSLATION,
                                     EventType::kF_ADDR_SIZE,
                                     EventType::kF_ACCESS,
                                     EventType::kF_PERMISSION};

constexpr Opcode kOpcodes[] = {
    Opcode::kPrefetchConfig, Opcode::kPrefetchAddr, Opcode::kCfgiSte,     Opcode::kCfgiSteRange,
    Opcode::kCfgiCd,         Opcode::kCfgiCdAll,    Opcode::kTlbiNhAll,   Opcode::kTlbiNhAsid,
    Opcode::kTlbiNhVa,       Opcode::kTlbiNhVaa,    Opcode::kTlbiEl3All,  Opcode::kTlbiEl3Va,
    Opcode::kTlbiEl2All,     Opcode::kTlbiEl2Asid,  Opcode::kTlbiEl2Va,   Opcode::kTlbiEl2Vaa,
    Opcode::kTlbiS12Vmall,   Opcode::kTlbiS2Ipa,    Opcode::kTlbiNsnhAll, Opcode::kAtcInv,
    Opcode::kPriResp,        Opcode::kResume,       Opcode::kStallTerm,   Opcode::kSync};

bool is_table_read(ReadKind k) {
  return k == ReadKind::kS1Table || k == ReadKind::kS2Table;
}

bool in_sc_thread() {
  if (!sc_core::sc_is_running()) return false;
  return sc_core::sc_get_current_process_handle().proc_kind() == sc_core::SC_THREAD_PROC_;
}

}  // namespace

/// The translator's cacheable steps with the model's caches in front of them. Lookup time
/// accumulates in `delay`; the reads of misses are in the translation's read log.
class SmmuV3Iommu::CachedSteps final : public TranslateSteps {
 public:
  CachedSteps(SmmuV3Iommu& m, sc_core::sc_time& delay) : m_(m), delay_(delay) {}

  StreamStep stream(const SmmuState& st, PhysMem& mem, const Request& req, ReadLog& log) override {
    delay_ += m_.lat_t(m_.p_.config_lookup);
    const SteKey key{req.sid};
    if (const StreamCtx* c = m_.caches_.ste.lookup(key)) {
      StreamStep s;
      s.ctx = *c;
      return s;
    }
    StreamStep s = fetch_stream(st, mem, req, log);
    if (!s.stop) m_.caches_.ste.insert(key, s.ctx);  // only checked, valid STEs are cached
    return s;
  }

  CdStep context(const SmmuState& st, PhysMem& mem, const StreamCtx& sc, uint32_t cd_index,
                 const Request& req, const Stage2Fn* s2, ReadLog& log) override {
    delay_ += m_.lat_t(m_.p_.config_lookup);
    const CdKey key{req.sid, cd_index};
    if (const CdCtx* c = m_.caches_.cd.lookup(key)) {
      CdStep s;
      s.ctx = *c;
      return s;
    }
    CdStep s = fetch_context(st, mem, sc, cd_index, req, s2, log);
    if (!s.stop) m_.caches_.cd.insert(key, s.ctx);
    return s;
  }

  Stage2Fn stage2(const StreamCtx& sc, PhysMem& mem) override {
    pt::WalkOptions o;
    o.update_ad = sc.ste.s2ha;
    const pt::Stage2Walker<pt::ArmLpaeFormat> walker(*sc.s2, mem, sc.ste.s2ttb, o);
    const uint16_t vmid = sc.ste.s2vmid;
    return [this, walker, vmid](uint64_t ipa, const pt::AccessReq& acc,
                                pt::WalkLog& log) -> pt::StageResult {
      delay_ += m_.lat_t(m_.p_.ipa_lookup);
      auto hit = m_.caches_.ipa.lookup_any(kLeafSizesLg2,
                                           [&](uint8_t lg2) { return IpaKey::of(vmid, ipa, lg2); });
      if (hit && hit.value->tr.perms.has(acc.needed())) {
        pt::StageResult r;
        r.tr = hit.value->tr;
        r.tr.oa = r.tr.page_base() + (ipa & mask(r.tr.page_lg2 - 1, 0));
        return r;
      }
      // A miss, or rights the cached entry lacks: walk (the walk reports the precise fault).
      pt::StageResult r = walker(ipa, acc, log);
      if (r.ok()) {
        IpaEntry e{r.tr};
        e.tr.oa = r.tr.page_base();
        m_.caches_.ipa.insert(IpaKey::of(vmid, ipa, r.tr.page_lg2), e);
      }
      return r;
    };
  }

  TranslateResult walk(const SmmuState& st, PhysMem& mem, const StreamCtx& sc, const CdCtx* cd,
                       const Request& req, const Stage2Fn* s2) override {
    const bool do_s2 = sc.ste.s2_enabled();
    // Stage-1 bypass without stage 2 translates nothing; a split-stage ATS request walks a
    // stage-1-only view of a nested stream, which must not fill nested-tagged entries.
    const bool split =
        sc.ste.effective_eats() == Eats::kSplit && req.ats != smmuv3::AtsType::kUntranslated;
    if ((!cd && !do_s2) || split) return walk_context(st, mem, sc, cd, req, s2);
    delay_ += m_.lat_t(m_.p_.tlb_lookup);
    // 3.17: the VMID tags stage-1 entries too whenever stage 2 is implemented.
    const uint16_t vmid = st.caps.s2p ? sc.ste.s2vmid : 0;
    TlbKey hit_key;
    const TlbEntry* e =
        cd ? m_.caches_.lookup_s1(vmid, cd->cd.asid, cd->cd.aset, req.addr, &hit_key)
           : m_.caches_.lookup_s2(vmid, req.addr, &hit_key);
    if (e && e->perms.has(access_of(req).needed())) {
      hit = hit_key;
      const unsigned lg2 = hit_key.page_lg2;
      TranslateResult r;
      r.outcome = Outcome::kTranslated;
      r.oa = e->oa_page + (req.addr & mask(lg2 - 1, 0));
      r.page_lg2 = lg2;
      r.perms = e->perms;
      r.s1 = e->s1;
      r.s2 = e->s2;
      r.vmid = vmid;
      if (cd) {
        r.asid = cd->cd.asid;
        r.aset = cd->cd.aset;
      }
      return r;
    }
    // A TLB miss: start from the deepest table the walk cache holds for this address.
    const pt::ArmLpaeFormat* fmt = nullptr;
    WalkTag wtag;
    wtag.vmid = vmid;
    if (cd) {
      fmt = bit(req.addr, 55) ? (cd->tt1 ? &*cd->tt1 : nullptr) : (cd->tt0 ? &*cd->tt0 : nullptr);
      wtag.asid = cd->cd.asid;
    } else {
      fmt = &*sc.s2;
      wtag.stage = 2;
    }
    std::optional<pt::WalkStart> start;
    if (fmt) {
      delay_ += m_.lat_t(m_.p_.walk_lookup);
      start = m_.caches_.lookup_walk(*fmt, wtag, req.addr);
    }
    TranslateResult r = walk_context(st, mem, sc, cd, req, s2, start ? &*start : nullptr);
    if (r.outcome != Outcome::kTranslated) return r;
    if (fmt)
      m_.caches_.fill_walk(*fmt, wtag, req.addr, r.reads, start ? start->perms : pt::Perms::all());
    TlbTag tag;
    tag.vmid = vmid;
    if (!cd) {
      tag.kind = TlbKind::kS2;
    } else if (r.global) {
      tag.kind = TlbKind::kS1Global;
      tag.aset = r.aset;
    } else {
      tag.kind = TlbKind::kS1;
      tag.asid = r.asid;
    }
    TlbEntry te;
    te.oa_page = r.oa & ~mask(r.page_lg2 - 1, 0);
    te.perms = r.perms;
    te.s1 = r.s1;
    te.s2 = r.s2;
    fill = TlbKey::of(tag, req.addr, r.page_lg2);
    m_.caches_.tlb.insert(*fill, te);
    return r;
  }

  std::optional<TlbKey> hit;   ///< the TLB entry this translation used
  std::optional<TlbKey> fill;  ///< the TLB entry this translation's walk filled

 private:
  SmmuV3Iommu& m_;
  sc_core::sc_time& delay_;
};

SmmuV3Iommu::SmmuV3Iommu(const ComponentSpec& spec, const SmmuV3Params& p, BuildContext& ctx)
    : IommuBase(spec.name.c_str(), ctx.stats),
      p_(p),
      tbu_lookup_t_(from_ticks(lat(p_.tbu_lookup))),
      id_regs_(encode_id_regs(p.ids)),
      mem_(ctx.memory),
      bank_(kMmioBytes),
      caches_(geometry(p, ctx.config.sim.seed, spec.name)),
      seed_(ctx.config.sim.seed),
      walkers_(p.walkers),
      tr_stats_(stats_, "translation"),
      dmas_(tr_stats_.counter("dmas", "DMA requests received", "count")),
      translated_(tr_stats_.counter("translated", "pieces translated", "count")),
      bypassed_(tr_stats_.counter("bypassed", "pieces that bypassed (GBPA, STE, ATS)", "count")),
      aborted_(tr_stats_.counter("aborted", "pieces terminated with an abort", "count")),
      raz_wi_(tr_stats_.counter("raz_wi", "pieces terminated as RAZ/WI", "count")),
      stalls_(tr_stats_.counter("stalls", "transactions stalled", "count")),
      walks_(tr_stats_.counter("walks", "translations that read translation tables", "count")),
      walk_reads_(tr_stats_.counter("walk_reads", "structure and table reads of misses", "count")),
      table_reads_(tr_stats_.counter("table_reads", "translation-table descriptor reads", "count")),
      tbu_hits_(tr_stats_.counter("tbu_hits", "pieces served by a TBU micro-TLB", "count")),
      tbu_misses_(tr_stats_.counter("tbu_misses", "TBU misses passed to the TCU", "count")),
      ats_translated_(tr_stats_.counter(
          "ats_translated", "ATS Translated pieces (past the TBU, checked by the STE)", "count")),
      cache_stats_(stats_, "caches"),
      ev_stats_(stats_, "events"),
      ev_written_(ev_stats_.counter("written", "event records written", "count")),
      ev_dropped_(ev_stats_.counter("dropped", "events not written (disabled/full)", "count")),
      ev_overflows_(ev_stats_.counter("overflows", "events lost to a full queue", "count")),
      cmd_stats_(stats_, "commands"),
      cmds_(cmd_stats_.counter("processed", "commands consumed", "count")),
      cmd_errors_(cmd_stats_.counter("errors", "command queue errors (CERROR_*)", "count")),
      syncs_(cmd_stats_.counter("syncs", "CMD_SYNCs completed", "count")),
      atc_invs_(cmd_stats_.counter("atc_invalidations", "ATS invalidations sent", "count")),
      pri_stats_(stats_, "pri"),
      pri_records_(
          pri_stats_.counter("records", "page requests written to the PRI queue", "count")),
      pri_auto_responses_(
          pri_stats_.counter("auto_responses", "page requests answered automatically", "count")),
      pri_overflows_(
          pri_stats_.counter("overflows", "page requests lost to a full queue", "count")),
      pri_responses_(
          pri_stats_.counter("responses", "PRG responses sent by CMD_PRI_RESP", "count")),
      msis_(stats_.counter("msis", "MSI writes sent", "count")),
      gerrors_(stats_.counter("gerrors", "global errors raised", "count")),
      inv_stats_(stats_, "invalidations"),
      inv_entries_(inv_stats_.counter("entries", "cache entries removed by commands", "count")),
      ev_by_type_(256, nullptr),
      cmd_by_op_(256, nullptr) {
  if (auto probs = p.ids.problems(); !probs.empty())
    throw std::invalid_argument("smmuv3: ids." + probs[0].first + ": " + probs[0].second);
  bank_.add_all(register_specs(id_regs_, p.reset));
  state_ids_ = {id("CR0ACK"), id("CR2"), id("STRTAB_BASE"), id("STRTAB_BASE_CFG")};
  gbpa_eff_ = static_cast<uint32_t>(reg("GBPA"));
  add_register_hooks();

  auto cache_group = [&](const char* name, const CacheStats& cs) {
    auto& g = *cache_groups_.emplace_back(std::make_unique<stats::Group>(cache_stats_, name));
    g.counter_ref("hits", &cs.hits, "lookups that hit", "count");
    g.counter_ref("misses", &cs.misses, "lookups that missed", "count");
    g.counter_ref("evictions", &cs.evictions, "entries evicted", "count");
    g.counter_ref("invalidations", &cs.invalidations, "entries invalidated", "count");
    g.formula("hit_rate", "hits / lookups", "ratio", [&cs] {
      return stats::ratio(static_cast<double>(cs.hits), static_cast<double>(cs.hits + cs.misses));
    });
  };
  cache_group("ste", caches_.ste.stats());
  cache_group("cd", caches_.cd.stats());
  cache_group("tlb", caches_.tlb.stats());
  cache_group("ipa", caches_.ipa.stats());
  cache_group("walk", caches_.walk.stats());
  tr_stats_.formula("reads_per_walk", "table_reads / walks", "ratio", [this] {
    return stats::ratio(static_cast<double>(table_reads_.value()),
                        static_cast<double>(walks_.value()));
  });
  const InflightStats& is = inflight_.stats();
  tr_stats_.counter_ref("merged_misses", &is.merged,
                        "TLB hits on an entry whose walk was still in flight (waited)", "count");
  for (EventType t : kEventTypes) {
    ev_by_type_[static_cast<uint8_t>(t)] =
        &ev_stats_.counter(to_string(t), "event records of this type written", "count");
  }
  for (Opcode op : kOpcodes) {
    cmd_by_op_[static_cast<uint8_t>(op)] = &cmd_stats_.counter(
        opcode_name(static_cast<uint8_t>(op)), "commands of this opcode consumed", "count");
  }

  SC_HAS_PROCESS(SmmuV3Iommu);
  SC_METHOD(apply_cr0);
  sensitive << cr0_ev_;
  dont_initialize();
  SC_METHOD(apply_irq_ctrl);
  sensitive << irq_ev_;
  dont_initialize();
  SC_METHOD(apply_gbpa);
  sensitive << gbpa_ev_;
  dont_initialize();
  SC_THREAD(cmdq_thread);
}

SmmuV3Iommu::~SmmuV3Iommu() = default;

sc_core::sc_time SmmuV3Iommu::lat_t(const Latency& l) const {
  return from_ticks(lat(l));
}

RegBank::RegId SmmuV3Iommu::id(const char* name) const {
  auto i = bank_.find(name);
  if (!i) throw std::logic_error(std::string("smmuv3: no register ") + name);
  return *i;
}

uint64_t SmmuV3Iommu::reg(const char* name) const {
  return bank_.get(id(name));
}

bool SmmuV3Iommu::cr0ack(unsigned b) const {
  return bit(bank_.get(state_ids_.cr0ack), b);
}

SmmuState SmmuV3Iommu::state() const {
  const StateRegIds& r = state_ids_;
  return SmmuState::from_regs(
      p_.ids, static_cast<uint32_t>(bank_.get(r.cr0ack)), static_cast<uint32_t>(bank_.get(r.cr2)),
      gbpa_eff_, bank_.get(r.strtab_base), static_cast<uint32_t>(bank_.get(r.strtab_base_cfg)));
}

// --- Registers -------------------------------------------------------------------------------

void SmmuV3Iommu::add_register_hooks() {
  // 6.3.9/6.3.10: CR0 changes take effect, and show in CR0ACK, after the ack latency.
  bank_.on_write(id("CR0"),
                 [this](const RegWrite&) { cr0_ev_.notify(access_delay_ + lat_t(p_.cr0_ack)); });
  bank_.on_write(id("IRQ_CTRL"),
                 [this](const RegWrite&) { irq_ev_.notify(access_delay_ + lat_t(p_.irq_ack)); });
  // 6.3.14.1 (SMMUv3.2+): a write without Update = 1, or while an update is in progress, is
  // IGNORED; otherwise the new attributes apply once Update clears.
  const RegBank::RegId gbpa = id("GBPA");
  bank_.on_write(gbpa, [this, gbpa](const RegWrite& w) {
    if (bit(w.old_value, gbpa::UPDATE) || !bit(w.new_value, gbpa::UPDATE)) {
      bank_.set(gbpa, w.old_value);
      return;
    }
    gbpa_ev_.notify(access_delay_ + lat_t(p_.gbpa_update));
  });
  // 6.3.18/6.3.19: acknowledging CMDQ_ERR restarts the Command queue.
  bank_.on_write(id("GERRORN"), [this](const RegWrite&) { cmdq_ev_.notify(access_delay_); });
  bank_.on_write(id("CMDQ_PROD"), [this](const RegWrite&) { cmdq_ev_.notify(access_delay_); });
}

void SmmuV3Iommu::apply_cr0() {
  const uint64_t cr0 = reg("CR0");
  if (bit(cr0 ^ reg("CR0ACK"), cr0::SMMUEN)) flush_tbus();
  bank_.set(id("CR0ACK"), cr0);
  if (bit(cr0, cr0::CMDQEN)) cmdq_ev_.notify(sc_core::SC_ZERO_TIME);
}

void SmmuV3Iommu::apply_irq_ctrl() {
  bank_.set(id("IRQ_CTRLACK"), reg("IRQ_CTRL"));
}

void SmmuV3Iommu::apply_gbpa() {
  const uint64_t v = reg("GBPA") & ~(uint64_t{1} << gbpa::UPDATE);
  gbpa_eff_ = static_cast<uint32_t>(v);
  bank_.set(id("GBPA"), v);
}

void SmmuV3Iommu::mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  delay += lat_t(p_.reg_access);
  access_delay_ = delay;
  serve_register_access(bank_, tx);
}

// --- Memory traffic of the SMMU -----------------------------------------------------------------

bool SmmuV3Iommu::mem_read(uint64_t pa, void* dst, unsigned len, sc_core::sc_time& delay) {
  return bus_read(pa, dst, len, delay);
}

bool SmmuV3Iommu::mem_write(uint64_t pa, const void* src, unsigned len, sc_core::sc_time& delay) {
  return bus_write(pa, src, len, delay);
}

void SmmuV3Iommu::send_msi(uint64_t addr, uint32_t data, unsigned gerror_bit,
                           sc_core::sc_time& delay) {
  // 3.18: an MSI is a 32-bit write of the data to the address; address 0 disables it.
  if (addr == 0 || !p_.ids.msi) return;
  ++msis_;
  if (!mem_write(addr, &data, sizeof data, delay)) raise_gerror(gerror_bit, delay);
}

bool SmmuV3Iommu::gerror_active(unsigned b) const {
  return bit(reg("GERROR") ^ reg("GERRORN"), b);
}

void SmmuV3Iommu::raise_gerror(unsigned b, sc_core::sc_time& delay) {
  // 6.3.18: an error is raised by toggling its GERROR bit; one already active stays as it is.
  if (gerror_active(b)) return;
  ++gerrors_;
  bank_.set(id("GERROR"), reg("GERROR") ^ (uint64_t{1} << b));
  if (bit(reg("IRQ_CTRLACK"), irq_ctrl::GERROR_IRQEN) && b != gerror::MSI_GERROR_ABT_ERR) {
    send_msi(reg("GERROR_IRQ_CFG0") & irq_cfg::kAddr, static_cast<uint32_t>(reg("GERROR_IRQ_CFG1")),
             gerror::MSI_GERROR_ABT_ERR, delay);
  }
}

// --- Translation -------------------------------------------------------------------------------

void SmmuV3Iommu::charge_reads(const ReadLog& reads, sc_core::sc_time& delay) {
  if (reads.size() == 0) return;
  walk_reads_ += reads.size();
  const auto tables = std::count_if(reads.begin(), reads.end(),
                                    [](const ReadRec& r) { return is_table_read(r.kind); });
  table_reads_ += static_cast<uint64_t>(tables);
  if (tables > 0) ++walks_;
  // The translator already read memory functionally; these reads give the miss the memory's
  // latency and bandwidth. The whole miss holds one walker slot, and its reads go to memory
  // from when the first walker is free: issued at the request's arrival they would queue
  // behind (or slip ahead of) traffic others booked while the miss waited for a walker.
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  const Tick ready = now + to_ticks(delay);
  walkers_.retire_before(now);
  const sc_core::sc_time begin = from_ticks(walkers_.first_free(ready) - now);
  sc_core::sc_time d = begin;
  for (const ReadRec& r : reads) {
    uint64_t buf[kSteBytes / 8] = {};
    mem_read(r.pa, buf, std::min<unsigned>(r.bytes, sizeof buf), d);
    d += lat_t(p_.walk_read);
  }
  const Tick dur = to_ticks(d - begin);
  const Tick start = walkers_.acquire(ready, dur);
  delay = from_ticks(start + dur - now);
}

TranslateResult SmmuV3Iommu::translate(const Request& req, sc_core::sc_time& delay) {
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  CachedSteps steps(*this, delay);
  TranslateResult r = smmuv3::translate(state(), mem_, req, steps);
  charge_reads(r.reads, delay);
  // The walk filled the TLB at once (functionally); a request that finds the entry before the
  // walk's completion time waits for it instead of using it early (hw/inflight.h).
  if (steps.fill) {
    inflight_.start(*steps.fill, now + to_ticks(delay), now);
  } else if (steps.hit) {
    if (auto done = inflight_.join(*steps.hit, now + to_ticks(delay)))
      delay = from_ticks(*done - now);
  }
  if (r.outcome == Outcome::kStall) {
    // 3.12.2: a stalled transaction is reported with Stall = 1 and a tag for CMD_RESUME; one
    // that cannot be reported (queue disabled or full) or held here is terminated.
    r.event.stag = next_stag_++;
    if (!in_sc_thread() || !record_event(r.event, delay)) r.outcome = Outcome::kAbort;
    return r;
  }
  if (r.record) record_event(r.event, delay);
  return r;
}

void SmmuV3Iommu::count_outcome(const TranslateResult& r) {
  switch (r.outcome) {
    case Outcome::kTranslated:
      ++translated_;
      break;
    case Outcome::kBypass:
      ++bypassed_;
      break;
    case Outcome::kAbort:
      ++aborted_;
      break;
    case Outcome::kRazWi:
      ++raz_wi_;
      break;
    case Outcome::kStall:
      ++stalls_;
      break;
  }
}

TranslateResult SmmuV3Iommu::tbu_translate(int port, const Request& req, sc_core::sc_time& delay) {
  // 3.9.1: a Translated transaction carries a physical address (or an IPA with split-stage
  // ATS) that the TBU's entries, tagged by input address, must not answer; it is neither a TBU
  // hit nor a miss, and the TCU checks it against the STE.
  if (req.ats == smmuv3::AtsType::kTranslated) {
    ++ats_translated_;
    return translate(req, delay);
  }
  if (p_.tbu_tlb.entries == 0) return translate(req, delay);
  auto& slot = tbus_[port];
  if (!slot) {
    CacheParams cp = p_.tbu_tlb;
    cp.seed = Rng(seed_, std::string(name()) + ".tbu" + std::to_string(port)).next();
    slot = std::make_unique<SetAssocCache<TbuKey, TbuEntry>>(cp);
  }
  delay += tbu_lookup_t_;
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  constexpr unsigned kLg2 = AtsInvalidation::kPageLg2;
  const TbuKey key{req.sid, req.ssid.has_value(), req.ssid.value_or(0), req.addr >> kLg2};
  if (const TbuEntry* e = slot->lookup(key); e && e->perms.has(access_of(req).needed())) {
    ++tbu_hits_;
    if (e->ready > now + to_ticks(delay)) delay = from_ticks(e->ready - now);
    TranslateResult r;
    r.outcome = Outcome::kTranslated;
    r.oa = e->oa_page + (req.addr & mask(kLg2 - 1, 0));
    r.page_lg2 = kLg2;
    r.perms = e->perms;
    return r;
  }
  ++tbu_misses_;
  TranslateResult r = translate(req, delay);
  if (r.outcome == Outcome::kTranslated)
    slot->insert(key, TbuEntry{r.oa & ~mask(kLg2 - 1, 0), r.perms, now + to_ticks(delay)});
  return r;
}

void SmmuV3Iommu::flush_tbus() {
  for (auto& [port, tbu] : tbus_) inv_entries_ += tbu->invalidate_all();
}

void SmmuV3Iommu::dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++dmas_;
  DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs) {
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  Request base;
  base.sid = attrs->rid;
  if (attrs->has_pasid) base.ssid = attrs->pasid;
  base.pnu = attrs->priv;
  base.ind = attrs->exec;
  base.rnw = !tx.is_write();
  base.ats = ats_of(attrs->ats);
  const uint64_t addr = tx.get_address();

  if (base.ats == smmuv3::AtsType::kTranslationRequest) {
    base.addr = addr;
    ats_translation(*attrs, base, tx, delay);
    return;
  }

  // Translate every page the access touches before moving a byte: a DMA terminated anywhere
  // reaches memory nowhere.
  forward_translated(
      tx, downstream, delay, pieces_, [&](uint64_t a) -> std::optional<PageTranslation> {
        Request req = base;
        req.addr = a;
        TranslateResult r = tbu_translate(port, req, delay);
        while (r.outcome == Outcome::kStall) {
          count_outcome(r);
          Stalled s;
          s.sid = req.sid;
          s.stag = r.event.stag;
          stalled_.push_back(&s);
          // Software may answer while the transaction is still catching up with its local
          // time: the flag keeps that answer from being lost.
          sc_core::wait(delay);
          delay = sc_core::SC_ZERO_TIME;
          if (!s.resolved) sc_core::wait(s.done);
          if (!s.retry) {
            r.outcome = s.abort ? Outcome::kAbort : Outcome::kRazWi;
            break;
          }
          r = translate(req, delay);
        }
        count_outcome(r);
        if (r.outcome == Outcome::kAbort) return std::nullopt;
        return PageTranslation{r.oa, r.ok() ? r.page_lg2 : 12u, r.outcome == Outcome::kRazWi};
      });
}

unsigned SmmuV3Iommu::dma_debug(int, tlm::tlm_generic_payload& tx) {
  // Never a back door: an access the SMMU would not translate moves nothing. The walk is the
  // plain functional one (it may set an Access flag when CD.HA / STE.S2HA ask for it).
  const DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs || attrs->ats != isim::AtsType::untranslated) return 0;
  Request req;
  req.sid = attrs->rid;
  if (attrs->has_pasid) req.ssid = attrs->pasid;
  req.pnu = attrs->priv;
  req.ind = attrs->exec;
  req.rnw = !tx.is_write();
  req.addr = tx.get_address();
  const TranslateResult r = smmuv3::translate(state(), mem_, req);
  if (!r.ok()) return 0;
  const uint64_t room = lg2_size(r.page_lg2) - (r.oa & (lg2_size(r.page_lg2) - 1));
  if (tx.get_data_length() > room) return 0;
  const uint64_t addr = tx.get_address();
  tx.set_address(r.oa);
  const unsigned n = downstream->transport_dbg(tx);
  tx.set_address(addr);
  return n;
}

void SmmuV3Iommu::ats_translation(DmaAttrs& attrs, const Request& req, tlm::tlm_generic_payload& tx,
                                  sc_core::sc_time& delay) {
  // 3.9.1, 13.6: a Translation Request is answered with a completion, never data. A
  // translation-related fault is a successful completion granting nothing (R = W = 0); a
  // request the configuration refuses (F_BAD_ATS_TREQ: UR; invalid or aborting STE, CD or
  // substream: CA) gets an error completion.
  const TranslateResult r = translate(req, delay);
  count_outcome(r);
  AtsCompletion& c = attrs.completion;
  c = AtsCompletion{};
  if (!r.ok()) {
    switch (r.event.type) {
      case EventType::kF_TRANSLATION:
      case EventType::kF_ADDR_SIZE:
      case EventType::kF_ACCESS:
      case EventType::kF_PERMISSION:
        c.valid = true;
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
      default:
        tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
    }
  }
  c.valid = true;
  c.translated = r.oa & ~mask(r.page_lg2 - 1, 0);
  c.page_lg2 = r.page_lg2;
  const bool priv = req.pnu;
  c.read = r.perms.any(priv ? pt::Perms::kPrivRead : pt::Perms::kUserRead);
  c.write = r.perms.any(priv ? pt::Perms::kPrivWrite : pt::Perms::kUserWrite);
  c.exec = r.perms.any(priv ? pt::Perms::kPrivExec : pt::Perms::kUserExec);
  c.priv = priv;
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

void register_smmuv3_iommu() {
  iommu_types().add(make_component_type<IommuBase, SmmuV3Iommu, SmmuV3Params>(
      "smmuv3", "Arm SMMUv3 (IHI 0070): stream tables, CDs, stage 1/2/nested, queues, caches"));
}

}  // namespace isim
