/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <time.h>

#include "bench.h"

static uint64_t trace_origin_ns;

uint64_t bench_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void bench_emit(const struct bench_opts *o, const char *metric, const char *fmt, ...)
{
        va_list ap;

        printf("%s,%s,", o->phase, metric);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

void bench_trace(const struct bench_opts *o, const char *fmt, ...)
{
        uint64_t now = bench_now_ns();
        va_list ap;

        if (!o->verbose)
                return;
        if (!trace_origin_ns)
                trace_origin_ns = now;
        fprintf(stderr, "[%10.3f ms] %s: ", (double)(now - trace_origin_ns) / NSEC_PER_MSEC,
                o->phase);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void bench_warn(const char *fmt, ...)
{
        va_list ap;

        fputs("adhocd-bench: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
