/* SPDX-License-Identifier: MIT */
/*
 * Built-in probes against a fake /proc tree whose values change between runs, disk probes on
 * real directories, and failed_units over a real (private) dbus-daemon where systemd's
 * ListUnitsFiltered is answered by this test.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-call.h"
#include "presence/presence-internal.h"
#include "tests.h"

static char root[] = "/tmp/test-presence-probes-XXXXXX";

static void write_file(const char *rel, const char *content)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs(content, f);
        fclose(f);
}

static void remove_file(const char *rel)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        unlink(path);
}

static const char *text(const struct presence_values *v, const char *name)
{
        const struct presence_value *e = presence_values_get(v, name);

        if (!e)
                return "(absent)";
        return e->text ? e->text : "?";
}

static double num(const struct presence_values *v, const char *name)
{
        double d = -1;

        CHECK(presence_values_lookup(name, &d, (void *)v));
        return d;
}

static void test_load(void)
{
        struct presence_values v = {0};

        write_file("proc/loadavg", "0.52 0.58 0.59 1/467 12345\n");
        CHECK_INT(presence_probe_load(root, &v), 0);
        CHECK_STREQ(text(&v, "load1"), "0.52");
        CHECK_STREQ(text(&v, "load5"), "0.58");
        CHECK_STREQ(text(&v, "load15"), "0.59");
        CHECK(num(&v, "load1") == 0.52);

        /* The next run sees the new values. */
        write_file("proc/loadavg", "4.1 2 1.255 3/500 999\n");
        CHECK_INT(presence_probe_load(root, &v), 0);
        CHECK_STREQ(text(&v, "load1"), "4.10");
        CHECK_STREQ(text(&v, "load5"), "2.00");
        CHECK(num(&v, "load1") == 4.1);

        /* Garbage and a missing file: unknown values and an error, no crash. */
        write_file("proc/loadavg", "lots\n");
        CHECK_INT(presence_probe_load(root, &v), -EINVAL);
        CHECK_STREQ(text(&v, "load1"), "?");
        CHECK_STREQ(text(&v, "load15"), "?");
        write_file("proc/loadavg", "1.0 2.0\n");
        CHECK_INT(presence_probe_load(root, &v), -EINVAL);
        remove_file("proc/loadavg");
        CHECK_INT(presence_probe_load(root, &v), -ENOENT);
        CHECK_STREQ(text(&v, "load5"), "?");
        presence_values_done(&v);
}

static void test_memory(void)
{
        struct presence_values v = {0};

        write_file("proc/meminfo", "MemTotal:       16000000 kB\n"
                                   "MemFree:         1000000 kB\n"
                                   "MemAvailable:    4000000 kB\n"
                                   "Buffers:          100000 kB\n"
                                   "SwapTotal:       2000000 kB\n"
                                   "SwapFree:        1500000 kB\n");
        CHECK_INT(presence_probe_memory(root, &v), 0);
        CHECK_STREQ(text(&v, "mem_used_pct"), "75");
        CHECK_STREQ(text(&v, "mem_total_mb"), "15625");
        CHECK_STREQ(text(&v, "mem_available_mb"), "3906");
        CHECK_STREQ(text(&v, "swap_used_pct"), "25");

        /* Without MemAvailable (old kernels): free + buffers + cached; no swap is 0%. */
        write_file("proc/meminfo", "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\n"
                                   "Cached: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
        CHECK_INT(presence_probe_memory(root, &v), 0);
        CHECK_STREQ(text(&v, "mem_used_pct"), "80");
        CHECK_STREQ(text(&v, "swap_used_pct"), "0");

        write_file("proc/meminfo", "MemTotal: 0 kB\nMemAvailable: 0 kB\n");
        CHECK_INT(presence_probe_memory(root, &v), -EINVAL);
        CHECK_STREQ(text(&v, "mem_used_pct"), "?");
        write_file("proc/meminfo", "MemTotal: 1000 kB\n");
        CHECK_INT(presence_probe_memory(root, &v), -EINVAL);
        write_file("proc/meminfo", "MemTotal: lots\nMemAvailable: 5 kB\n");
        CHECK_INT(presence_probe_memory(root, &v), -EINVAL);
        CHECK_STREQ(text(&v, "mem_total_mb"), "?");
        presence_values_done(&v);
}

static void test_uptime(void)
{
        static const struct {
                const char *file, *text;
                double secs;
        } cases[] = {
            {"273600.55 1000.00\n", "3d 4h", 273600},
            {"3600.00 1.00\n", "1h 0m", 3600},
            {"3599.99 1.00\n", "59m", 3599},
            {"59.9 1.00\n", "59s", 59},
            {"0.01 0.00\n", "0s", 0},
        };
        struct presence_values v = {0};

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                write_file("proc/uptime", cases[i].file);
                CHECK_INT(presence_probe_uptime(root, &v), 0);
                CHECK_STREQ(text(&v, "uptime"), cases[i].text);
                /* Compared in seconds. */
                CHECK(num(&v, "uptime") == cases[i].secs);
        }
        write_file("proc/uptime", "-5 1\n");
        CHECK_INT(presence_probe_uptime(root, &v), -EINVAL);
        CHECK_STREQ(text(&v, "uptime"), "?");
        presence_values_done(&v);
}

