/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

int bench_samples_add(struct bench_samples *s, uint64_t ns)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 1024;
                uint64_t *v = reallocarray(s->v, cap, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = ns;
        return 0;
}

void bench_samples_done(struct bench_samples *s)
{
        free(s->v);
        *s = (struct bench_samples){0};
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p % of the samples at or below it. */
static double percentile_ms(const struct bench_samples *s, double p)
{
        size_t rank = (size_t)ceil(p / 100.0 * (double)s->n);

        if (rank < 1)
                rank = 1;
        return (double)s->v[rank - 1] / NSEC_PER_MSEC;
}

void bench_samples_emit(const struct bench_opts *o, const char *prefix, struct bench_samples *s)
{
        char m[128];
        double sum = 0;

        snprintf(m, sizeof(m), "%s_n", prefix);
        bench_emit(o, m, "%zu", s->n);
        if (s->n == 0)
                return;
        qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
        for (size_t i = 0; i < s->n; i++)
                sum += (double)s->v[i];
        snprintf(m, sizeof(m), "%s_min_ms", prefix);
        bench_emit(o, m, "%.4f", (double)s->v[0] / NSEC_PER_MSEC);
        snprintf(m, sizeof(m), "%s_mean_ms", prefix);
        bench_emit(o, m, "%.4f", sum / (double)s->n / NSEC_PER_MSEC);
        snprintf(m, sizeof(m), "%s_p50_ms", prefix);
        bench_emit(o, m, "%.4f", percentile_ms(s, 50));
        snprintf(m, sizeof(m), "%s_p90_ms", prefix);
        bench_emit(o, m, "%.4f", percentile_ms(s, 90));
        snprintf(m, sizeof(m), "%s_p99_ms", prefix);
        bench_emit(o, m, "%.4f", percentile_ms(s, 99));
        snprintf(m, sizeof(m), "%s_max_ms", prefix);
        bench_emit(o, m, "%.4f", (double)s->v[s->n - 1] / NSEC_PER_MSEC);
}

/* se.sum_exec_runtime, in milliseconds with six decimals (needs CONFIG_SCHED_DEBUG). */
static int cpu_from_sched(int pid, uint64_t *ret)
{
        char path[64], line[256];
        FILE *f;
        int r = -ENOENT;

        snprintf(path, sizeof(path), "/proc/%d/sched", pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long ms, frac;
                char *colon;

                if (strncmp(line, "se.sum_exec_runtime", 19) != 0)
                        continue;
                colon = strchr(line, ':');
                if (colon && sscanf(colon + 1, " %llu.%6llu", &ms, &frac) == 2) {
                        *ret = (uint64_t)ms * NSEC_PER_MSEC + (uint64_t)frac;
                        r = 0;
                }
                break;
        }
        fclose(f);
        return r;
}

/* utime + stime: fields 14 and 15, counted after the ")" that ends the command name. */
static int cpu_from_stat(int pid, uint64_t *ret)
{
        char path[64], buf[1024];
        unsigned long long utime, stime;
        const char *p;
        size_t len;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = 0;
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                         &stime) != 2)
                return -EBADMSG;
        *ret = (uint64_t)(utime + stime) * NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK);
        return 0;
}

int bench_proc_cpu_ns(int pid, uint64_t *ret, bool *ret_precise)
{
        int r = cpu_from_sched(pid, ret);

        *ret_precise = r >= 0;
        if (r >= 0)
                return 0;
        return cpu_from_stat(pid, ret);
}

/* Reads "key: N kB" lines of a /proc file: keys[i] into v[i]; returns how many were found. */
static int read_kib(const char *path, const char *const *keys, uint64_t *const *v, size_t n)
{
        char line[256];
        size_t found = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        while (found < n && fgets(line, sizeof(line), f)) {
                for (size_t i = 0; i < n; i++) {
                        size_t k = strlen(keys[i]);
                        unsigned long long kib;

                        if (strncmp(line, keys[i], k) == 0 && line[k] == ':' &&
                            sscanf(line + k + 1, " %llu kB", &kib) == 1) {
                                *v[i] += kib;
                                found++;
                        }
                }
        }
        fclose(f);
        return (int)found;
}

int bench_proc_memory_kib(int pid, struct bench_memory *ret)
{
        static const char *const status_keys[] = {"VmRSS", "RssAnon"};
        static const char *const smaps_keys[] = {"Pss", "Private_Clean", "Private_Dirty"};
        struct bench_memory m = {0};
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        r = read_kib(path, status_keys, (uint64_t *const[]){&m.rss, &m.anon}, 2);
        if (r < 0)
                return r;
        if (r < 2)
                return -ENOENT;
        snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
        r = read_kib(path, smaps_keys, (uint64_t *const[]){&m.pss, &m.private, &m.private}, 3);
        if (r < 0)
                return r;
        if (r < 3)
                return -ENOENT;
        *ret = m;
        return 0;
}

/* Slot 0 is the bench itself; slot i + 1 is o->pids[i]. */
static void sample(const struct bench_opts *o, uint64_t *cpu, bool *precise)
{
        bool p = true, q;

        if (bench_proc_cpu_ns(getpid(), &cpu[0], &q) < 0)
                cpu[0] = 0;
        for (size_t i = 0; i < o->n_pids; i++) {
                if (bench_proc_cpu_ns(o->pids[i].pid, &cpu[i + 1], &q) < 0) {
                        cpu[i + 1] = 0;
                        continue;
                }
                p = p && q;
        }
        *precise = p;
}

void bench_cpu_window_start(const struct bench_opts *o, struct bench_cpu_window *w)
{
        *w = (struct bench_cpu_window){0};
        sample(o, w->cpu0, &w->precise);
        w->start_ns = bench_now_ns();
}

void bench_cpu_window_end(const struct bench_opts *o, struct bench_cpu_window *w)
{
        bool precise;

        w->end_ns = bench_now_ns();
        sample(o, w->cpu1, &precise);
        w->precise = w->precise && precise;
}

static void emit_cpu(const struct bench_opts *o, const char *name, uint64_t cpu, double wall,
                     uint64_t jobs)
{
        char m[128];

        snprintf(m, sizeof(m), "%s_cpu_ms", name);
        bench_emit(o, m, "%.3f", (double)cpu / NSEC_PER_MSEC);
        snprintf(m, sizeof(m), "%s_cpu_pct", name);
        bench_emit(o, m, "%.1f", wall > 0 ? (double)cpu / NSEC_PER_SEC / wall * 100 : 0);
        if (jobs == 0)
                return;
        snprintf(m, sizeof(m), "%s_cpu_us_per_cmd", name);
        bench_emit(o, m, "%.2f", (double)cpu / NSEC_PER_USEC / (double)jobs);
}

void bench_cpu_window_emit(const struct bench_opts *o, const struct bench_cpu_window *w,
                           uint64_t jobs)
{
        double wall = (double)(w->end_ns - w->start_ns) / NSEC_PER_SEC;

        bench_emit(o, "wall_s", "%.3f", wall);
        bench_emit(o, "cpu_clock", "%s", w->precise ? "sched" : "stat");
        emit_cpu(o, "bench", w->cpu1[0] - w->cpu0[0], wall, jobs);
        for (size_t i = 0; i < o->n_pids; i++)
                emit_cpu(o, o->pids[i].name, w->cpu1[i + 1] - w->cpu0[i + 1], wall, jobs);
}
