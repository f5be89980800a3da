#include "pasid/work_queue.h"

namespace isim::pasid {

SubmitStatus WorkQueue::enqcmd(const DescriptorBytes& d) {
  if (mode_ != WqMode::shared) {
    ++counts_.refused;
    return SubmitStatus::refused;
  }
  if (q_.size() >= depth_) {
    ++counts_.retries;
    return SubmitStatus::retry;
  }
  q_.push_back(WorkDescriptor::decode(d));
  ++counts_.accepted;
  return SubmitStatus::accepted;
}

SubmitStatus WorkQueue::movdir64b(const DescriptorBytes& d) {
  if (mode_ != WqMode::dedicated) {
    ++counts_.refused;
    return SubmitStatus::refused;
  }
  if (q_.size() >= depth_) {
    ++counts_.dropped;
    return SubmitStatus::dropped;
  }
  WorkDescriptor w = WorkDescriptor::decode(d);
  w.pasid = dwq_pasid_;
  w.priv = false;  // WQCFG Priv is not modelled: dedicated queues run user-mode work
  q_.push_back(w);
  ++counts_.accepted;
  return SubmitStatus::accepted;
}

WorkDescriptor WorkQueue::pop() {
  WorkDescriptor d = q_.front();
  q_.pop_front();
  return d;
}

}  // namespace isim::pasid
