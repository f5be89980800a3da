#include "sim/replay.h"

#include <fmt/format.h>

#include <set>

#include "sim/config_error.h"
#include "sim/registry.h"
#include "trace/trace_event.h"

namespace isim {

TraceRecorder::TraceRecorder(const std::string& path) : writer_(trace::open_writer(path)) {
  DeviceBase::set_dma_observer(this);
}

TraceRecorder::~TraceRecorder() {
  DeviceBase::set_dma_observer(nullptr);
}

void TraceRecorder::on_dma(const DeviceBase& dev, const DmaRequest& req, uint64_t size,
                           uint64_t issue) {
  trace::Event e;
  e.time_ps = issue;
  e.kind = trace::Kind::dma;
  e.rid = req.rid;
  if (req.has_pasid) e.pasid = req.pasid;
  e.addr = req.addr;
  e.size = size;
  e.access = req.write ? trace::Access::write : trace::Access::read;
  e.at = req.ats == AtsType::translated            ? trace::At::translated
         : req.ats == AtsType::translation_request ? trace::At::translation_request
                                                   : trace::At::untranslated;
  writer_->write(e);
  ++count_;
}

uint64_t TraceRecorder::finish() {
  if (!finished_) {
    DeviceBase::set_dma_observer(nullptr);
    writer_->finish();
    finished_ = true;
  }
  return count_;
}

void make_replay_config(PlatformConfig& config, const ReplayOptions& opts) {
  std::set<uint16_t> rids;
  {
    auto r = trace::open_reader(opts.trace, {trace::parse_format(opts.format), opts.skip_bad});
    trace::Event e;
    while (r->next(e)) rids.insert(e.rid);
  }
  if (config.iommus.empty()) throw std::runtime_error("the replay config has no IOMMU");
  const auto* type = device_types().find("trace-player");
  if (type == nullptr) throw std::runtime_error("trace-player is not registered");

  // The player's params through its registry parser, so they are validated like a config's.
  YAML::Node params(YAML::NodeType::Map);
  params["file"] = opts.trace;
  params["format"] = opts.format;
  params["timing"] = std::string(cfg::enum_to_string(opts.timing));
  params["scale"] = opts.scale;
  params["outstanding"] = opts.outstanding;
  params["skip_bad"] = opts.skip_bad;
  cfg::SourceInfo src;
  src.file = "<replay>";
  cfg::ErrorList errs;
  auto parsed = type->parse_params(params, "replay", src, errs);
  errs.throw_if_any();

  auto make_player = [&](ComponentSpec& d) {
    d.type = "trace-player";
    d.params = parsed;
    d.workload.reset();
    d.sriov.reset();
  };
  for (auto& d : config.devices) {
    if (rids.erase(d.rid)) make_player(d);
  }
  for (const uint16_t rid : rids) {
    ComponentSpec d;
    d.name = fmt::format("replay_{:04x}", rid);
    d.path = "devices." + d.name;
    d.iommu = config.iommus.front().name;
    d.rid = rid;
    make_player(d);
    config.devices.push_back(std::move(d));
  }
}

}  // namespace isim
