// A device work queue (Intel DSA Architecture Specification 3.3 "Work Queues"), functional:
//
// - shared (SWQ): many clients submit with ENQCMD/ENQCMDS, a non-posted write whose completion
//   says Success or Retry; the descriptor carries the submitter's PASID. A full queue (or one
//   not enabled) answers Retry and the descriptor is not queued.
// - dedicated (DWQ): one client, submitting with MOVDIR64B (a posted write: no answer); the
//   PASID comes from the queue's configuration (WQCFG PASID), not the descriptor. Software
//   must track free slots itself: a descriptor arriving at a full DWQ is dropped (counted).
// A submission kind the queue mode does not take is refused (counted); the spec's exact
// reaction (e.g. a software error record) is not modelled.
#pragma once

#include <cstdint>
#include <deque>

#include "pasid/work_descriptor.h"

namespace isim::pasid {

enum class WqMode : uint8_t { shared, dedicated };

enum class SubmitStatus : uint8_t {
  accepted,
  retry,    ///< SWQ full (ENQCMD sets ZF)
  dropped,  ///< DWQ full: the posted write is lost
  refused,  ///< wrong submission kind for the queue mode
};

struct WqCounts {
  uint64_t accepted = 0;
  uint64_t retries = 0;
  uint64_t dropped = 0;
  uint64_t refused = 0;
};

class WorkQueue {
 public:
  /// `dwq_pasid` is the WQCFG PASID of a dedicated queue (ignored when shared).
  WorkQueue(WqMode mode, unsigned depth, uint32_t dwq_pasid = 0)
      : mode_(mode), depth_(depth), dwq_pasid_(dwq_pasid) {}

  WqMode mode() const { return mode_; }
  unsigned depth() const { return depth_; }
  size_t occupancy() const { return q_.size(); }
  bool empty() const { return q_.empty(); }

  /// ENQCMD / ENQCMDS: the portal write's bytes as the CPU formed them.
  SubmitStatus enqcmd(const DescriptorBytes& d);
  /// MOVDIR64B to a dedicated queue: its PASID replaces whatever the descriptor holds.
  SubmitStatus movdir64b(const DescriptorBytes& d);

  /// The oldest queued descriptor, removed (the queue must not be empty).
  WorkDescriptor pop();

  const WqCounts& counts() const { return counts_; }

 private:
  WqMode mode_;
  unsigned depth_;
  uint32_t dwq_pasid_;
  std::deque<WorkDescriptor> q_;
  WqCounts counts_;
};

}  // namespace isim::pasid
