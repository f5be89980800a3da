#include "models/vtd/vtd_iommu.h"

#include "hw/translated_dma.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "base/rng.h"
#include "hw/dma_attrs.h"
#include "hw/reg_bank_tlm.h"
#include "hw/sc_time_util.h"
#include "models/vtd/vtd_stats.h"
#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

using namespace vtd;

namespace {

constexpr uint64_t bitv(unsigned b) {
  return uint64_t{1} << b;
}

/// Page sizes an IOTLB entry may have (4 KiB, 2 MiB, 1 GiB), smallest first.
constexpr std::array<unsigned, 3> kPageLg2s = {12, 21, 30};

/// 5.1.4: remapped DMA may not target the interrupt address range 0xFEEx_xxxx.
constexpr bool in_interrupt_range(uint64_t a) {
  return (a >> 20) == 0xFEE;
}

CacheParams seeded(CacheParams c, uint64_t seed, const std::string& name) {
  c.seed = Rng(seed, name).next();
  return c;
}

vtd::AtsType at_of(isim::AtsType t) {
  switch (t) {
    case isim::AtsType::translation_request:
      return vtd::AtsType::TranslationRequest;
    case isim::AtsType::translated:
      return vtd::AtsType::Translated;
    default:
      return vtd::AtsType::Untranslated;
  }
}

}  // namespace

VtdIommu::VtdIommu(const ComponentSpec& spec, const VtdIommuParams& p, BuildContext& ctx)
    : IommuBase(spec.name.c_str(), ctx.stats),
      p_(p.resolved()),
      cache_lookup_t_(from_ticks(lat(p_.cache_lookup))),
      walk_read_t_(from_ticks(lat(p_.walk_read))),
      walk_mem_t_(from_ticks(lat(p_.walk_mem_latency))),
      mem_(ctx.memory),
      translator_(p_.caps, ctx.memory),
      bank_(p_.caps.mmio_size()),
      ids_(add_registers(bank_, p_.caps)),
      faults_(bank_, ids_),
      walkers_(p.walkers),
      ctx_cache_(seeded(p.context_cache, ctx.config.sim.seed, spec.name + ".context_cache")),
      pasid_cache_(seeded(p.pasid_cache, ctx.config.sim.seed, spec.name + ".pasid_cache")),
      iotlb_(seeded(p.iotlb, ctx.config.sim.seed, spec.name + ".iotlb")),
      ss_psc_(seeded(p.ss_psc, ctx.config.sim.seed, spec.name + ".ss_psc")),
      fs_psc_(seeded(p.fs_psc, ctx.config.sim.seed, spec.name + ".fs_psc")),
      nested_s2_(seeded(p.nested_s2, ctx.config.sim.seed, spec.name + ".nested_s2")),
      st_(std::make_unique<VtdStats>(stats_)) {
  st_->add_cache("context_cache", ctx_cache_.stats());
  st_->add_cache("pasid_cache", pasid_cache_.stats());
  st_->add_cache("iotlb", iotlb_.stats());
  st_->add_cache("ss_psc", ss_psc_.stats());
  st_->add_cache("fs_psc", fs_psc_.stats());
  st_->add_cache("nested_s2", nested_s2_.cache().stats());
  st_->add_inflight(inflight_.stats());
  st_->add_walkers(walkers_.stats());
  attach_hooks();
  SC_METHOD(gcmd_done);
  sensitive << gcmd_ev_;
  dont_initialize();
  SC_METHOD(ccmd_done);
  sensitive << ccmd_ev_;
  dont_initialize();
  SC_METHOD(iotlb_reg_done);
  sensitive << iotlb_ev_;
  dont_initialize();
  SC_THREAD(iq_thread);
}

VtdIommu::~VtdIommu() = default;

Tick VtdIommu::now_plus(const sc_core::sc_time& delay) const {
  return to_ticks(sc_core::sc_time_stamp()) + to_ticks(delay);
}

// --- Memory traffic of the unit itself -----------------------------------------------------

