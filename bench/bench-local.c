/* SPDX-License-Identifier: MIT */
/*
 * The floors of the action backends, measured without the agent: a bare sd-bus method call on
 * the same bus and to the same method as the dbus: command, and a bare process start (as
 * posix_spawn() does it, and as fork() + execve() does it) of the exec: command's program.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bench.h"

#define DBUS_DESTINATION "org.adhocd.Test"
#define DBUS_PATH        "/org/adhocd/Test1"
#define DBUS_INTERFACE   "org.adhocd.Test1"

extern char **environ;

static int bus_open(const char *address, sd_bus **ret)
{
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int bus_call_once(sd_bus *bus, const char *arg, uint64_t *ret_ns)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t t0 = bench_now_ns();
        const char *echoed;
        int r;

        r = sd_bus_call_method(bus, DBUS_DESTINATION, DBUS_PATH, DBUS_INTERFACE, "EchoS", &error,
                               &reply, "s", arg);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &echoed);
        *ret_ns = bench_now_ns() - t0;
        if (r < 0)
                bench_warn("EchoS: %s", error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r;
}

int scenario_dbus_bare(struct bench_opts *o)
{
        struct bench_samples s = {0};
        struct bench_cpu_window w;
        sd_bus *bus = NULL;
        uint64_t errors = 0, ns;
        char arg[256];
        int r;

        /* The same argument as the dbus: command sends: the requester's bare JID. */
        snprintf(arg, sizeof(arg), "%s1@%s", o->user, o->domain);
        if (!o->bus_address)
                return bench_warn("dbus-bare needs --bus ADDRESS"), -EINVAL;
        r = bus_open(o->bus_address, &bus);
        if (r < 0)
                return bench_warn("cannot connect to %s: %s", o->bus_address, strerror(-r)), r;
        for (uint64_t i = 0; i < o->warmup; i++)
                (void)bus_call_once(bus, arg, &ns);
        bench_cpu_window_start(o, &w);
        for (uint64_t i = 0; i < o->count; i++) {
                if (bus_call_once(bus, arg, &ns) < 0)
                        errors++;
                else
                        (void)bench_samples_add(&s, ns);
        }
        bench_cpu_window_end(o, &w);
        sd_bus_flush_close_unref(bus);
        bench_emit(o, "errors", "%llu", (unsigned long long)errors);
        bench_cpu_window_emit(o, &w, s.n);
        bench_samples_emit(o, "rtt", &s);
        bench_samples_done(&s);
        return errors > 0 ? 1 : 0;
}

static int spawn_once(const char *program, bool use_fork, uint64_t *ret_ns)
{
        char *argv[] = {(char *)program, NULL};
        uint64_t t0 = bench_now_ns();
        int status, r;
        pid_t pid;

        if (use_fork) {
                pid = fork();
                if (pid == 0) {
                        execve(program, argv, environ);
                        _exit(127);
                }
                r = pid < 0 ? errno : 0;
        } else {
                r = posix_spawn(&pid, program, NULL, NULL, argv, environ);
        }
        if (r != 0)
                return -r;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        *ret_ns = bench_now_ns() - t0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

int scenario_spawn_bare(struct bench_opts *o, bool use_fork)
{
        const char *program = o->program ? o->program : "/bin/true";
        struct bench_samples s = {0};
        uint64_t errors = 0, ns;
        sigset_t mask;

        /* waitpid() needs SIGCHLD to be neither ignored nor caught elsewhere: the default. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        for (uint64_t i = 0; i < o->warmup; i++)
                (void)spawn_once(program, use_fork, &ns);
        for (uint64_t i = 0; i < o->count; i++) {
                if (spawn_once(program, use_fork, &ns) < 0)
                        errors++;
                else
                        (void)bench_samples_add(&s, ns);
        }
        bench_emit(o, "errors", "%llu", (unsigned long long)errors);
        bench_samples_emit(o, "rtt", &s);
        bench_samples_done(&s);
        return errors > 0 ? 1 : 0;
}
