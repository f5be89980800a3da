#include "sim/platform.h"

#include <fmt/format.h>

#include <stdexcept>

#include <tlm_utils/tlm_quantumkeeper.h>

#include "host/sc_host_bus.h"
#include "hw/sc_time_util.h"
#include "hw/stats/stats_writer.h"
#include "hw/thread_unwind.h"
#include "models/devices/scenario_port.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

Platform::Platform(const PlatformConfig& config, PlatformOptions opts) : config_(config) {
  register_builtin_components();
  // Every pure-C++ layer counts picoseconds and reads sc_time::value() as picoseconds.
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("the SystemC time resolution must be 1 ps");
  tlm_utils::tlm_quantumkeeper::set_global_quantum(from_ticks(config_.sim.quantum.ps));

  memory_ = std::make_unique<Memory>("memory", config_.memory, stats_);
  bus_ = std::make_unique<Router>("bus", stats_);
  cpu_ = std::make_unique<CpuPort>("cpu");
  cpu_->socket.bind(bus_->in);
  bus_->out.bind(memory_->socket);
  unsigned port = 0;
  bus_->map("memory", 0, config_.memory.size, port++, false);

  host_ = std::make_unique<host::ScHostBusFactory>(
      *cpu_, memory_->store(), [this](const std::string& n) { return mmio_base(n); });
  BuildContext ctx{config_, memory_->store(), stats_, host_.get()};
  for (size_t i = 0; i < config_.iommus.size(); ++i) {
    const ComponentSpec& spec = config_.iommus[i];
    auto model = iommu_types().find(spec.type)->create(spec, ctx);
    model->downstream.bind(bus_->in);
    const uint64_t base = spec.mmio_base.value_or(kMmioWindowBase + i * kMmioSlot);
    // Every register socket is bound (SystemC requires it); only a non-empty block is mapped.
    bus_->out.bind(model->mmio);
    const unsigned mmio_port = port++;
    if (model->mmio_size() > 0) {
      try {
        bus_->map(spec.name, base, model->mmio_size(), mmio_port, true);
      } catch (const std::invalid_argument& e) {
        throw cfg::ConfigError(
            fmt::format("{}: {}.mmio_base: {}", config_.file, spec.path, e.what()));
      }
    }
    PcieRootPort* rp = nullptr;
    if (spec.root_port) {
      root_ports_.push_back(
          std::make_unique<PcieRootPort>(*spec.root_port, model->stats(), "root_port"));
      rp = root_ports_.back().get();
    }
    slots_.push_back({spec.name, model.get(), base, rp});
    iommus_.push_back(std::move(model));
  }
  for (const ComponentSpec& spec : config_.devices) {
    auto dev = device_types().find(spec.type)->create(spec, ctx);
    IommuBase* io = iommu(spec.iommu);
    if (spec.link) {
      PcieRootPort* rp = nullptr;
      for (const auto& slot : slots_)
        if (slot.model == io) rp = slot.root_port;
      const std::string lname = spec.name + "_link";
      // An SR-IOV VF sits on its PF's physical link.
      const PcieLink* pf_link = nullptr;
      if (!spec.pf.empty())
        for (const auto& l : links_)
          if (std::string(l->basename()) == spec.pf + "_link") pf_link = l.get();
      links_.push_back(
          std::make_unique<PcieLink>(lname.c_str(), *spec.link, dev->stats(), rp, pf_link));
      dev->port.bind(links_.back()->device_side);
      links_.back()->root_side.bind(io->upstream);
    } else {
      dev->port.bind(io->upstream);
    }
    dev->set_iommu(io);
    io->attach_endpoint(dev->rid(), dev.get());
    if (auto* sp = dynamic_cast<ScenarioPort*>(dev.get())) {
      // A scenario port issues DMA with any requester ID: it answers for all unattached ones.
      io->set_default_endpoint(sp);
      ports_.emplace_back(spec.iommu, sp);
    }
    devices_.push_back(std::move(dev));
  }
  if (opts.scenario_ports) {
    for (const auto& slot : slots_) {
      if (scenario_port(slot.name)) continue;
      // `<iommu>_port`, lengthened until no configured component has the name.
      std::string name = slot.name + "_port";
      while (config_.find_component(name)) name += "_";
      auto sp = std::make_unique<ScenarioPort>(name.c_str(), 0, stats_);
      sp->port.bind(slot.model->upstream);
      sp->set_iommu(slot.model);
      slot.model->set_default_endpoint(sp.get());
      ports_.emplace_back(slot.name, sp.get());
      devices_.push_back(std::move(sp));
    }
  }
}

Platform::~Platform() {
  // Before the modules go: the threads' frames refer to them.
  unwind_suspended_threads();
}

void Platform::run() {
  sc_core::sc_start(from_ticks(config_.sim.duration.ps));
}

IommuBase* Platform::iommu(const std::string& name) const {
  for (const auto& s : slots_)
    if (s.name == name) return s.model;
  return nullptr;
}

uint64_t Platform::mmio_base(const std::string& name) const {
  for (const auto& s : slots_)
    if (s.name == name) return s.mmio_base;
  throw std::out_of_range("no IOMMU named " + name);
}

ScenarioPort* Platform::scenario_port(const std::string& iommu_name) const {
  for (const auto& [name, port] : ports_)
    if (name == iommu_name) return port;
  return nullptr;
}

std::vector<std::string> Platform::device_errors() const {
  std::vector<std::string> v;
  for (const auto& d : devices_)
    if (std::string e = d->run_error(); !e.empty()) v.push_back(std::move(e));
  return v;
}

nlohmann::json Platform::stats_json() const {
  stats::RunInfo info;
  info.version = ISIM_VERSION;
  info.seed = config_.sim.seed;
  info.config = config_.to_json();
  info.sim_time_ps = to_ticks(sc_core::sc_time_stamp());
  return stats::to_json(stats_, info);
}

}  // namespace isim