void VtdIommu::charge(const pt::WalkLog& log, unsigned from, sc_core::sc_time& delay) {
  const unsigned n = log.reads.size();
  if (from >= n) return;
  // The functional walk already read the entries; these reads give it the memory's latency and
  // bandwidth on the walker that is free first. They carry no DmaAttrs: memory counts them as
  // the unit's own traffic. With walk_mem_latency the tables are taken to be cache-resident
  // (the CPU wrote them and the unit's reads are snooped): a fixed latency, no memory traffic.
  const bool cached_walks = p_.walk_mem_latency.value != 0;
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  const Tick ready = now + to_ticks(delay);
  walkers_.retire_before(now);
  const Tick start = walkers_.first_free(ready);
  sc_core::sc_time local = from_ticks(start - now);
  for (unsigned i = from; i < n; ++i) {
    const pt::MemAccess& a = log.reads[i];
    unsigned size = 8;
    if (a.stage == kStructureStage) {
      switch (static_cast<LogLevel>(a.level)) {
        case LogLevel::RootEntry:
          size = kRootEntryBytes;
          break;
        case LogLevel::ContextEntry:
          size = scalable() ? kScalableContextBytes : kLegacyContextBytes;
          break;
        case LogLevel::PasidDirEntry:
          size = kPasidDirEntryBytes;
          break;
        case LogLevel::PasidEntry:
          size = kPasidEntryBytes;
          break;
      }
      ++st_->structure_reads;
    } else {
      ++st_->walk_reads;
    }
    if (cached_walks) {
      local += walk_mem_t_;
    } else {
      std::array<uint8_t, kPasidEntryBytes> buf;
      bus_read(a.pa, buf.data(), size, local);
    }
    local += walk_read_t_;
  }
  const Tick end = now + to_ticks(local);
  const Tick begun = walkers_.acquire(ready, end - start);
  delay = from_ticks(begun + (end - start) - now);
}

void VtdIommu::write32(uint64_t pa, uint32_t v, sc_core::sc_time& delay) {
  bus_write(pa, &v, sizeof v, delay);
}

// --- Paging-structure caches ----------------------------------------------------------------

std::optional<pt::WalkStart> VtdIommu::psc_lookup(const SpaceTag& tag, bool first_stage,
                                                  unsigned top, uint64_t va) {
  auto& psc = first_stage ? fs_psc_ : ss_psc_;
  if (!psc.enabled() || top == 0) return std::nullopt;
  // The deepest cached table first: level 0 is served by an entry of level 1, and so on. Both
  // formats index 9 bits per level above 4 KiB pages.
  std::array<unsigned, pt::kMaxLevels> levels{};
  for (unsigned l = 0; l < top; ++l) levels[l] = l;
  const auto hit = psc.lookup_any(std::span<const unsigned>(levels.data(), top), [&](unsigned l) {
    return PscKey::of(PscTag{tag, static_cast<uint8_t>(l)}, va, 12 + 9 * (l + 1));
  });
  if (!hit) return std::nullopt;
  pt::WalkStart s;
  s.table = hit.value->table;
  s.level = static_cast<unsigned>(hit.probe);
  s.perms = hit.value->perms;
  return s;
}

template <class Fmt>
void VtdIommu::psc_fill(const Fmt& fmt, const SpaceTag& tag, bool first_stage, uint64_t va,
                        const pt::WalkLog& log, unsigned from, uint8_t stage, pt::Perms perms) {
  // `perms`: what the levels above the walk's first table allowed (all, or the rights a
  // paging-structure-cache hit carried).
  auto& psc = first_stage ? fs_psc_ : ss_psc_;
  if (!psc.enabled()) return;
  for (unsigned i = from; i < log.reads.size(); ++i) {
    const pt::MemAccess& a = log.reads[i];
    if (a.stage != stage || !a.ok) continue;
    const pt::Decoded d = fmt.decode(a.value, a.level);
    if (d.type != pt::EntryType::Table) break;
    perms = perms & d.perms;
    psc.insert(PscKey::of(PscTag{tag, d.next_level}, va, fmt.item_lg2sz(a.level)),
               PscEntry{d.addr, perms});
  }
}

// --- Translation ---------------------------------------------------------------------------

