// The VT-d model's statistics: DMA and walk counts, per-cache hits and misses, faults by
// outcome and by reason (7.1.3 condition names), events, invalidations by kind and queue work.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "hw/cache/set_assoc_cache.h"
#include "hw/inflight.h"
#include "hw/resource_pool.h"
#include "hw/stats/stats.h"
#include "models/vtd/fault_reasons.h"

namespace isim {

class VtdStats {
 public:
  explicit VtdStats(stats::Group& root)
      : root_(root),
        dmas(root.counter("dmas", "DMA requests received", "count")),
        blocked(root.counter("blocked", "DMA requests blocked by a fault", "count")),
        translation_requests(
            root.counter("translation_requests", "ATS translation requests answered", "count")),
        walks(
            root.counter("walks", "translations that read memory (structures or tables)", "count")),
        walk_reads(root.counter("walk_reads", "page-table entries read by walks", "count")),
        structure_reads(root.counter("structure_reads",
                                     "root/context/PASID-directory/PASID entries read", "count")),
        faults_(root, "faults"),
        faults_recorded(faults_.counter("recorded", "faults written to a fault record", "count")),
        faults_suppressed(
            faults_.counter("suppressed_fpd", "faults not recorded because of FPD", "count")),
        faults_overflowed(
            faults_.counter("overflow", "faults that set FSTS.PFO (not recorded)", "count")),
        faults_dropped(faults_.counter("dropped", "faults dropped while PFO was set", "count")),
        fault_events(faults_.counter("events", "fault-event messages sent", "count")),
        reasons_(faults_, "reason"),
        inv_(root, "invalidations"),
        cc_global(inv_.counter("context_global", "global context-cache invalidations", "count")),
        cc_domain(inv_.counter("context_domain", "domain-selective context-cache", "count")),
        cc_device(inv_.counter("context_device", "device-selective context-cache", "count")),
        iotlb_global(inv_.counter("iotlb_global", "global IOTLB invalidations", "count")),
        iotlb_domain(inv_.counter("iotlb_domain", "domain-selective IOTLB", "count")),
        iotlb_page(inv_.counter("iotlb_page", "page-selective-within-domain IOTLB", "count")),
        piotlb_pasid(
            inv_.counter("pasid_iotlb_pasid", "PASID-selective PASID-based IOTLB", "count")),
        piotlb_page(inv_.counter("pasid_iotlb_page", "page-selective PASID-based IOTLB", "count")),
        pc_domain(inv_.counter("pasid_cache_domain", "domain-selective PASID cache", "count")),
        pc_pasid(inv_.counter("pasid_cache_pasid", "PASID-selective PASID cache", "count")),
        pc_global(inv_.counter("pasid_cache_global", "global PASID cache", "count")),
        dev_tlb(inv_.counter("device_tlb", "device-TLB invalidations", "count")),
        pasid_dev_tlb(
            inv_.counter("pasid_device_tlb", "PASID-based device-TLB invalidations", "count")),
        iec(inv_.counter("interrupt_entry", "interrupt-entry-cache invalidations (ignored)",
                         "count")),
        reg_rejected(inv_.counter("register_rejected",
                                  "register-based invalidations not performed (QI on, or "
                                  "scalable mode, or a reserved granularity)",
                                  "count")),
        qi_(root, "queue"),
        descriptors(qi_.counter("descriptors", "invalidation descriptors processed", "count")),
        waits(qi_.counter("waits", "invalidation wait descriptors", "count")),
        page_responses(qi_.counter("page_group_responses", "page group responses", "count")),
        queue_errors(qi_.counter("errors", "invalidation queue errors (FSTS.IQE)", "count")),
        inv_events(qi_.counter("events", "invalidation-completion messages sent", "count")),
        prq_(root, "page_requests"),
        prq_queued(prq_.counter("queued", "page requests written to the queue", "count")),
        prq_overflow(
            prq_.counter("overflow", "page requests dropped on a full queue (PRS.PRO)", "count")),
        prq_refused(prq_.counter("refused", "page requests answered at once (invalid)", "count")),
        prq_events(prq_.counter("events", "page-request event messages sent", "count")),
        ats_sent(
            inv_.counter("ats_messages", "ATS invalidation requests sent to devices", "count")) {
    for (unsigned v = 1; v < 256; ++v) {
      const auto r = static_cast<vtd::FaultReason>(v);
      const std::string name = vtd::spec_name(r);
      // Interrupt-remapping reasons cannot occur (no interrupt remapping).
      if (name == "?" || (v >= 0x20 && v < 0x30)) continue;
      std::string key = name;
      for (char& c : key)
        if (c == '.') c = '_';
      by_reason_[v] = &reasons_.counter(key, vtd::describe(r), "count");
    }
  }

