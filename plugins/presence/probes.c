/* SPDX-License-Identifier: MIT */
/*
 * Built-in probes. load, memory and uptime read ROOT/proc (ROOT is presence.root, a fake tree
 * in tests); disk:PATH values come from statvfs(PATH) in a child (disks.c); failed_units asks
 * systemd over the system bus, asynchronously. A probe that fails leaves its values unknown ('?')
 * and returns why; the caller logs. Numbers are formatted in the C locale (the daemon never calls
 * setlocale()).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "presence-internal.h"

#define PROC_FILE_MAX 16384

static const char *const load_names[] = {"load1", "load5", "load15"};
static const char *const mem_names[] = {"mem_used_pct", "mem_total_mb", "mem_available_mb",
                                        "swap_used_pct"};

static int set_unknown(struct presence_values *v, const char *const *names, size_t n, int error)
{
        for (size_t i = 0; i < n; i++)
                if (presence_values_set(v, names[i], NULL) < 0)
                        return -ENOMEM;
        return error;
}

/* Reads ROOT/rel (a small /proc file) into buf, NUL-terminated. */
static int read_proc(const char *root, const char *rel, char *buf, size_t size)
{
        _cleanup_free_ char *path = NULL;
        size_t len = 0;
        int fd;

        if (asprintf(&path, "%s%s%s", root, root[strlen(root) - 1] == '/' ? "" : "/", rel) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* /proc files must be read in one go or in several reads, never seeked. */
        while (len < size - 1) {
                ssize_t k = read(fd, buf + len, size - 1 - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        close(fd);
        buf[len] = '\0';
        return 0;
}

/* Reads the next space-separated non-negative number of *p. */
static int next_number(const char **p, double *ret)
{
        const char *s = *p;
        size_t len;

        s += strspn(s, " \t");
        len = strcspn(s, " \t\n");
        if (len == 0 || s[0] == '-' || !presence_number_is_valid(s, len))
                return -EINVAL;
        *ret = presence_number_parse(s, len);
        *p = s + len;
        return 0;
}

int presence_probe_load(const char *root, struct presence_values *v)
{
        char buf[256];
        const char *p = buf;
        double load[3];
        int r;

        r = read_proc(root, "proc/loadavg", buf, sizeof(buf));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(load); i++)
                r = next_number(&p, &load[i]);
        if (r < 0)
                return set_unknown(v, load_names, ELEMENTSOF(load_names), r);
        for (size_t i = 0; i < ELEMENTSOF(load); i++)
                if (presence_values_setf(v, load_names[i], "%.2f", load[i]) < 0)
                        return -ENOMEM;
        return 0;
}

/* The value in kB of "Key:   123 kB" in /proc/meminfo; -ENOENT when absent. */
static int meminfo_get(const char *buf, const char *key, double *ret)
{
        size_t klen = strlen(key);
        const char *line = buf;

        while (*line) {
                const char *p = line + klen + 1;

                if (strncmp(line, key, klen) == 0 && line[klen] == ':')
                        return next_number(&p, ret);
                line += strcspn(line, "\n");
                line += *line == '\n';
        }
        return -ENOENT;
}

static int meminfo_available(const char *buf, double *ret)
{
        double free_kb, buffers, cached;

        if (meminfo_get(buf, "MemAvailable", ret) >= 0)
                return 0;
        /* Kernels before 3.14: an estimate. */
        if (meminfo_get(buf, "MemFree", &free_kb) < 0 ||
            meminfo_get(buf, "Buffers", &buffers) < 0 || meminfo_get(buf, "Cached", &cached) < 0)
                return -EINVAL;
        *ret = free_kb + buffers + cached;
        return 0;
}

/* Rounding of non-negative values, without libm. */
static double round_down(double x)
{
        return (double)(uint64_t)x;
}

static double round_up(double x)
{
        double d = round_down(x);
        return d < x ? d + 1 : d;
}

static double pct(double part, double whole)
{
        return whole > 0 ? round_down(100 * part / whole + 0.5) : 0;
}

int presence_probe_memory(const char *root, struct presence_values *v)
{
        _cleanup_free_ char *buf = malloc(PROC_FILE_MAX);
        double total, avail, swap_total = 0, swap_free = 0;
        int r;

        if (!buf)
                return -ENOMEM;
        r = read_proc(root, "proc/meminfo", buf, PROC_FILE_MAX);
        if (r >= 0)
                r = meminfo_get(buf, "MemTotal", &total);
        if (r >= 0)
                r = meminfo_available(buf, &avail);
        if (r >= 0 && (total <= 0 || avail > total))
                r = -EINVAL;
        if (r < 0)
                return set_unknown(v, mem_names, ELEMENTSOF(mem_names), r == -ENOENT ? -EINVAL : r);
        /* No swap at all is 0% used. */
        if (meminfo_get(buf, "SwapTotal", &swap_total) < 0 ||
            meminfo_get(buf, "SwapFree", &swap_free) < 0 || swap_free > swap_total)
                swap_total = swap_free = 0;
        if (presence_values_setf(v, "mem_used_pct", "%.0f", pct(total - avail, total)) < 0 ||
            presence_values_setf(v, "mem_total_mb", "%.0f", round_down(total / 1024)) < 0 ||
            presence_values_setf(v, "mem_available_mb", "%.0f", round_down(avail / 1024)) < 0 ||
            presence_values_setf(v, "swap_used_pct", "%.0f",
                                 pct(swap_total - swap_free, swap_total)) < 0)
                return -ENOMEM;
        return 0;
}

int presence_probe_uptime(const char *root, struct presence_values *v)
{
        char buf[256], text[64];
        const char *p = buf;
        double secs;
        uint64_t s;
        int r;

        r = read_proc(root, "proc/uptime", buf, sizeof(buf));
        if (r >= 0)
                r = next_number(&p, &secs);
        if (r >= 0 && secs > 1e12)
                r = -EINVAL;
        if (r < 0)
                return presence_values_set(v, "uptime", NULL) < 0 ? -ENOMEM : r;
        s = (uint64_t)secs;
        if (s >= 86400)
                snprintf(text, sizeof(text), "%" PRIu64 "d %" PRIu64 "h", s / 86400,
                         s % 86400 / 3600);
        else if (s >= 3600)
                snprintf(text, sizeof(text), "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
        else if (s >= 60)
                snprintf(text, sizeof(text), "%" PRIu64 "m", s / 60);
        else
                snprintf(text, sizeof(text), "%" PRIu64 "s", s);
        /* Shown humanised, compared in seconds ("uptime < 600"). */
        return presence_values_set_num(v, "uptime", text, (double)s);
}

int presence_disk_set(const char *path, int error, const struct presence_disk_usage *u,
                      struct presence_values *v)
{
        _cleanup_free_ char *used_name = NULL, *free_name = NULL;
        double used = 0, avail = 0;

        if (asprintf(&used_name, "disk_used_pct:%s", path) < 0 ||
            asprintf(&free_name, "disk_free_gb:%s", path) < 0)
                return -ENOMEM;
        if (error >= 0) {
                used = (double)(u->blocks - u->bfree) * (double)u->frsize;
                avail = (double)u->bavail * (double)u->frsize;
                if (u->bfree > u->blocks || used + avail <= 0)
                        error = -ENODATA; /* a pseudo file system has no size */
        }
        if (error < 0) {
                const char *names[] = {used_name, free_name};
                return set_unknown(v, names, ELEMENTSOF(names), error);
        }
        /* As df(1) does: rounded up, and relative to what non-root users can get. */
        if (presence_values_setf(v, used_name, "%.0f", round_up(100 * used / (used + avail))) < 0 ||
            presence_values_setf(v, free_name, "%.1f", avail / (1024.0 * 1024 * 1024)) < 0)
                return -ENOMEM;
        return 0;
}

int presence_probe_run(const struct presence_probe *p, const char *root, struct presence_values *v)
{
        switch (p->kind) {
        case PRESENCE_PROBE_LOAD:
                return presence_probe_load(root, v);
        case PRESENCE_PROBE_MEMORY:
                return presence_probe_memory(root, v);
        case PRESENCE_PROBE_UPTIME:
                return presence_probe_uptime(root, v);
        case PRESENCE_PROBE_DISK:         /* in a child: disks.c */
        case PRESENCE_PROBE_FAILED_UNITS: /* asynchronous: presence_probe_failed_units_start() */
                break;
        }
        return -EOPNOTSUPP;
}

int presence_probe_failed_units_start(sd_bus **bus, sd_event *event, usec_t timeout,
                                      sd_bus_message_handler_t cb, void *userdata,
                                      sd_bus_slot **ret_slot)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!*bus) {
                _cleanup_(sd_bus_close_unrefp) sd_bus *b = NULL;

                /* Connecting is local and the Hello is sent asynchronously: nothing blocks. */
                r = sd_bus_open_system(&b);
                if (r < 0)
                        return r;
                r = sd_bus_attach_event(b, event, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0)
                        return r;
                *bus = TAKE_PTR(b);
        }
        r = sd_bus_message_new_method_call(*bus, &m, "org.freedesktop.systemd1",
                                           "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "ListUnitsFiltered");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]){(char *)"failed", NULL});
        if (r >= 0)
                r = sd_bus_call_async(*bus, ret_slot, m, cb, userdata, timeout);
        if (r < 0 && r != -ENOMEM)
                *bus = sd_bus_close_unref(*bus); /* reconnect next time */
        return r < 0 ? r : 0;
}

int presence_probe_failed_units_finish(sd_bus_message *reply, struct presence_values *v)
{
        unsigned n = 0;
        int r;

        r = sd_bus_message_get_errno(reply);
        if (r > 0 || sd_bus_message_is_method_error(reply, NULL)) {
                r = r > 0 ? -r : -EIO;
                goto fail;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r >= 0 && (r = sd_bus_message_skip(reply, "(ssssssouso)")) > 0)
                n++;
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                goto fail;
        return presence_values_setf(v, "failed_units", "%u", n);
fail:
        return presence_values_set(v, "failed_units", NULL) < 0 ? -ENOMEM : r;
}