Result VtdIommu::translate(const Request& req, sc_core::sc_time& delay) {
  if (!te_ || rtaddr::ttm(rtaddr_) == Ttm::AbortDma || rtaddr::ttm(rtaddr_) == Ttm::Reserved ||
      (rtaddr::ttm(rtaddr_) == Ttm::Legacy && req.pasid)) {
    // Identity, abort-DMA and RTADDR/mode errors read no structure: the translator decides.
    return translator_.translate(state(), req);
  }
  auto fail = [&](FaultReason why, bool fpd) {
    Result r;
    r.fault = translator_.make_fault(req, why, fpd);
    return r;
  };

  // Context cache (6.2.2): one entry per source ID.
  delay += cache_lookup_t_;
  // The cached entry is used in place (no copy per request): nothing below touches the
  // context cache, and nothing waits.
  const DeviceContext* cached = ctx_cache_.lookup(ContextKey{req.sid});
  std::optional<DeviceContext> fetched;
  if (!cached) {
    pt::WalkLog log;
    const Step<DeviceContext> s = translator_.fetch_context(state(), req.sid, log);
    charge(log, 0, delay);
    if (!s.ok()) return fail(s.reason, s.fpd);
    fetched = s.value;
    ctx_cache_.insert(ContextKey{req.sid}, s.value);
  }
  const DeviceContext& ctx = cached ? *cached : *fetched;
  if (const FaultReason why = translator_.check_request(ctx, req); why != FaultReason::None) {
    return fail(why, ctx.fpd);
  }

  // PASID cache (6.2.3) in scalable mode.
  PasidContext pc;
  SpaceTag tag;
  bool priv = false, exec = false;
  if (!ctx.scalable) {
    tag = SpaceTag{ctx.legacy.did, false, 0};
  } else {
    const uint32_t pasid = translator_.effective_pasid(ctx, req);
    delay += cache_lookup_t_;
    if (const PasidContext* c = pasid_cache_.lookup(PasidKey{req.sid, pasid})) {
      pc = *c;
    } else {
      pt::WalkLog log;
      const Step<PasidContext> s = translator_.fetch_pasid_entry(ctx, pasid, log);
      charge(log, 0, delay);
      if (!s.ok()) return fail(s.reason, s.fpd);
      pc = s.value;
      pasid_cache_.insert(PasidKey{req.sid, pasid}, pc);
    }
    pc.with_pasid = req.pasid.has_value();
    tag = SpaceTag{pc.entry.did, true, pasid};
    priv = req.pasid ? req.priv : (p_.caps.rprivs && ctx.sm.rid_priv);
    exec = req.pasid && req.exec;
  }

  const bool tr_req = req.at == vtd::AtsType::TranslationRequest;
  const bool untranslated = req.at == vtd::AtsType::Untranslated;
  const Pgtt pgtt = static_cast<Pgtt>(pc.entry.pgtt);
  const bool walks =
      ctx.scalable ? pgtt != Pgtt::PassThrough : ctx.legacy.tt != LegacyTt::PassThrough;

  // IOTLB (6.2.4): tagged by DID and PASID, probed at every page size.
  if ((untranslated || tr_req) && walks) {
    delay += cache_lookup_t_;
    const auto hit = iotlb_.lookup_any(
        kPageLg2s, [&](unsigned lg2) { return IotlbKey::of(tag, req.addr, lg2); });
    if (hit) {
      const IotlbEntry& e = *hit.value;
      const unsigned lg2 = kPageLg2s[hit.probe];
      const uint64_t oa = e.page_oa | (req.addr & (lg2_size(lg2) - 1));
      const pt::AccessReq ar{!tr_req && req.read, !tr_req && req.write, !tr_req && exec, priv};
      const bool allowed = e.perms.has(ar.needed()) &&
                           (!ctx.scalable || ((!priv || pc.entry.sre) && (!exec || pc.entry.ere)));
      // A cached entry that does not allow the access is not trusted to fault: the walk
      // decides (and reports the architected reason).
      if (allowed && !(untranslated && in_interrupt_range(oa))) {
        // Identical misses merge: the functional walk fills the IOTLB at once, but an entry
        // whose walk is still in flight (src/hw/inflight.h) is usable only when it completes,
        // so a request for the same page waits for that walk instead of walking again.
        const Tick now = to_ticks(sc_core::sc_time_stamp());
        if (const auto done = inflight_.join(MissKey{tag, req.addr >> 12}, now + to_ticks(delay)))
          delay = from_ticks(*done - now);
        Result r;
        r.tr.oa = oa;
        r.tr.page_lg2 = static_cast<uint8_t>(lg2);
        r.tr.perms = e.perms;
        r.tr.did = tag.did;
        r.tr.pasid_valid = tag.pasid_valid;
        r.tr.pasid = tag.pasid;
        r.tr.type = e.type;
        return r;
      }
    }
  }

  const MissKey miss{tag, req.addr >> 12};

  // Walk, starting from a paging-structure cache where one has the table (single-stage only).
  std::optional<pt::WalkStart> start;
  std::optional<pt::VtdSsFormat> ss;
  std::optional<pt::X86Format> fs;
  if (walks && (untranslated || tr_req)) {
    if (!ctx.scalable) {
      ss = translator_.second_stage_format(ctx.legacy.aw, true, false, false);
    } else if (pgtt == Pgtt::SecondStage) {
      ss = translator_.second_stage_format(pc.entry.aw, false, pc.entry.slee, false);
    } else if (pgtt == Pgtt::FirstStage) {
      fs = translator_.first_stage_format(pc.entry);
    }
    delay += cache_lookup_t_;
    if (ss) start = psc_lookup(tag, false, ss->top_level(), req.addr);
    if (fs) start = psc_lookup(tag, true, fs->top_level(), req.addr);
  }
  const pt::WalkStart* hint = start ? &*start : nullptr;
  Result r = ctx.scalable ? translator_.translate_pasid(ctx, pc, req, hint, &nested_s2_)
                          : translator_.translate_legacy(ctx, req, hint);
  if (!r.log.reads.empty()) {
    ++st_->walks;
    charge(r.log, 0, delay);
    inflight_.start(miss, now_plus(delay), to_ticks(sc_core::sc_time_stamp()));
  }
  if (!r.ok()) return r;
  const pt::Perms above = start ? start->perms : pt::Perms::all();
  if (ss) psc_fill(*ss, tag, false, req.addr, r.log, 0, 2, above);
  if (fs) psc_fill(*fs, tag, true, req.addr, r.log, 0, 1, above);
  const bool cacheable = r.tr.type == TranslationType::SecondStage ||
                         r.tr.type == TranslationType::FirstStage ||
                         r.tr.type == TranslationType::Nested;
  if (cacheable && r.tr.perms != pt::Perms::none()) {
    iotlb_.insert(IotlbKey::of(tag, req.addr, r.tr.page_lg2),
                  IotlbEntry{align_down(r.tr.oa, r.tr.page_lg2), r.tr.perms, r.tr.type});
  }
  return r;
}

