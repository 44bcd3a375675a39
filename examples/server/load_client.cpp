// load_client.cpp - loads line-server with many concurrent connections,
// each a CopyGenerator of its own that sends "ADD id i" requests one after
// another and checks every answer; then prints what the server reports.
//
//     load-client [--server PATH | --port N] [--connections N] [--seconds S]
//
// With --server it starts the server itself (on a free port) and shuts it
// down at the end; the default run (10,000 connections, 3 seconds of load)
// is bounded and stops by itself. Exits non-zero if any answer is wrong or
// any connection failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "io.hpp"

namespace {

using namespace demo;
using Clock = std::chrono::steady_clock;

struct Load {
    std::size_t connections = 10'000;
    double seconds = 3;
    int port = 0;

    std::size_t opened = 0, established = 0, failed = 0;
    long responses = 0, wrong = 0;
    bool stopping = false;
};

sockaddr_in loopback(int port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

/// One connection: requests "ADD id i" for i = 0, 1, ... until the load
/// stops, checking each answer; after the first, it waits until every
/// connection is up.
Task client(int fd, long id, Load& load)
{
    return Task([fd, id, &load](Yield& y) {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length); // the connect's outcome
        if (error != 0) {
            ++load.failed;
            return;
        }
        LineReader reader;
        for (long i = 0; !load.stopping; ++i) {
            char request[48];
            int size = std::snprintf(request, sizeof request, "ADD %ld %ld\n", id, i);
            std::string_view answer;
            if (write_all(y, fd, {request, static_cast<std::size_t>(size)}))
                answer = reader.next(y, fd);
            long sum = -1;
            std::from_chars(answer.data(), answer.data() + answer.size(), sum);
            if (answer.empty()) {
                ++load.failed;
                return;
            }
            load.wrong += sum != id + i;
            ++load.responses;
            if (i == 0) {
                ++load.established; // then waits for the others
                y.yield(Wait::parked);
            }
        }
        write_all(y, fd, "QUIT\n");
    });
}

void open_connection(Loop& loop, Load& load)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in address = loopback(load.port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS)
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    loop.add(fd, client(fd, static_cast<long>(load.opened), load), Wait::writable);
    ++load.opened;
}

/// Sends one request on a connection of its own, blocking, and returns the
/// answer line.
std::string ask(int port, const char* request)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(port);
    std::string answer;
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::write(fd, request, std::strlen(request)) == static_cast<ssize_t>(std::strlen(request))) {
        char c;
        while (::read(fd, &c, 1) == 1 && c != '\n')
            answer += c;
    }
    if (fd >= 0)
        ::close(fd);
    return answer;
}

/// A field "name=value" of the server's STATS answer.
std::string field(const std::string& stats, const std::string& name)
{
    std::size_t at = stats.find(name + "=");
    if (at == std::string::npos)
        return "?";
    at += name.size() + 1;
    return stats.substr(at, stats.find(' ', at) - at);
}

/// Starts the server on a free port; returns its pid and sets load.port.
pid_t start_server(const char* path, Load& load)
{
    int out[2];
    if (::pipe(out) != 0)
        throw std::runtime_error("pipe");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        std::string connections = std::to_string(load.connections + 16);
        ::execl(path, path, "--port", "0", "--max-connections", connections.c_str(), static_cast<char*>(nullptr));
        std::perror(path);
        std::_Exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n')
        line += c;
    ::close(out[0]);
    std::size_t colon = line.rfind(':');
    if (line.rfind("listening on", 0) != 0 || colon == std::string::npos)
        throw std::runtime_error("the server did not start: \"" + line + "\"");
    load.port = std::atoi(line.c_str() + colon + 1);
    return pid;
}

} // namespace

int main(int argc, char** argv)
{
    Load load;
    const char* server_path = nullptr;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--server")
            server_path = argv[i + 1];
        else if (option == "--port")
            load.port = std::atoi(argv[i + 1]);
        else if (option == "--connections")
            load.connections = std::strtoul(argv[i + 1], nullptr, 10);
        else if (option == "--seconds")
            load.seconds = std::atof(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: load-client [--server PATH | --port N] [--connections N] [--seconds S]\n");
            return 2;
        }
    }
    pid_t server = 0;
    try {
        std::size_t limit = raise_open_files_limit(load.connections + 64);
        if (limit < load.connections + 64) {
            std::fprintf(stderr, "load-client: the open-files limit allows %zu connections, not %zu\n", limit - 64,
                         load.connections);
            load.connections = limit - 64;
        }
        if (server_path != nullptr)
            server = start_server(server_path, load);
        if (load.port == 0)
            throw std::runtime_error("give --server PATH or --port N");

        Loop loop(limit);
        std::string stats;
        Clock::time_point load_start{}, load_end{};
        long responses_at_start = 0;
        auto between = [&] {
            // At most 256 connections being set up at a time: the server's
            // accept queue is not flooded.
            while (load.opened < load.connections && load.opened - load.established - load.failed < 256)
                open_connection(loop, load);
            Clock::time_point now = Clock::now();
            if (load_start == Clock::time_point{} && load.established + load.failed == load.connections) {
                load_start = now; // every connection is up: the load is measured from here
                responses_at_start = load.responses;
                loop.wake_parked();
            }
            if (load_start == Clock::time_point{} || load.stopping)
                return;
            auto elapsed = std::chrono::duration<double>(now - load_start).count();
            if (stats.empty() && elapsed >= load.seconds / 2)
                stats = ask(load.port, "STATS\n"); // mid-load: every connection's handler is suspended
            if (elapsed >= load.seconds) {
                load_end = now;
                load.stopping = true;
            }
        };
        between();
        loop.run(between);
        long measured = 0;
        double seconds = std::chrono::duration<double>(load_end - load_start).count();
        if (load_end != Clock::time_point{})
            measured = load.responses - responses_at_start;
        if (server != 0) {
            ask(load.port, "SHUTDOWN\n");
            ::waitpid(server, nullptr, 0);
        }

        std::printf("load-client: %zu concurrent connections to 127.0.0.1:%d, each a CopyGenerator on both sides\n",
                    load.connections, load.port);
        std::printf("  requests:  %ld in %.2f s of load: %.0f per second; %ld in all, every answer checked: %ld wrong\n",
                    measured, seconds, seconds > 0 ? static_cast<double>(measured) / seconds : 0.0, load.responses,
                    load.wrong);
        std::printf("  server, per connection (%s connections): %s bytes resident, %s bytes of cg heap "
                    "(control block and slice buffer)\n",
                    field(stats, "connections").c_str(), field(stats, "resident_per_connection").c_str(),
                    field(stats, "cg_heap_per_connection").c_str());
        std::printf("  server slices: mean %s bytes, largest %s bytes\n", field(stats, "mean_slice").c_str(),
                    field(stats, "max_slice").c_str());
        if (load.failed != 0)
            std::printf("  %zu connections failed\n", load.failed);
        return load.wrong == 0 && load.failed == 0 && measured > 0 && !stats.empty() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "load-client: %s\n", e.what());
        if (server != 0) {
            ::kill(server, SIGTERM);
            ::waitpid(server, nullptr, 0);
        }
        return 1;
    }
}
