#include "sim/replay.h"

#include <fmt/format.h>

#include <set>
#include <vector>

#include "sim/config_error.h"
#include "sim/registry.h"
#include "trace/trace_event.h"

namespace isim {

TraceRecorder::TraceRecorder(const std::string& path, bool record_out)
    : writer_(trace::open_writer(path)), record_out_(record_out) {
  DeviceBase::set_dma_observer(this);
}

TraceRecorder::~TraceRecorder() {
  DeviceBase::set_dma_observer(nullptr);
}

void TraceRecorder::on_dma(const DeviceBase& dev, const DmaRequest& req, uint64_t size,
                           uint64_t issue, const DmaResult& result) {
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
  if (record_out_ && result.ok()) e.out = result.out;
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

namespace {

bool applied_by_host(trace::Kind k) {
  return k == trace::Kind::map || k == trace::Kind::unmap || k == trace::Kind::invalidate ||
         k == trace::Kind::attach;
}

}  // namespace

void make_replay_config(PlatformConfig& config, const ReplayOptions& opts) {
  std::set<uint16_t> rids;
  std::set<uint16_t> software_rids;  // requesters with events a host driver applies
  {
    auto r = trace::open_reader(opts.trace, {trace::parse_format(opts.format), opts.skip_bad});
    trace::Event e;
    while (r->next(e)) {
      rids.insert(e.rid);
      if (applied_by_host(e.kind)) software_rids.insert(e.rid);
    }
  }
  if (config.iommus.empty()) throw std::runtime_error("the replay config has no IOMMU");
  const auto* type = device_types().find("trace-player");
  if (type == nullptr) throw std::runtime_error("trace-player is not registered");

  // The player's params through its registry parser, so they are validated like a config's.
  auto player_params = [&](bool driver) {
    YAML::Node params(YAML::NodeType::Map);
    params["file"] = opts.trace;
    params["format"] = opts.format;
    params["timing"] = std::string(cfg::enum_to_string(opts.timing));
    params["scale"] = opts.scale;
    params["outstanding"] = opts.outstanding;
    params["skip_bad"] = opts.skip_bad;
    params["check_out"] = opts.check_out;
    params["driver"] = driver;
    params["flush_on_unmap"] = opts.flush_on_unmap;
    cfg::SourceInfo src;
    src.file = "<replay>";
    cfg::ErrorList errs;
    auto parsed = type->parse_params(params, "replay", src, errs);
    errs.throw_if_any();
    return parsed;
  };
  const auto plain = player_params(false);
  const auto with_driver = player_params(true);

  std::vector<size_t> players;  // indices: push_back below may move the devices
  for (size_t i = 0; i < config.devices.size(); ++i) {
    if (rids.erase(config.devices[i].rid)) players.push_back(i);
  }
  for (const uint16_t rid : rids) {
    ComponentSpec d;
    d.name = fmt::format("replay_{:04x}", rid);
    d.path = "devices." + d.name;
    d.iommu = config.iommus.front().name;
    d.rid = rid;
    players.push_back(config.devices.size());
    config.devices.push_back(std::move(d));
  }
  // Software events change what an IOMMU maps for every requester behind it, so the players
  // behind an IOMMU with any such event use its one host driver, which the config's other
  // host-driven devices behind it share (models/devices/shared_host_driver.h).
  std::set<std::string> driven;
  if (!opts.ignore_software) {
    for (const size_t i : players)
      if (software_rids.contains(config.devices[i].rid)) driven.insert(config.devices[i].iommu);
  }
  for (const size_t i : players) {
    ComponentSpec& d = config.devices[i];
    d.type = "trace-player";
    d.params = driven.contains(d.iommu) ? with_driver : plain;
    d.workload.reset();
    d.sriov.reset();
  }
}

}  // namespace isim