// --- DMA -----------------------------------------------------------------------------------

void VtdIommu::dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++st_->dmas;
  const DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs) {
    ++st_->blocked;
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  Request req;
  req.sid = attrs->rid;
  if (attrs->has_pasid) req.pasid = attrs->pasid & DmaAttrs::kPasidMask;
  req.priv = attrs->priv;
  req.exec = attrs->exec;
  req.at = at_of(attrs->ats);
  req.read = tx.is_read();
  req.write = tx.is_write();
  if (req.at == vtd::AtsType::TranslationRequest) {
    answer_translation_request(req, tx, delay);
    return;
  }

  forward_translated(tx, downstream, delay, pieces_,
                     [&](uint64_t a) -> std::optional<PageTranslation> {
                       req.addr = a;
                       const Result r = translate(req, delay);
                       if (!r.ok()) {
                         ++st_->blocked;
                         report_fault(r.fault, delay);
                         return std::nullopt;
                       }
                       return PageTranslation{r.tr.oa, r.tr.page_lg2};
                     });
}

void VtdIommu::answer_translation_request(const Request& req0, tlm::tlm_generic_payload& tx,
                                          sc_core::sc_time& delay) {
  ++st_->translation_requests;
  DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  Request req = req0;
  req.addr = tx.get_address();
  const Result r = translate(req, delay);
  AtsCompletion c;
  if (!r.ok()) {
    // 3.9 / 7.1.3: a translation request that faults (other than not-present) is recorded
    // and completes unsuccessfully.
    report_fault(r.fault, delay);
    attrs->completion = c;
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  c.valid = true;
  c.page_lg2 = r.tr.page_lg2;
  c.translated = align_down(r.tr.oa, r.tr.page_lg2);
  const bool priv = req.pasid && req.priv;
  c.read = r.tr.perms.any(priv ? pt::Perms::kPrivRead : pt::Perms::kUserRead);
  c.write = r.tr.perms.any(priv ? pt::Perms::kPrivWrite : pt::Perms::kUserWrite);
  c.exec =
      req.pasid && req.exec && r.tr.perms.any(priv ? pt::Perms::kPrivExec : pt::Perms::kUserExec);
  c.priv = priv;
  // Pass-through answers with the untranslated address and full rights (3.9).
  attrs->completion = c;
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned VtdIommu::dma_debug(int, tlm::tlm_generic_payload& tx) {
  // Side-effect free: no caches, no stats, no fault recording; one page at most.
  const DmaAttrs* attrs = tx.get_extension<DmaAttrs>();
  if (!attrs) return 0;
  Request req;
  req.sid = attrs->rid;
  if (attrs->has_pasid) req.pasid = attrs->pasid & DmaAttrs::kPasidMask;
  req.priv = attrs->priv;
  req.exec = attrs->exec;
  req.addr = tx.get_address();
  req.read = tx.is_read();
  req.write = tx.is_write();
  const Result r = translator_.translate(state(), req);
  if (!r.ok()) return 0;
  const uint64_t room = lg2_size(r.tr.page_lg2) - (r.tr.oa & (lg2_size(r.tr.page_lg2) - 1));
  if (tx.get_data_length() > room) return 0;
  const uint64_t addr = tx.get_address();
  tx.set_address(r.tr.oa);
  const unsigned n = downstream->transport_dbg(tx);
  tx.set_address(addr);
  return n;
}

// --- Faults and events ---------------------------------------------------------------------

void VtdIommu::report_fault(const Fault& f, sc_core::sc_time& delay) {
  st_->count_reason(f.reason);
  if (f.fpd) {
    ++st_->faults_suppressed;
    return;
  }
  switch (faults_.record(f)) {
    case FaultRecorder::Outcome::Recorded:
      ++st_->faults_recorded;
      break;
    case FaultRecorder::Outcome::RecordedEvent:
      ++st_->faults_recorded;
      fault_event(delay);
      break;
    case FaultRecorder::Outcome::Overflow:
      ++st_->faults_overflowed;
      fault_event(delay);
      break;
    case FaultRecorder::Outcome::Dropped:
      ++st_->faults_dropped;
      break;
  }
}

void VtdIommu::send_msi(RegBank::RegId data, RegBank::RegId addr, RegBank::RegId uaddr,
                        sc_core::sc_time& delay) {
  // 11.4.9.3-5: message data, address 31:2, upper address.
  const uint64_t a = (bank_.get(uaddr) << 32) | (bank_.get(addr) & mask(31, 2));
  write32(a, static_cast<uint32_t>(bank_.get(data)), delay);
}

void VtdIommu::fault_event(sc_core::sc_time& delay) {
  // 7.3 / 11.4.9.2: masked events leave IP set until software unmasks.
  const uint64_t fectl = bank_.get(ids_.fectl);
  if (bit(fectl, ectl::kIM)) {
    bank_.set(ids_.fectl, fectl | bitv(ectl::kIP));
    return;
  }
  ++st_->fault_events;
  send_msi(ids_.fedata, ids_.feaddr, ids_.feuaddr, delay);
}

void VtdIommu::invalidation_event(sc_core::sc_time& delay) {
  // 11.4.10.5: IECTL works as FECTL does for invalidation-completion events.
  const uint64_t iectl = bank_.get(ids_.iectl);
  if (bit(iectl, ectl::kIM)) {
    bank_.set(ids_.iectl, iectl | bitv(ectl::kIP));
    return;
  }
  ++st_->inv_events;
  send_msi(ids_.iedata, ids_.ieaddr, ids_.ieuaddr, delay);
}

void register_vtd_iommu() {
  iommu_types().add(make_component_type<IommuBase, VtdIommu, VtdIommuParams>(
      "vtd",
      "Intel VT-d DMA-remapping unit: legacy and scalable mode, caches, fault logging, "
      "register and queued invalidation"));
}

}  // namespace isim
