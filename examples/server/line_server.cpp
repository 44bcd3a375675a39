// line_server.cpp - a TCP server on 127.0.0.1 in which every connection is
// served by its own CopyGenerator, written as straight-line code: read a
// line, answer it, repeat. Where a thread per connection would block, the
// generator yields, and the epoll loop (io.hpp) resumes it when its socket
// is ready; while it waits, the connection costs its control block and the
// stack bytes its frames use, a few hundred bytes.
//
//     line-server [--port N] [--max-connections N]
//
// The protocol: one request per line, one response line each.
//     ADD a b      a + b
//     ECHO text    text
//     STATS        connections=N resident_per_connection=B cg_heap_per_connection=B mean_slice=B max_slice=B
//     SHUTDOWN     OK, and the server exits
//     QUIT         closes the connection
// Anything else gets "ERR unknown command".
//
// Each connection's generator is labeled with its peer, so a snapshot shows
// who is waiting where: run with CG_SNAPSHOT_SIGNAL=SIGUSR2 and
// CG_SNAPSHOT_PATH=FILE, send SIGUSR2, and read FILE with cg-dump (the loop
// passes a safe point every round, io.cpp).
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include <cg.h>

#include "io.hpp"

namespace {

using namespace demo;

// cg's heap, counted as malloc really holds it: each block's usable size
// plus malloc's 8-byte header.
std::atomic<std::size_t> cg_heap_bytes{0};

void* counting_allocate(std::size_t size, void*)
{
    void* memory = std::malloc(size);
    if (memory != nullptr)
        cg_heap_bytes += malloc_usable_size(memory) + 8;
    return memory;
}

void counting_deallocate(void* memory, std::size_t, void*)
{
    cg_heap_bytes -= malloc_usable_size(memory) + 8;
    std::free(memory);
}

struct Server {
    Loop loop;
    int listener;
    std::size_t resident_at_start = 0;
};

std::string stats(const Server& server)
{
    std::size_t connections = 0, slices = 0, largest = 0;
    server.loop.for_each_suspended([&](int fd, const Task& task) {
        if (fd == server.listener)
            return;
        ++connections;
        slices += task.slice_size();
        largest = std::max(largest, task.slice_size());
    });
    ++connections; // the one asking, which is running
    std::size_t resident = resident_bytes() - server.resident_at_start;
    return "connections=" + std::to_string(connections) +
           " resident_per_connection=" + std::to_string(resident / connections) +
           " cg_heap_per_connection=" + std::to_string(cg_heap_bytes / connections) +
           " mean_slice=" + std::to_string(connections > 1 ? slices / (connections - 1) : 0) +
           " max_slice=" + std::to_string(largest);
}

bool parse(std::string_view text, long& value)
{
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

/// "ADD a b": the sum, or an error.
std::string add(std::string_view arguments)
{
    std::size_t space = arguments.find(' ');
    long a = 0, b = 0;
    if (space == std::string_view::npos || !parse(arguments.substr(0, space), a) ||
        !parse(arguments.substr(space + 1), b))
        return "ERR ADD takes two integers\n";
    return std::to_string(a + b) + '\n';
}

/// The answer to one request line, or nothing to close the connection.
/// Not inlined: its temporaries stay out of the connection's frame, which a
/// suspended connection keeps in its slice.
[[gnu::noinline]] std::string answer(std::string_view line, Server& server)
{
    std::string_view command = line.substr(0, line.find(' '));
    std::string_view arguments = line.substr(std::min(line.size(), command.size() + 1));
    if (line.empty() || command == "QUIT")
        return {};
    if (command == "ADD")
        return add(arguments);
    if (command == "ECHO")
        return std::string(arguments) + '\n';
    if (command == "STATS")
        return stats(server) + '\n';
    if (command == "SHUTDOWN") {
        server.loop.stop();
        return "OK\n";
    }
    return "ERR unknown command\n";
}

/// One connection, from its first request to QUIT or the peer's leaving:
/// straight-line code that reads a line, answers it, and again.
Task connection(int fd, Server& server)
{
    return Task([fd, &server](Yield& y) {
        LineReader reader;
        for (;;) {
            std::string response = answer(reader.next(y, fd), server);
            if (response.empty() || !write_all(y, fd, response))
                return;
        }
    });
}

/// "127.0.0.1:41234 fd 17": whom a connection serves, for snapshots.
std::string label_of(int fd, const sockaddr_in& peer)
{
    char address[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address);
    return std::string(address) + ':' + std::to_string(ntohs(peer.sin_port)) + " fd " + std::to_string(fd);
}

/// Accepts connections for as long as the server runs.
Task acceptor(Server& server)
{
    return Task([&server](Yield& y) {
        for (;;) {
            sockaddr_in peer{};
            socklen_t length = sizeof peer;
            int fd = ::accept4(server.listener, reinterpret_cast<sockaddr*>(&peer), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                Task task = connection(fd, server);
                task.set_label(label_of(fd, peer));
                server.loop.add(fd, std::move(task), Wait::readable);
            } else if (errno == EAGAIN)
                y.yield(Wait::readable);
            else if (errno == EMFILE || errno == ENFILE) {
                std::fprintf(stderr, "line-server: out of descriptors; refusing connections for now\n");
                y.yield(Wait::readable);
            } else if (errno != EINTR && errno != ECONNABORTED)
                throw std::runtime_error(std::string("accept4: ") + std::strerror(errno));
        }
    });
}

int listen_on_loopback(int port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, SOMAXCONN) != 0)
        throw std::runtime_error(std::string("listening on 127.0.0.1: ") + std::strerror(errno));
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    std::printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
    std::fflush(stdout);
    return fd;
}

} // namespace

int main(int argc, char** argv)
{
    int port = 7000;
    std::size_t max_connections = 10'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--port")
            port = std::atoi(argv[i + 1]);
        else if (option == "--max-connections")
            max_connections = std::strtoul(argv[i + 1], nullptr, 10);
        else {
            std::fprintf(stderr, "usage: line-server [--port N] [--max-connections N]\n");
            return 2;
        }
    }
    cg_set_allocator(counting_allocate, counting_deallocate, nullptr); // before any generator
    try {
        std::size_t limit = raise_open_files_limit(max_connections + 64);
        Server server{Loop(limit), listen_on_loopback(port)};
        server.resident_at_start = resident_bytes();
        Task accepting = acceptor(server);
        accepting.set_label("acceptor");
        server.loop.add(server.listener, std::move(accepting), Wait::readable);
        server.loop.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "line-server: %s\n", e.what());
        return 1;
    }
    return 0;
}