static void test_root_forms(void)
{
        struct presence_values v = {0};
        char with_slash[512];

        write_file("proc/loadavg", "1.00 1.00 1.00 1/1 1\n");
        snprintf(with_slash, sizeof(with_slash), "%s/", root);
        CHECK_INT(presence_probe_load(with_slash, &v), 0);
        CHECK_STREQ(text(&v, "load1"), "1.00");
        /* The dispatcher, as the feature runs them. */
        write_file("proc/uptime", "120 1\n");
        CHECK_INT(
            presence_probe_run(&(struct presence_probe){.kind = PRESENCE_PROBE_UPTIME}, root, &v),
            0);
        CHECK_STREQ(text(&v, "uptime"), "2m");
        CHECK_INT(presence_probe_run(&(struct presence_probe){.kind = PRESENCE_PROBE_FAILED_UNITS},
                                     root, &v),
                  -EOPNOTSUPP);
        presence_values_done(&v);
}

/* ---- disks ---- */

static void on_measured(struct child_call *cc, const char *output, size_t len, int error,
                        void *userdata)
{
        char **out = userdata;

        CHECK_INT(error, 0);
        *out = strndup(output, len);
}

/* The disk probes of c measured in a child, as the feature does, and read back into v. */
static void measure(const struct presence_config *c, struct presence_values *v, int *results)
{
        _cleanup_(child_call_freep) struct child_call *cc = NULL;
        _cleanup_free_ char *out = NULL;
        sd_event *e = NULL;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;

        CHECK_INT(sd_event_new(&e), 0);
        CHECK_INT(child_call_start(e, presence_disks_measure, c, 30 * USEC_PER_SEC, on_measured,
                                   &out, &cc),
                  0);
        while (!out && now_usec(CLOCK_MONOTONIC) < deadline)
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        CHECK(out != NULL);
        cc = child_call_free(cc);
        CHECK_INT(presence_disks_read(c, out ?: "", out ? strlen(out) : 0, 0, v, results), 0);
        sd_event_unref(e);
}

