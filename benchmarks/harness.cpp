#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

namespace bench {

const char* workload_name(Workload workload) {
    switch (workload) {
    case Workload::throughput: return "throughput";
    case Workload::pingpong: return "pingpong";
    case Workload::handles1: return "handles1";
    case Workload::handles64: return "handles64";
    case Workload::connect: return "connect";
    case Workload::seqpacket: return "seqpacket";
    case Workload::fanin: return "fanin";
    }
    return "?";
}

void fail(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", contender_name, what.c_str());
    std::exit(2);
}

namespace {

Workload parse_workload(std::string_view text) {
    for (Workload w : {Workload::throughput, Workload::pingpong, Workload::handles1, Workload::handles64,
                       Workload::connect, Workload::seqpacket, Workload::fanin})
        if (text == workload_name(w))
            return w;
    fail("unknown workload " + std::string(text));
}

std::uint64_t default_count(Workload workload) {
    switch (workload) {
    case Workload::throughput: return 1ull << 30;
    case Workload::pingpong: return 20000;
    case Workload::handles1: return 20000;
    case Workload::handles64: return 2000;
    case Workload::connect: return 5000;
    case Workload::seqpacket: return 20000;
    case Workload::fanin: return 50000;
    }
    return 0;
}

void print_result(const Options& o, const Result& r) {
    std::printf("{\"contender\":\"%s\",\"workload\":\"%s\",\"size\":%zu,\"clients\":%zu,\"count\":%llu,"
                "\"seconds\":%.6f,\"per_second\":%.3f",
                contender_name, workload_name(o.workload), o.workload == Workload::throughput ? o.size : 0, o.clients,
                static_cast<unsigned long long>(r.operations), r.seconds,
                static_cast<double>(r.operations) / r.seconds);
    if (!r.latencies.empty()) {
        std::vector<double> sorted = r.latencies;
        std::sort(sorted.begin(), sorted.end());
        const auto at = [&](double q) { return sorted[static_cast<std::size_t>(q * (sorted.size() - 1))] * 1e6; };
        std::printf(",\"median_us\":%.3f,\"p99_us\":%.3f", at(0.5), at(0.99));
    }
    std::printf("}\n");
    std::fflush(stdout);
}

} // namespace
} // namespace bench

int main(int argc, char** argv) try {
    using namespace bench;
    if (argc < 4)
        fail("usage: server|client <throughput|pingpong|handles1|handles64|connect|seqpacket|fanin> <name> "
             "[--size N] [--count N] [--clients N]");
    Options o;
    o.server = std::string_view(argv[1]) == "server";
    o.workload = parse_workload(argv[2]);
    o.name = argv[3];
    o.count = default_count(o.workload);
    for (int i = 4; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const unsigned long long value = std::strtoull(argv[i + 1], nullptr, 10);
        if (flag == "--size")
            o.size = value;
        else if (flag == "--count")
            o.count = value;
        else if (flag == "--clients" && value > 0)
            o.clients = value;
        else
            fail("unknown option " + std::string(flag));
    }
    if (!supports(o.workload)) {
        if (!o.server)
            std::printf("{\"contender\":\"%s\",\"workload\":\"%s\",\"unsupported\":true}\n", contender_name,
                        workload_name(o.workload));
        return 0;
    }
    if (o.server)
        run_server(o);
    else
        print_result(o, run_client(o));
    return 0;
} catch (const std::exception& e) {
    bench::fail(e.what());
}
