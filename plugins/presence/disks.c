/* SPDX-License-Identifier: MIT */
/*
 * disk:PATH probes. statvfs() waits as long as a network file system does not answer, so it
 * runs in a child (agent/child-call.c) that writes one line per probe; the loop reads them and
 * kills the child after a timeout. The probes are measured in order, so a hung mount costs only
 * its own values and those after it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/statvfs.h>

#include "presence-internal.h"

int presence_disks_measure(const void *cfg, int fd)
{
        const struct presence_config *c = cfg;

        for (size_t i = 0; i < c->n_probes; i++) {
                struct statvfs st = {0};
                int error = 0;

                if (c->probes[i].kind != PRESENCE_PROBE_DISK)
                        continue;
                if (statvfs(c->probes[i].path, &st) < 0)
                        error = errno;
                if (dprintf(fd, "%zu %d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", i,
                            error, (uint64_t)st.f_blocks, (uint64_t)st.f_bfree,
                            (uint64_t)st.f_bavail, (uint64_t)st.f_frsize) < 0)
                        return -EIO;
        }
        return 0;
}

static bool parse_u64(const char **p, uint64_t *ret)
{
        uint64_t v = 0;
        const char *s = *p;

        if (*s < '0' || *s > '9')
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
                        return false;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        *ret = v;
        *p = s;
        return true;
}

/* "INDEX ERRNO BLOCKS BFREE BAVAIL FRSIZE": all decimal, one space apart. */
static bool parse_line(const char *line, uint64_t ret[static 6])
{
        for (int k = 0; k < 6; k++) {
                if (k > 0 && *line++ != ' ')
                        return false;
                if (!parse_u64(&line, &ret[k]))
                        return false;
        }
        return *line == '\0';
}

int presence_disks_read(const struct presence_config *c, const char *output, size_t len, int error,
                        struct presence_values *v, int *results)
{
        _cleanup_free_ bool *seen = calloc(c->n_probes ?: 1, sizeof(bool));
        char line[128];
        int r;

        if (!seen)
                return -ENOMEM;
        /* Only whole lines count: a line the child was cut in the middle of is not trusted. */
        while (len > 0) {
                const char *nl = memchr(output, '\n', len);
                size_t k = nl ? (size_t)(nl - output) : len;
                struct presence_disk_usage u;
                uint64_t f[6];

                if (!nl || k >= sizeof(line))
                        break;
                memcpy(line, output, k);
                line[k] = '\0';
                output += k + 1;
                len -= k + 1;
                if (!parse_line(line, f) || f[0] >= c->n_probes || seen[f[0]] ||
                    c->probes[f[0]].kind != PRESENCE_PROBE_DISK || f[1] > 4095)
                        continue;
                seen[f[0]] = true;
                u = (struct presence_disk_usage){f[2], f[3], f[4], f[5]};
                results[f[0]] = presence_disk_set(c->probes[f[0]].path, -(int)f[1], &u, v);
                if (results[f[0]] == -ENOMEM)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_probes; i++) {
                if (c->probes[i].kind != PRESENCE_PROBE_DISK || seen[i])
                        continue;
                r = presence_disk_set(c->probes[i].path, error < 0 ? error : -EIO, NULL, v);
                if (r == -ENOMEM)
                        return r;
                results[i] = r;
        }
        return 0;
}
