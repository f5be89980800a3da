#include "models/tce/translator.h"

#include "pagetable/walker.h"

namespace isim::tce {

const char* to_string(BlockReason r) {
  switch (r) {
    case BlockReason::none:
      return "none";
    case BlockReason::outside_windows:
      return "outside_windows";
    case BlockReason::invalid_tce:
      return "invalid_tce";
    case BlockReason::permission:
      return "permission";
    case BlockReason::table_error:
      return "table_error";
    case BlockReason::frozen:
      return "frozen";
  }
  return "?";
}

TceTranslator::TceTranslator(PeMap& pes, PhysMem& mem, TranslatorOptions opt)
    : pes_(pes), mem_(mem), opt_(opt) {}

std::optional<WindowHit> TceTranslator::select(const TceRequest& req, BlockReason* why) const {
  WindowHit hit;
  hit.pe = pes_.pe_of(req.rid);
  if (frozen(hit.pe)) {
    *why = BlockReason::frozen;
    return std::nullopt;
  }
  // Bits 63:60 set: not a DMA address (IODA3: 64-bit MSI region or error).
  if ((req.addr >> (kTveSelectBit + 1)) != 0) {
    *why = BlockReason::outside_windows;
    return std::nullopt;
  }
  hit.slot = static_cast<unsigned>((req.addr >> kTveSelectBit) & 1);
  // One snapshot of the PE's windows: a concurrent reconfiguration is seen whole or not at all.
  const PeWindows w = pes_.snapshot(hit.pe);
  hit.win = w.slot[hit.slot];
  if (!hit.win.enabled || !hit.win.contains(req.addr)) {
    *why = BlockReason::outside_windows;
    return std::nullopt;
  }
  hit.offset = req.addr - hit.win.bus_base;
  return hit;
}

TceFetch TceTranslator::fetch(const WindowHit& hit) const {
  TceFetch f;
  f.page_lg2 = hit.win.page_lg2();
  if (!hit.win.table_present) {
    // A boot-time window whose table firmware has not allocated yet: every TCE is invalid.
    f.fault.kind = pt::FaultKind::NotPresent;
    f.fault.va = hit.offset;
    return f;
  }
  // Walk without a permission check: the TCE is cached whole and checked per request.
  const pt::WalkResult r =
      pt::walk(hit.win.fmt, mem_, hit.win.table_pa, hit.offset, pt::AccessReq{});
  f.reads = r.log.reads.size();
  for (unsigned i = 0; i < f.reads; ++i) f.read_pa[i] = r.log.reads[i].pa;
  f.fault = r.fault;
  if (r.ok()) f.tce = r.tr.leaf;
  return f;
}

TceResult TceTranslator::check(const WindowHit& hit, uint64_t tce, const TceRequest& req) {
  TceResult res;
  res.pe = hit.pe;
  res.slot = hit.slot;
  res.tce = tce;
  res.page_lg2 = hit.win.page_lg2();
  if (!tce_valid(tce)) {
    res.reason = BlockReason::invalid_tce;
    return res;
  }
  // TCE bit 0 lets the device read memory (DMA read), bit 1 write (LoPAPR TCE format).
  if (!(tce & (req.write ? kTceWrite : kTceRead))) {
    res.reason = BlockReason::permission;
    return res;
  }
  const uint64_t page_off = hit.offset & (lg2_size(res.page_lg2) - 1);
  res.out = tce_page_addr(tce, res.page_lg2) | page_off;
  return res;
}

TceResult TceTranslator::translate(const TceRequest& req) {
  BlockReason why = BlockReason::none;
  auto hit = select(req, &why);
  TceResult res;
  if (!hit) {
    res.pe = pes_.pe_of(req.rid);
    res.reason = why;
    on_error(res.pe, why);
    return res;
  }
  const TceFetch f = fetch(*hit);
  if (f.fault.kind != pt::FaultKind::None) {
    res.pe = hit->pe;
    res.slot = hit->slot;
    res.reads = f.reads;
    res.reason = f.fault.kind == pt::FaultKind::NotPresent ? BlockReason::invalid_tce
                                                           : BlockReason::table_error;
    on_error(res.pe, res.reason);
    return res;
  }
  res = check(*hit, f.tce, req);
  res.reads = f.reads;
  if (!res.ok()) on_error(res.pe, res.reason);
  return res;
}

void TceTranslator::on_error(uint32_t pe, BlockReason r) {
  if (!opt_.freeze_on_error || r == BlockReason::none || r == BlockReason::frozen) return;
  pes_.get(pe).frozen = true;
}

void TceTranslator::thaw(uint32_t pe) {
  if (PeState* s = pes_.find(pe)) s->frozen = false;
}

bool TceTranslator::frozen(uint32_t pe) const {
  const PeState* s = pes_.find(pe);
  return s && s->frozen;
}

}  // namespace isim::tce