static void test_disk(void)
{
        char missing[512], used_root[600], free_root[600], used_missing[600];
        struct presence_probe probes[] = {
            {.kind = PRESENCE_PROBE_DISK, .path = root},
            {.kind = PRESENCE_PROBE_LOAD},
            {.kind = PRESENCE_PROBE_DISK, .path = missing},
            {.kind = PRESENCE_PROBE_DISK, .path = (char *)"/proc"},
        };
        struct presence_config c = {.probes = probes, .n_probes = ELEMENTSOF(probes)};
        struct presence_values v = {0};
        int results[ELEMENTSOF(probes)] = {0};
        double used;

        snprintf(missing, sizeof(missing), "%s/not-there", root);
        snprintf(used_root, sizeof(used_root), "disk_used_pct:%s", root);
        snprintf(free_root, sizeof(free_root), "disk_free_gb:%s", root);
        snprintf(used_missing, sizeof(used_missing), "disk_used_pct:%s", missing);

        measure(&c, &v, results);
        CHECK_INT(results[0], 0);
        used = num(&v, used_root);
        CHECK(used >= 0 && used <= 100);
        CHECK(num(&v, free_root) >= 0);
        CHECK_INT(results[2], -ENOENT);
        CHECK_STREQ(text(&v, used_missing), "?");
        /* A pseudo file system has no size: unknown rather than 0%. */
        if (access("/proc/self", F_OK) == 0) {
                CHECK_INT(results[3], -ENODATA);
                CHECK_STREQ(text(&v, "disk_used_pct:/proc"), "?");
        }
        CHECK(!presence_values_get(&v, "load1")); /* not a disk probe: not the child's */
        presence_values_done(&v);

        /* As df(1): used 750 of 950 available to users, rounded up; free in GiB. */
        {
                static const char out[] = "0 0 1000 250 200 1073741824\n";

                CHECK_INT(presence_disks_read(&c, out, strlen(out), 0, &v, results), 0);
                CHECK_INT(results[0], 0);
                CHECK_STREQ(text(&v, used_root), "79");
                CHECK_STREQ(text(&v, free_root), "200.0");
                /* Not reported by a child that finished: it failed. */
                CHECK_INT(results[2], -EIO);
                CHECK_STREQ(text(&v, used_missing), "?");
                presence_values_done(&v);
        }
        /* A child killed at its timeout, hung on the second mount: the first one's values are
         * known, the rest carry the timeout; a cut last line is not trusted. */
        {
                static const char out[] = "0 0 1000 250 200 4096\n2 0 1000 2";

                CHECK_INT(presence_disks_read(&c, out, strlen(out), -ETIMEDOUT, &v, results), 0);
                CHECK_INT(results[0], 0);
                CHECK_INT(results[2], -ETIMEDOUT);
                CHECK_INT(results[3], -ETIMEDOUT);
                CHECK_STREQ(text(&v, used_missing), "?");
                presence_values_done(&v);
        }
        /* Lines that are not the child's: ignored (and their probes unknown). */
        {
                static const char out[] = "1 0 1 1 1 1\n"                     /* not a disk probe */
                                          "9 0 1 1 1 1\n"                     /* no such probe */
                                          "0 0 1 1 1\n"                       /* a field short */
                                          "0 -1 1 1 1 1\n"                    /* a sign */
                                          "0 0 1 1 1 1 1\n"                   /* a field too many */
                                          "2 5000 0 0 0 0\n"                  /* not an errno */
                                          "3 0 99999999999999999999 1 1 1\n"; /* too big */

                CHECK_INT(presence_disks_read(&c, out, strlen(out), 0, &v, results), 0);
                CHECK_INT(results[0], -EIO);
                CHECK_INT(results[2], -EIO);
                CHECK_INT(results[3], -EIO);
                CHECK_STREQ(text(&v, used_root), "?");
                presence_values_done(&v);
        }
}

/* ---- failed_units ---- */

struct bus_test {
        sd_event *event;
        struct presence_values values;
        int result;
        bool done;
};

static int on_units_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bus_test *t = userdata;

        t->result = presence_probe_failed_units_finish(reply, &t->values);
        t->done = true;
        return 0;
}

static int fake_list_units(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char **states = NULL;
        int r;

        r = sd_bus_message_read_strv(m, &states);
        if (r < 0)
                return r;
        /* The probe asks for failed units only. */
        CHECK(states && states[0] && streq(states[0], "failed") && !states[1]);
        strv_free(states);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "a(ssssssouso)", 2, "a.service", "A", "loaded",
                                          "failed", "failed", "", "/a", 0, "", "/", "b.service",
                                          "B", "loaded", "failed", "failed", "", "/b", 0, "", "/");
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable fake_manager[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("ListUnitsFiltered", "as", "a(ssssssouso)", fake_list_units, 0),
    SD_BUS_VTABLE_END,
};

