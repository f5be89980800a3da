#include "models/amdvi/translator.h"

#include "pagetable/walker.h"

namespace isim::amdvi {

namespace {

using pt::AccessReq;
using pt::Perms;

void append(pt::WalkLog& to, const pt::WalkLog& from) {
  for (const pt::MemAccess& a : from.reads) to.reads.push(a);
  for (const pt::MemAccess& a : from.writes) to.writes.push(a);
}

Fault event_only(const Event& e) {
  Fault f;
  f.event = e;
  return f;
}

template <class T>
Step<T> fail(const Fault& f) {
  Step<T> s;
  s.fault = f;
  return s;
}

bool is_tr(const Request& r) {
  return r.at == AtsType::TranslationRequest;
}

/// What the walk must check. An ATS translation request asks for the rights rather than
/// checking them (2.3 / PCIe ATS): the answer carries whatever the tables grant.
AccessReq access_for(const Request& r, bool priv) {
  if (is_tr(r)) return AccessReq{false, false, false, priv};
  return AccessReq{r.read, r.write, r.exec, priv};
}

/// Addresses 2.5.3 IO_PAGE_FAULT reports for a translation request with R = W = 0 answer.
void zero_answer(Result& r, const Request& req) {
  r.tr.perms = Perms::none();
  r.tr.oa = align_down(req.addr, 12);
  r.tr.page_lg2 = 12;
}

}  // namespace

const char* to_string(TranslationType t) {
  switch (t) {
    case TranslationType::Disabled:
      return "disabled";
    case TranslationType::Untranslated:
      return "untranslated";
    case TranslationType::Exclusion:
      return "exclusion";
    case TranslationType::ModeNone:
      return "mode0";
    case TranslationType::Host:
      return "host";
    case TranslationType::Guest:
      return "guest";
    case TranslationType::Nested:
      return "nested";
    case TranslationType::Translated:
      return "translated";
  }
  return "?";
}

UnitState UnitState::from_registers(uint64_t dtb, uint64_t ctl, uint64_t eb, uint64_t el) {
  UnitState s;
  s.dev_tab_base = devtab::base(dtb);
  s.dev_tab_entries = devtab::entries(dtb);
  s.iommu_en = bit(ctl, control::kIommuEn);
  s.gt_en = bit(ctl, control::kGTEn);
  s.excl_en = bit(eb, excl::kExEn);
  s.excl_allow = bit(eb, excl::kAllow);
  s.excl_base = excl::base(eb);
  s.excl_limit = excl::limit(el);
  return s;
}

// --- Events ---------------------------------------------------------------------------------
Fault Translator::io_page_fault(const DeviceContext& ctx, const Request& req, bool gn,
                                uint32_t pasid) const {
  Fault f;
  f.event = Event::io_page_fault(ctx.device_id, req.addr);
  f.event.gn = gn;
  if (gn) {
    f.event.pasid = pasid;
  } else {
    f.event.domain_id = ctx.dte.domain_id;
  }
  f.event.tr = is_tr(req);
  f.event.rw = req.write && !f.event.tr;
  // NX / US describe the request; both come with the PASID prefix.
  f.event.nx = req.pasid.has_value() && req.exec;
  f.event.us = gn && !(req.pasid.has_value() && req.priv);
  // 2.2.2.1 SA: no IO_PAGE_FAULT events at all for this device; SE is the model's (stateful).
  f.log = !ctx.dte.sa;
  f.se = ctx.dte.se;
  return f;
}

Fault Translator::walk_fault(const DeviceContext& ctx, const Request& req, const pt::Fault& wf,
                             bool gn, uint32_t pasid) const {
  using K = pt::FaultKind;
  Fault f;
  if (wf.kind == K::BusError) {
    // 2.5.5: a table read that fails is a hardware error on the table, not a page fault.
    f.event = Event::page_tab_hw_error(ctx.device_id, wf.entry_pa, HwErrorType::MasterAbort,
                                       req.write && !is_tr(req), is_tr(req));
    f.event.gn = gn;
    if (gn) {
      f.event.pasid = pasid;
    } else {
      f.event.domain_id = ctx.dte.domain_id;
    }
  } else {
    f = io_page_fault(ctx, req, gn, pasid);
    // 2.5.3: PR = the translation entry was present (permission or reserved-bit faults);
    // PE = permission; RZ = a reserved bit (or an invalid level encoding: RZ stays 1 here
    // because the pagetable library folds both into ReservedBit). Not-present entries, level
    // skips with non-zero VA bits and addresses beyond Mode are PR = 0.
    f.event.pr = wf.kind == K::Permission || wf.kind == K::ReservedBit;
    f.event.pe = wf.kind == K::Permission;
    f.event.rz = wf.kind == K::ReservedBit;
  }
  f.walk = wf;
  return f;
}

// --- DTE: 2.2.2 -----------------------------------------------------------------------------
Step<DeviceContext> Translator::fetch_dte(const UnitState& st, const Request& req,
                                          pt::WalkLog& log) const {
  Step<DeviceContext> s;
  DeviceContext& ctx = s.value;
  ctx.device_id = req.device_id;
  ctx.dte_pa = st.dev_tab_base + uint64_t{req.device_id} * kDteBytes;
  const bool tr = is_tr(req);
  if (req.device_id >= st.dev_tab_entries) {
    // [UNVERIFIED] a DeviceID beyond Device Table Base.Size: fail closed with an illegal-DTE
    // event (no entry exists to read).
    Fault f;
    f.event = Event::illegal_dte(req.device_id, req.addr, false, req.write && !tr, tr);
    return fail<DeviceContext>(f);
  }
  const bool ok = mem_->read(ctx.dte_pa, ctx.raw.data(), kDteBytes);
  log.reads.push({ctx.dte_pa, ok ? ctx.raw[0] : 0, kDteLogLevel, kStructureStage, ok});
  if (!ok) {
    Fault f;
    f.event = Event::dev_tab_hw_error(req.device_id, ctx.dte_pa, HwErrorType::MasterAbort,
                                      req.write && !tr, tr);
    return fail<DeviceContext>(f);
  }
  ctx.dte = Dte::decode(ctx.raw);
  if (ctx.dte.v) {
    const DteProblem p = check_dte(ctx.raw, f_);
    if (p != DteProblem::None) {
      Fault f;
      f.event = Event::illegal_dte(req.device_id, req.addr, p == DteProblem::ReservedBit,
                                   req.write && !tr, tr);
      f.event.gn = req.pasid.has_value();
      f.event.pasid = req.pasid.value_or(0);
      return fail<DeviceContext>(f);
    }
  }
  return s;
}

// 2.3.? exclusion range: software-programmed [base, limit] bypasses translation for devices
// whose DTE has EX = 1, or for every device with Allow = 1.
bool Translator::excluded(const UnitState& st, const Dte& dte, uint64_t addr) {
  return st.excl_en && (st.excl_allow || dte.ex) && addr >= st.excl_base && addr <= st.excl_limit;
}

std::optional<uint32_t> Translator::guest_pasid(const UnitState& st, const Dte& dte,
                                                const Request& req) const {
  // 3.4.4 GTEn: guest translation is off unless Control.GTEn is set (and EFR.GTSup).
  if (!(dte.gv && st.gt_en && f_.gt_sup)) return std::nullopt;
  if (req.pasid) return *req.pasid;
  // 2.2.2.1 GIoV: requests without a PASID use the PASID 0 GCR3 entry.
  if (dte.giov) return 0u;
  return std::nullopt;
}

// --- GCR3: 2.2.6 ----------------------------------------------------------------------------
Step<GuestContext> Translator::fetch_gcr3(const DeviceContext& ctx, uint32_t pasid,
                                          const Request& req, pt::WalkLog& log) const {
  if (f_.pasid_bits() < 32 && (pasid >> f_.pasid_bits()) != 0) {
    return fail<GuestContext>(io_page_fault(ctx, req, true, pasid));  // beyond EFR.PASmax
  }
  const Gcr3Lookup g = lookup_gcr3(*mem_, ctx.dte.gcr3_root, ctx.dte.glx, pasid, log);
  switch (g.fault) {
    case Gcr3Fault::None: {
      Step<GuestContext> s;
      s.value.pasid = pasid;
      s.value.gcr3 = g.gcr3;
      return s;
    }
    case Gcr3Fault::BusError: {
      Fault f;
      f.event = Event::page_tab_hw_error(ctx.device_id, g.entry_pa, HwErrorType::MasterAbort,
                                         req.write && !is_tr(req), is_tr(req));
      f.event.gn = true;
      f.event.pasid = pasid;
      return fail<GuestContext>(f);
    }
    case Gcr3Fault::ReservedBit: {
      Fault f = io_page_fault(ctx, req, true, pasid);
      f.event.pr = true;
      f.event.rz = true;
      return fail<GuestContext>(f);
    }
    case Gcr3Fault::NotValid:
    case Gcr3Fault::PasidOutOfRange:
      break;
  }
  return fail<GuestContext>(io_page_fault(ctx, req, true, pasid));
}

// --- Formats ----------------------------------------------------------------------------------
std::optional<pt::AmdV1Format> Translator::host_format(unsigned mode) const {
  if (mode == kModeNone || mode > f_.max_host_levels()) return std::nullopt;
  pt::AmdV1Config c;
  c.mode = mode;
  return pt::AmdV1Format::create(c);
}

std::optional<pt::X86Format> Translator::guest_format(unsigned gpm) const {
  const unsigned levels = 4 + gpm;  // 2.2.2.1 GPM: 0 4-level, 1 5-level
  if (levels > f_.max_guest_levels()) return std::nullopt;
  pt::X86Config c = pt::amd_v2_config(levels);
  c.nx = f_.nx_sup;  // without NXSup bit 63 is reserved, as in x86 without EFER.NXE
  return pt::X86Format::create(c);
}

// --- Host path: 2.2.3 -------------------------------------------------------------------------
Result Translator::translate_host(const DeviceContext& ctx, const Request& req,
                                  const pt::WalkStart* from) const {
  Result r;
  const Dte& d = ctx.dte;
  r.tr.domain_id = d.domain_id;
  r.tr.iotlb = d.i;
  const AccessReq ar = access_for(req, false);

  if (d.mode == kModeNone) {
    // 2.2.2.1 Mode 0: no translation, access controlled by IR/IW.
    r.tr.type = TranslationType::ModeNone;
    r.tr.oa = req.addr;
    r.tr.perms = dte_perms(d);
    if (!r.tr.perms.has(ar.needed())) {
      r.fault = io_page_fault(ctx, req, false, 0);
      r.fault.event.pr = true;
      r.fault.event.pe = true;
    }
    return r;
  }

  const auto fmt = host_format(d.mode);
  if (!fmt) {  // check_dte() rejects these; kept so a model bypassing it still fails closed
    Fault f;
    f.event = Event::illegal_dte(ctx.device_id, req.addr, false, req.write, is_tr(req));
    r.fault = f;
    return r;
  }
  pt::WalkStart start;
  if (from != nullptr) {
    start = *from;
  } else {
    start.table = d.pt_root;
    start.perms = dte_perms(d);  // 2.2.3: IR/IW of the DTE are ANDed with every level
  }
  pt::WalkOptions opt;
  opt.stage = kHostStage;
  const pt::StageResult w = pt::walk_stage(*fmt, *mem_, start, req.addr, ar, opt, r.log);
  r.tr.type = TranslationType::Host;
  if (!w.ok()) {
    if (is_tr(req) && w.fault.kind == pt::FaultKind::NotPresent) {
      zero_answer(r, req);
      return r;
    }
    r.fault = walk_fault(ctx, req, w.fault, false, 0);
    return r;
  }
  r.tr.oa = w.tr.oa;
  r.tr.page_lg2 = w.tr.page_lg2;
  r.tr.perms = w.tr.perms;
  r.tr.untranslated_only = (w.tr.leaf & pt::AmdV1Format::kU) != 0;
  return r;
}

// --- Guest path: 2.2.6 / 2.2.7 ---------------------------------------------------------------
Result Translator::translate_guest(const DeviceContext& ctx, const GuestContext& g,
                                   const Request& req, const Stage2Hook* s2,
                                   const pt::WalkStart* from) const {
  Result r;
  const Dte& d = ctx.dte;
  r.tr.domain_id = d.domain_id;
  r.tr.iotlb = d.i;
  r.tr.pasid_valid = true;
  r.tr.pasid = g.pasid;

  const auto gfmt = guest_format(d.gpm);
  if (!gfmt) {
    Fault f;
    f.event = Event::illegal_dte(ctx.device_id, req.addr, false, req.write, is_tr(req));
    r.fault = f;
    return r;
  }
  // Privilege comes with the PASID prefix; without EFR.USSup the U/S checks are not made.
  const bool priv = !f_.us_sup || (req.pasid.has_value() && req.priv);
  const AccessReq ar = access_for(req, priv);
  pt::WalkStart start;
  start.table = g.gcr3;
  start.perms = guest_root_perms(d);
  if (from != nullptr) start = *from;

  pt::Fault wf;
  bool ok = false;
  pt::Translation t;
  if (d.mode == kModeNone) {
    // Guest tables in system physical memory; IR/IW still bound the access.
    r.tr.type = TranslationType::Guest;
    pt::WalkOptions opt;
    opt.stage = kGuestStage;
    const pt::StageResult w = pt::walk_stage(*gfmt, *mem_, start, req.addr, ar, opt, r.log);
    ok = w.ok();
    wf = w.fault;
    t = w.tr;
  } else {
    r.tr.type = TranslationType::Nested;
    const auto hfmt = host_format(d.mode);
    if (!hfmt) {
      Fault f;
      f.event = Event::illegal_dte(ctx.device_id, req.addr, false, req.write, is_tr(req));
      r.fault = f;
      return r;
    }
    pt::WalkStart host_root;
    host_root.table = d.pt_root;
    host_root.perms = dte_perms(d);
    pt::WalkOptions s1_opts;
    s1_opts.stage = kGuestStage;
    auto hook = [s2](uint64_t gpa, const AccessReq& a, pt::WalkLog& l) { return (*s2)(gpa, a, l); };
    const pt::WalkResult w =
        s2 != nullptr
            ? pt::walk_nested(*gfmt, *mem_, start, req.addr, ar, hook, s1_opts)
            : pt::walk_nested(*gfmt, *mem_, start, req.addr, ar,
                              pt::Stage2Walker<pt::AmdV1Format>(*hfmt, *mem_, host_root), s1_opts);
    append(r.log, w.log);
    ok = w.ok();
    wf = w.fault;
    t = w.tr;
    r.tr.gpa = w.s1.oa;
  }
  if (!ok) {
    if (is_tr(req) && wf.kind == pt::FaultKind::NotPresent) {
      zero_answer(r, req);
      return r;
    }
    r.fault = walk_fault(ctx, req, wf, true, g.pasid);
    return r;
  }
  r.tr.oa = t.oa;
  r.tr.page_lg2 = t.page_lg2;
  r.tr.perms = t.perms;
  return r;
}

// --- Routing: 2.3 -----------------------------------------------------------------------------
Route Translator::route(const UnitState& st, const DeviceContext& ctx, const Request& req) const {
  Route rt;
  const Dte& d = ctx.dte;
  auto done = [&](const Fault& f) {
    rt.done.fault = f;
    return rt;
  };
  // ATS (2.3, DTE.I): translated requests and translation requests need I = 1 (and a DTE with
  // translation information for the latter).
  if (req.at == AtsType::Translated) {
    if (!(d.v && d.i)) {
      return done(event_only(Event::invalid_device_request(
          req.device_id, req.addr, InvalidRequestType::TranslatedWithoutIotlb, false)));
    }
    rt.done.tr.type = TranslationType::Translated;
    rt.done.tr.oa = req.addr;
    rt.done.tr.domain_id = d.domain_id;
    rt.done.tr.iotlb = true;
    return rt;
  }
  if (req.at == AtsType::TranslationRequest && !(d.v && d.tv && d.i)) {
    return done(event_only(Event::invalid_device_request(
        req.device_id, req.addr, InvalidRequestType::TranslationWithoutIotlb, true)));
  }
  if (!d.v) {  // 2.2.2.1 V = 0: DMA passes untranslated
    rt.done.tr.type = TranslationType::Untranslated;
    rt.done.tr.oa = req.addr;
    return rt;
  }
  if (!d.tv) {
    // V = 1, TV = 0: no translation information; the request is aborted with an IO_PAGE_FAULT
    // (Linux uses this as its blocked DTE when SNP forbids Mode 0). [UNVERIFIED] event choice.
    return done(io_page_fault(ctx, req, req.pasid.has_value(), req.pasid.value_or(0)));
  }
  if (excluded(st, d, req.addr)) {
    rt.done.tr.type = TranslationType::Exclusion;
    rt.done.tr.oa = req.addr;
    rt.done.tr.domain_id = d.domain_id;
    return rt;
  }
  if (const std::optional<uint32_t> pasid = guest_pasid(st, d, req)) {
    rt.kind = Route::Kind::Guest;
    rt.pasid = *pasid;
    return rt;
  }
  if (req.pasid) {
    // A PASID-tagged request with guest translation off: no table can serve it. [UNVERIFIED]
    // reported as a guest IO_PAGE_FAULT.
    return done(io_page_fault(ctx, req, true, *req.pasid));
  }
  rt.kind = Route::Kind::Host;
  return rt;
}

// --- The whole flow: 2.3 ------------------------------------------------------------------------
Result Translator::translate(const UnitState& st, const Request& req) const {
  if (!st.iommu_en) {  // 3.4.4 IommuEn = 0: the IOMMU does not translate
    Result r;
    r.tr.type = TranslationType::Disabled;
    r.tr.oa = req.addr;
    return r;
  }
  pt::WalkLog log;
  const Step<DeviceContext> ctx = fetch_dte(st, req, log);
  auto early = [&](const Fault& f) {
    Result r;
    r.fault = f;
    r.log = log;
    return r;
  };
  if (!ctx.ok()) return early(ctx.fault);

  const Route rt = route(st, ctx.value, req);
  Result r;
  switch (rt.kind) {
    case Route::Kind::Done:
      r = rt.done;
      r.log = log;
      return r;
    case Route::Kind::Guest: {
      const Step<GuestContext> g = fetch_gcr3(ctx.value, rt.pasid, req, log);
      if (!g.ok()) return early(g.fault);
      r = translate_guest(ctx.value, g.value, req);
      break;
    }
    case Route::Kind::Host:
      r = translate_host(ctx.value, req);
      break;
  }
  pt::WalkLog walk = r.log;
  r.log = log;
  append(r.log, walk);
  return r;
}

}  // namespace isim::amdvi
