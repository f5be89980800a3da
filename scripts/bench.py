#!/usr/bin/env python3
"""Runs the benchmark suite of a built tree: every figure several times, min/median/max, each
also as a ratio to the reference loop (the cheapest SystemC LT initiator -> target with a
quantum keeper on this machine). Prints a table and writes a JSON file. Figures only: nothing
here passes or fails on speed.

scripts/bench.sh builds the release preset and calls this; --smoke runs every benchmark once
with tiny counts (ctest's check that the suite still works).
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["none", "vtd", "amdvi", "smmuv3", "tce"]
CASES = ["hit", "miss", "nested", "ats"]
UNAVAILABLE = 3  # isim_bench_iommu: the model does not offer the case
PAGE = 4096


class Suite:
    def __init__(self, args):
        self.args = args
        self.bin = args.bin_dir
        self.figures = {}  # name -> {"unit", "values", "target", "ceiling_ratio", ...}
        self.notes = {}    # name -> why it was not measured
        self.startup_cpu = []
        self.tmp = tempfile.mkdtemp(prefix="isim-bench-")

    # --- running ------------------------------------------------------------------------------
    def run(self, cmd, ok=(0,)):
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode not in ok:
            raise RuntimeError("{} exited with {}:\n{}{}".format(" ".join(cmd), p.returncode,
                                                                 p.stdout[-2000:], p.stderr[-2000:]))
        return p

    def run_json(self, cmd, ok=(0,)):
        p = self.run(cmd, ok)
        return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])

    def timed(self, cmd):
        """Elapsed seconds and CPU seconds (user + system) of the command and its children."""
        def cpu():
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime
        c0, t0 = cpu(), time.perf_counter()
        self.run(cmd)
        return time.perf_counter() - t0, cpu() - c0

    def add(self, name, value, unit, target=None, higher_is_better=True, ratio=True, wall=None):
        """One measurement. Rates are per second of this process's CPU time (one core), which
        another process on a shared machine does not dilute; `wall` is the same per second of
        elapsed time, kept beside it."""
        f = self.figures.setdefault(name, {"unit": unit, "values": [], "target": target,
                                           "higher_is_better": higher_is_better,
                                           "ratio": ratio, "wall": []})
        f["values"].append(value)
        if wall is not None:
            f["wall"].append(wall)

    def cli(self):
        return os.path.join(self.bin, "src", "cli", "iommu-sim")

    def bench(self, name):
        return os.path.join(self.bin, "bench", name)

    # --- figures ------------------------------------------------------------------------------
    def reference(self):
        _, j = self.run_json([self.bench("isim_bench_ref"), str(self.n(20_000_000, 10_000))])
        self.add("reference_loop", j["per_cpu_second"], "req/s", wall=j["per_second"])

    def dma(self, model, case):
        name = "dma_{}_{}".format(model, case)
        targets = {"hit": 20e6, "miss": 5e6, "nested": 2e6}
        count = {"hit": 2_000_000, "miss": 1_000_000, "nested": 500_000, "ats": 2_000_000}[case]
        rc, j = self.run_json([self.bench("isim_bench_iommu"), model, case,
                               str(self.n(count, 1000))], ok=(0, UNAVAILABLE))
        if rc == UNAVAILABLE:
            self.notes[name] = j.get("unavailable", "not available")
            return
        self.add(name, j["per_cpu_second"], "DMA/s", targets.get(case), wall=j["per_second"])

    def memory(self):
        # 1 GiB mapped with 4 KiB pages through the VT-d driver, then random reads over it.
        pages = (1 << 30) // PAGE
        _, j = self.run_json([self.bench("isim_bench_iommu"), "vtd", "map",
                              str(self.n(200_000, 1000))])
        # The simulated tables themselves: one 8-byte entry per page at the leaf level (the
        # upper levels are 3 pages and some bytes).
        table_bytes = pages * 8
        grown = (j["rss_after_map_kib"] - j["rss_before_map_kib"]) * 1024
        self.add("map_host_bytes_per_page", max(0.0, (grown - table_bytes) / pages), "B/page",
                 target=64, higher_is_better=False, ratio=False)
        self.add("peak_rss_per_gib_mapped", (j["peak_rss_kib"] - j["rss_start_kib"]) / 1024.0,
                 "MiB", higher_is_better=False, ratio=False)

    def startup(self):
        out = os.path.join(self.tmp, "startup")
        wall, cpu = self.timed([self.cli(), "run", os.path.join(ROOT, "configs", "default.yaml"),
                                "--set", "sim.duration=1ns", "--out", out])
        self.add("startup_seconds", wall, "s", higher_is_better=False, ratio=False)
        self.startup_cpu.append(cpu)

    def replay(self):
        n = self.n(1_000_000, 2000)
        trace = os.path.join(self.tmp, "trace.itb")
        src = os.path.join(ROOT, "bench", "configs", "trace_source.yaml")
        if not os.path.exists(trace):
            self.run([self.cli(), "run", src, "--set", "devices.dma0.workload.count={}".format(n),
                      "--out", os.path.join(self.tmp, "rec"), "--record-trace", trace])
        plat = os.path.join(ROOT, "configs", "platforms", "none.yaml")
        out = os.path.join(self.tmp, "replay")
        wall, cpu = self.timed([self.cli(), "replay", trace, "--config", plat, "--timing",
                                "fast", "--set", "sim.duration=3600s", "--out", out])
        # The start-up of the process is not replay work.
        wall0 = min(self.figures["startup_seconds"]["values"])
        cpu0 = min(self.startup_cpu)
        self.add("replay_records_per_second", n / max(cpu - cpu0, 1e-9), "rec/s", target=10e6,
                 wall=n / max(wall - wall0, 1e-9))

    def sweep(self):
        n = self.n(1_000_000, 1000)
        sweep = os.path.join(self.tmp, "sweep.yaml")
        with open(sweep, "w") as f:
            f.write("base: {}\nset: [devices.dma0.workload.count={}]\n"
                    "axes:\n  - {{key: sim.seed, name: seed, values: [1, 2, 3, 4]}}\n"
                    "stats: [system.dma0.reads]\n".format(
                        os.path.join(ROOT, "bench", "configs", "trace_source.yaml"), n))
        times = {}
        for j in (1, 2):
            out = os.path.join(self.tmp, "sweep-j{}".format(j))
            shutil.rmtree(out, ignore_errors=True)  # a sweep resumes: start afresh
            times[j] = self.timed([self.cli(), "sweep", sweep, "-j", str(j), "--out", out])[0]
        self.add("sweep_speedup_j2_over_j1", times[1] / times[2], "x", target=1.8, ratio=False)

    def walks(self):
        out = os.path.join(self.tmp, "walk.json")
        self.run([self.bench("isim_bench_walk"),
                  "--benchmark_min_time={}".format(0.001 if self.args.smoke else 0.3),
                  "--benchmark_out=" + out, "--benchmark_out_format=json"])
        with open(out) as f:
            for b in json.load(f)["benchmarks"]:
                if "items_per_second" in b:
                    self.add("walk_" + b["name"].replace("/", "_"), b["items_per_second"],
                             "walk/s")

    def n(self, full, smoke):
        return smoke if self.args.smoke else full

    def all(self):
        for _ in range(self.args.repeats):
            self.reference()
            for m in MODELS:
                for c in CASES:
                    if m == "none" and c != "hit":
                        continue  # `none` translates nothing: one figure
                    self.dma(m, c)
            self.memory()
            self.startup()
            self.replay()
            self.sweep()
            self.walks()

    # --- report -------------------------------------------------------------------------------
    def summary(self):
        ref = statistics.median(self.figures["reference_loop"]["values"])
        out = {}
        for name, f in self.figures.items():
            v = sorted(f["values"])
            e = {"unit": f["unit"], "min": v[0], "median": statistics.median(v), "max": v[-1],
                 "repeats": len(v)}
            if f["wall"]:
                e["wall_median"] = statistics.median(f["wall"])
            if f["ratio"] and ref > 0:
                e["ratio_to_reference"] = e["median"] / ref
            if f["target"] is not None:
                e["target"] = f["target"]
                better = e["median"] >= f["target"] if f["higher_is_better"] \
                    else e["median"] <= f["target"]
                e["target_met"] = better
            out[name] = e
        return out

    def write(self):
        figs = self.summary()
        cxx = "unknown"
        cache = os.path.join(self.bin, "CMakeCache.txt")
        if os.path.exists(cache):
            for line in open(cache):
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    cxx = line.split("=", 1)[1].strip()
        try:
            compiler = subprocess.run([cxx, "--version"], stdout=subprocess.PIPE, text=True,
                                      check=True).stdout.splitlines()[0]
        except (OSError, subprocess.CalledProcessError):
            compiler = cxx

        def git(*a):
            p = subprocess.run(["git", "-C", ROOT] + list(a), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            return p.stdout.strip() if p.returncode == 0 else ""

        cpu = ""
        if os.path.exists("/proc/cpuinfo"):
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        doc = {
            "machine": {"arch": platform.machine(), "cpu": cpu, "cpus": os.cpu_count(),
                        "load_average": list(os.getloadavg())},
            "compiler": compiler,
            "commit": git("rev-parse", "--short", "HEAD") or "unknown",
            "dirty": bool(git("status", "--porcelain")),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "repeats": self.args.repeats,
            "figures": figs,
            "not_measured": self.notes,
        }
        with open(self.args.out, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        self.table(figs, doc)

    def table(self, figs, doc):
        def num(x):
            return "{:.3g}".format(x) if abs(x) < 1000 else "{:,.0f}".format(x)

        print("\n{:<38} {:>8} {:>13} {:>13} {:>13} {:>8} {:>10}".format(
            "figure", "unit", "min", "median", "max", "ratio", "target"))
        print("-" * 109)
        for name, e in figs.items():
            tgt = ""
            if "target" in e:
                tgt = ("{} {}".format("ok" if e["target_met"] else "MISS", num(e["target"])))
            ratio = "{:.3f}".format(e["ratio_to_reference"]) if "ratio_to_reference" in e else ""
            print("{:<38} {:>8} {:>13} {:>13} {:>13} {:>8} {:>10}".format(
                name, e["unit"], num(e["min"]), num(e["median"]), num(e["max"]), ratio, tgt))
        for name, why in self.notes.items():
            print("{:<38} not measured: {}".format(name, why))
        print("\n{} ({} cpus), {}, commit {}{}; ratio = median / reference loop median".format(
            doc["machine"]["cpu"] or doc["machine"]["arch"], doc["machine"]["cpus"],
            doc["compiler"], doc["commit"], " (dirty)" if doc["dirty"] else ""))
        print("wrote " + self.args.out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "build", "release"),
                    help="build tree with the benchmarks and iommu-sim")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    ap.add_argument("--repeats", type=int, default=3, help="runs of every figure")
    ap.add_argument("--smoke", action="store_true", help="one repeat of tiny runs")
    args = ap.parse_args()
    if args.smoke:
        args.repeats = 1
    s = Suite(args)
    try:
        s.all()
        s.write()
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print("bench: " + str(e), file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(s.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