/* Starts a private dbus-daemon (no service activation); returns its pid and its address. */
static pid_t start_dbus_daemon(char *address, size_t size)
{
        char conf[512], listen[600];
        int fds[2];
        pid_t pid;
        ssize_t k;

        if (access("/usr/bin/dbus-daemon", X_OK) < 0 || pipe(fds) < 0)
                return -1;
        snprintf(conf, sizeof(conf), "%s/bus.conf", root);
        snprintf(listen, sizeof(listen),
                 "<busconfig><type>session</type><listen>unix:path=%s/bus</listen>"
                 "<auth>EXTERNAL</auth><policy context=\"default\">"
                 "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
                 "<allow own=\"*\"/></policy></busconfig>\n",
                 root);
        write_file("bus.conf", listen);
        pid = fork();
        if (pid == 0) {
                char fd_arg[32], conf_arg[600];

                close(fds[0]);
                snprintf(fd_arg, sizeof(fd_arg), "--print-address=%d", fds[1]);
                snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s", conf);
                execl("/usr/bin/dbus-daemon", "dbus-daemon", conf_arg, "--nofork", "--nopidfile",
                      fd_arg, (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        k = read(fds[0], address, size - 1);
        close(fds[0]);
        if (k <= 0) {
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
                return -1;
        }
        address[k] = '\0';
        address[strcspn(address, "\n")] = '\0';
        return pid;
}

static void run_until_done(struct bus_test *t)
{
        for (int i = 0; i < 1000 && !t->done; i++)
                CHECK(sd_event_run(t->event, 5 * USEC_PER_SEC) >= 0);
        CHECK(t->done);
}

static void test_failed_units(void)
{
        struct bus_test t = {0};
        sd_bus *bus = NULL, *server = NULL;
        sd_bus_slot *slot = NULL;
        char address[512];
        pid_t daemon;
        int r;

        CHECK_INT(sd_event_new(&t.event), 0);

        /* No system bus: the probe cannot start; the feature shows '?' and warns. */
        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1);
        r = presence_probe_failed_units_start(&bus, t.event, 5 * USEC_PER_SEC, on_units_reply, &t,
                                              &slot);
        CHECK(r < 0);
        CHECK(!bus && !slot);

        daemon = start_dbus_daemon(address, sizeof(address));
        if (daemon < 0) {
                fprintf(stderr, "no dbus-daemon: failed_units over D-Bus not tested\n");
                sd_event_unref(t.event);
                return;
        }
        setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);

        /* Nobody owns org.freedesktop.systemd1 yet: an error reply, so unknown. */
        CHECK_INT(presence_probe_failed_units_start(&bus, t.event, 5 * USEC_PER_SEC, on_units_reply,
                                                    &t, &slot),
                  0);
        run_until_done(&t);
        CHECK(t.result < 0);
        CHECK_STREQ(text(&t.values, "failed_units"), "?");
        slot = sd_bus_slot_unref(slot);

        /* A stand-in systemd answers: two failed units. */
        CHECK(sd_bus_new(&server) >= 0);
        CHECK(sd_bus_set_address(server, address) >= 0);
        CHECK(sd_bus_set_bus_client(server, true) >= 0);
        CHECK(sd_bus_start(server) >= 0);
        CHECK(sd_bus_add_object_vtable(server, NULL, "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", fake_manager,
                                       NULL) >= 0);
        CHECK(sd_bus_request_name(server, "org.freedesktop.systemd1", 0) >= 0);
        CHECK(sd_bus_attach_event(server, t.event, 0) >= 0);

        t.done = false;
        CHECK_INT(presence_probe_failed_units_start(&bus, t.event, 5 * USEC_PER_SEC, on_units_reply,
                                                    &t, &slot),
                  0);
        run_until_done(&t);
        CHECK_INT(t.result, 0);
        CHECK_STREQ(text(&t.values, "failed_units"), "2");

        slot = sd_bus_slot_unref(slot);
        sd_bus_close_unref(bus);
        sd_bus_flush_close_unref(server);
        kill(daemon, SIGTERM);
        waitpid(daemon, NULL, 0);
        presence_values_done(&t.values);
        sd_event_unref(t.event);
}

int main(void)
{
        char proc[512];

        tests_block_sigchld();
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                return 1;
        }
        snprintf(proc, sizeof(proc), "%s/proc", root);
        mkdir(proc, 0755);

        test_load();
        test_memory();
        test_uptime();
        test_root_forms();
        test_disk();
        test_failed_units();

        remove_file("proc/loadavg");
        remove_file("proc/meminfo");
        remove_file("proc/uptime");
        remove_file("bus.conf");
        remove_file("bus");
        rmdir(proc);
        rmdir(root);
        return TESTS_RESULT();
}