  void add_cache(std::string_view name, const CacheStats& cs) {
    stats::Group& g = root_.add_group(name);
    g.counter_ref("hits", &cs.hits, "lookups that hit", "count");
    g.counter_ref("misses", &cs.misses, "lookups that missed", "count");
    g.counter_ref("evictions", &cs.evictions, "entries evicted", "count");
    g.counter_ref("invalidations", &cs.invalidations, "entries invalidated", "count");
    g.formula("hit_rate", "hits / lookups", "ratio", [&cs] {
      return stats::ratio(static_cast<double>(cs.hits), static_cast<double>(cs.hits + cs.misses));
    });
  }
  void add_walkers(const TimelineStats& ts) {
    stats::Group& g = root_.add_group("walkers");
    g.counter_ref("bookings", &ts.acquisitions,
                  "walker bookings (structure fetches and page walks)", "count");
    g.counter_ref("delayed", &ts.delayed, "bookings that waited for a free walker", "count");
    g.counter_ref("wait", &ts.total_wait, "total time bookings waited for a walker", "ps");
    g.counter_ref("busy", &ts.busy, "walker-time spent walking", "ps");
    root_.formula("reads_per_walk", "page-table reads per walk (walk_reads / walks)", "ratio",
                  [this] {
                    return stats::ratio(static_cast<double>(walk_reads.value()),
                                        static_cast<double>(walks.value()));
                  });
  }
  void add_inflight(const InflightStats& is) {
    root_.counter_ref("merged_misses", &is.merged,
                      "IOTLB misses that waited for the same page's walk in flight", "count");
  }
  void count_reason(vtd::FaultReason r) {
    if (stats::Counter* c = by_reason_[static_cast<uint8_t>(r)]) ++*c;
  }

 private:
  stats::Group& root_;

 public:
  stats::Counter& dmas;
  stats::Counter& blocked;
  stats::Counter& translation_requests;
  stats::Counter& walks;
  stats::Counter& walk_reads;
  stats::Counter& structure_reads;

 private:
  stats::Group faults_;

 public:
  stats::Counter& faults_recorded;
  stats::Counter& faults_suppressed;
  stats::Counter& faults_overflowed;
  stats::Counter& faults_dropped;
  stats::Counter& fault_events;

 private:
  stats::Group reasons_;
  std::array<stats::Counter*, 256> by_reason_{};
  stats::Group inv_;

 public:
  stats::Counter& cc_global;
  stats::Counter& cc_domain;
  stats::Counter& cc_device;
  stats::Counter& iotlb_global;
  stats::Counter& iotlb_domain;
  stats::Counter& iotlb_page;
  stats::Counter& piotlb_pasid;
  stats::Counter& piotlb_page;
  stats::Counter& pc_domain;
  stats::Counter& pc_pasid;
  stats::Counter& pc_global;
  stats::Counter& dev_tlb;
  stats::Counter& pasid_dev_tlb;
  stats::Counter& iec;
  stats::Counter& reg_rejected;

 private:
  stats::Group qi_;

 public:
  stats::Counter& descriptors;
  stats::Counter& waits;
  stats::Counter& page_responses;
  stats::Counter& queue_errors;
  stats::Counter& inv_events;

 private:
  stats::Group prq_;

 public:
  stats::Counter& prq_queued;
  stats::Counter& prq_overflow;
  stats::Counter& prq_refused;
  stats::Counter& prq_events;
  stats::Counter& ats_sent;
};

}  // namespace isim
