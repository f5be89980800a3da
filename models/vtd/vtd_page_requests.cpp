// The VT-d model's page request path (7.5): page requests from devices into the page request
// queue with its event (PRS, PECTL), and page group responses back to the devices.
#include "hw/dma_attrs.h"
#include "hw/sc_time_util.h"
#include "models/vtd/prq.h"
#include "models/vtd/vtd_iommu.h"
#include "models/vtd/vtd_stats.h"

namespace isim {

using namespace vtd;

namespace {

constexpr uint64_t bitv(unsigned b) {
  return uint64_t{1} << b;
}

}  // namespace

bool VtdIommu::page_request(const PageRequest& pr, sc_core::sc_time& delay) {
  if (!p_.caps.prs) return false;
  // 7.5: the request must come from a device whose scalable-mode context entry enables page
  // requests (PRE); otherwise it is refused and the fault recorded (RTA.3 in legacy mode,
  // SCT.8 with PRE clear, or the context entry's own fault).
  Request req;
  req.sid = pr.rid;
  if (pr.has_pasid) req.pasid = pr.pasid & DmaAttrs::kPasidMask;
  req.priv = pr.priv;
  req.exec = pr.exec;
  req.addr = pr.addr;
  req.read = pr.read;
  req.write = pr.write;
  FaultReason why = FaultReason::None;
  bool fpd = false;
  if (!scalable()) {
    why = FaultReason::RTA_3;
  } else {
    delay += cache_lookup_t_;
    DeviceContext ctx;
    if (const DeviceContext* c = ctx_cache_.lookup(ContextKey{pr.rid})) {
      ctx = *c;
    } else {
      pt::WalkLog log;
      const Step<DeviceContext> s = translator_.fetch_context(state(), pr.rid, log);
      charge(log, 0, delay);
      if (s.ok()) {
        ctx = s.value;
        ctx_cache_.insert(ContextKey{pr.rid}, ctx);
      } else {
        why = s.reason;
        fpd = s.fpd;
      }
    }
    if (why == FaultReason::None) {
      fpd = ctx.fpd;
      if (!ctx.sm.pre) why = FaultReason::SCT_8;
    }
  }
  if (why != FaultReason::None) {
    Fault f = translator_.make_fault(req, why, fpd);
    f.page_request = true;
    ++st_->prq_refused;
    report_fault(f, delay);
    return false;
  }

  // 7.5.1: with PRO set the request is dropped without a record or an event; a full queue
  // sets PRO (and signals it); otherwise the descriptor goes in at PQT.
  const uint64_t prs = bank_.get(ids_.prs);
  if (bit(prs, pq::kPRO)) {
    ++st_->prq_overflow;
    return true;
  }
  const uint64_t pqa = bank_.get(ids_.pqa);
  const uint64_t size = uint64_t{4096} << bits(pqa, pq::kQsHi, pq::kQsLo);
  const uint64_t head = bank_.get(ids_.pqh) & mask(pq::kHeadHi, pq::kHeadLo);
  const uint64_t tail = bank_.get(ids_.pqt) & mask(pq::kHeadHi, pq::kHeadLo);
  const uint64_t next = (tail + kPageRequestBytes) % size;
  auto event = [&](uint64_t old_prs) {
    // 7.5.2: a page request event only when neither PPR nor PRO was already set.
    if (old_prs & (bitv(pq::kPPR) | bitv(pq::kPRO))) return;
    const uint64_t pectl = bank_.get(ids_.pectl);
    if (bit(pectl, ectl::kIM)) {
      bank_.set(ids_.pectl, pectl | bitv(ectl::kIP));
      return;
    }
    ++st_->prq_events;
    send_msi(ids_.pedata, ids_.peaddr, ids_.peuaddr, delay);
  };
  if (next == head || tail >= size) {
    ++st_->prq_overflow;
    bank_.set(ids_.prs, prs | bitv(pq::kPRO));
    event(prs);
    return true;
  }
  PageRequestDesc d;
  d.rid = pr.rid;
  d.pp = pr.has_pasid;
  d.pasid = pr.has_pasid ? pr.pasid : 0;
  d.exe = pr.has_pasid && pr.exec;
  d.pmr = pr.has_pasid && pr.priv;
  d.rd = pr.read;
  d.wr = pr.write;
  d.lpig = pr.last;
  d.prgi = pr.group & PageRequest::kGroupMask;
  d.addr = pr.addr;
  const auto q = d.encode();
  bus_write((pqa & mask(63, 12)) + tail, q.data(), kPageRequestBytes, delay);
  ++st_->prq_queued;
  bank_.set(ids_.pqt, next);
  const uint64_t now_prs = bank_.get(ids_.prs);
  if (!bit(now_prs, pq::kPPR)) {
    bank_.set(ids_.prs, now_prs | bitv(pq::kPPR));
    event(now_prs);
  }
  return true;
}

void VtdIommu::send_page_response(uint16_t rid, bool has_pasid, uint32_t pasid, uint16_t group,
                                  PrgResponseCode code, Tick now) {
  PcieEndpoint* ep = endpoint(rid);
  if (!ep) return;
  PageGroupResponse r;
  r.rid = rid;
  r.has_pasid = has_pasid;
  r.pasid = pasid;
  r.group = group;
  r.code = static_cast<uint8_t>(code);
  ep->page_response(r, now);
}

}  // namespace isim
