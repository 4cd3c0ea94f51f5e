/* SPDX-License-Identifier: MIT */
#include "private-bus.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#ifndef DBUS_DAEMON
#define DBUS_DAEMON "dbus-daemon"
#endif
#ifndef TEST_SERVICE
#error "TEST_SERVICE must name the test service binary"
#endif

#define HANG_LIMIT (60 * USEC_PER_SEC) /* only to end a broken test */

__attribute__((noreturn)) static void fail(const char *what)
{
        fprintf(stderr, "%s (TEST_DBUS_VERBOSE=1 shows why)\n", what);
        abort();
}

/* Starts argv with stdout on a pipe; returns the pid and the pipe's read end. */
static pid_t spawn(char *const argv[], int *ret_fd)
{
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                (void)prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
                dup2(p[1], STDOUT_FILENO);
                if (null >= 0 && !getenv("TEST_DBUS_VERBOSE"))
                        dup2(null, STDERR_FILENO);
                execv(argv[0], argv);
                _exit(127);
        }
        close(p[1]);
        *ret_fd = p[0];
        return pid;
}

/* Reads the child's first line (the test may block: the loop under test is not running). */
static pid_t spawn_read_line(char *const argv[], char *buf, size_t size)
{
        size_t n = 0;
        pid_t pid;
        int fd;

        pid = spawn(argv, &fd);
        while (n + 1 < size) {
                ssize_t k = read(fd, buf + n, 1);

                if (k <= 0 || buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = '\0';
        close(fd);
        return pid;
}

void private_bus_init(struct private_bus *b, const char *name, const char *rules)
{
        *b = (struct private_bus){.rules = rules};
        snprintf(b->dir, sizeof(b->dir), "/tmp/adhocd-%s-XXXXXX", name);
        if (!mkdtemp(b->dir)) {
                perror("mkdtemp");
                abort();
        }
}

static void write_config(const struct private_bus *b, const char *conf, const char *sock)
{
        FILE *f = fopen(conf, "we");

        if (!f)
                abort();
        fprintf(f,
                "<busconfig>\n"
                "  <type>session</type>\n"
                "  <listen>unix:path=%s</listen>\n"
                "  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                "    <allow eavesdrop=\"true\"/>\n"
                "    <allow own=\"*\"/>\n"
                "%s"
                "  </policy>\n"
                "</busconfig>\n",
                sock, b->rules ? b->rules : "");
        fclose(f);
}

void private_bus_start(struct private_bus *b)
{
        char conf[sizeof(b->dir) + 16], sock[sizeof(b->dir) + 16], config_arg[sizeof(conf) + 16],
            line[512];
        char *argv[] = {(char *)DBUS_DAEMON,         config_arg,
                        (char *)"--nofork",          (char *)"--nopidfile",
                        (char *)"--print-address=1", NULL};

        snprintf(conf, sizeof(conf), "%s/bus.conf", b->dir);
        snprintf(sock, sizeof(sock), "%s/bus", b->dir);
        snprintf(config_arg, sizeof(config_arg), "--config-file=%s", conf);
        write_config(b, conf, sock);
        unlink(sock);
        b->pid = spawn_read_line(argv, line, sizeof(line));
        if (strncmp(line, "unix:path=", 10) != 0)
                fail("dbus-daemon did not start");
        snprintf(b->address, sizeof(b->address), "unix:path=%s", sock);
}

void private_bus_stop(struct private_bus *b)
{
        private_bus_kill(&b->pid);
}

void private_bus_done(struct private_bus *b)
{
        char path[sizeof(b->dir) + 16];

        private_bus_stop(b);
        snprintf(path, sizeof(path), "%s/bus.conf", b->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/bus", b->dir);
        unlink(path);
        rmdir(b->dir);
}

pid_t private_bus_spawn(char *const argv[])
{
        char line[64], what[256];
        pid_t pid = spawn_read_line(argv, line, sizeof(line));

        if (streq(line, "READY"))
                return pid;
        snprintf(what, sizeof(what), "%s did not start", basename(argv[0]));
        fail(what);
}

pid_t private_bus_spawn_test_service(const struct private_bus *b, unsigned generation)
{
        char gen[16];
        char *argv[] = {(char *)TEST_SERVICE,
                        (char *)"--address",
                        (char *)b->address,
                        (char *)"--generation",
                        gen,
                        NULL};

        snprintf(gen, sizeof(gen), "%u", generation);
        return private_bus_spawn(argv);
}

void private_bus_kill(pid_t *pid)
{
        if (*pid <= 0)
                return;
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
        *pid = 0;
}

bool private_bus_run_until(sd_event *e, bool (*pred)(const void *), const void *userdata)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + HANG_LIMIT;

        while (!pred(userdata)) {
                if (now_usec(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "test hung\n");
                        return false;
                }
                if (sd_event_run(e, 100 * USEC_PER_MSEC) < 0)
                        abort();
        }
        return true;
}

static bool flag_is_set(const void *flag)
{
        return *(const bool *)flag;
}

bool private_bus_run_until_set(sd_event *e, const bool *flag)
{
        return private_bus_run_until(e, flag_is_set, flag);
}
