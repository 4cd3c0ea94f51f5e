/* SPDX-License-Identifier: MIT */
/*
 * adhocd-bench: a load generator for adhocd on libstrophe. Several client connections share
 * one libstrophe context, driven by a plain xmpp_run_once() loop: a benchmark client may
 * wait, the agent it measures may not. Results go to stdout as CSV rows
 * "phase,metric,value"; progress and --verbose timestamps go to stderr.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "util.h"

#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NS_XDATA    "jabber:x:data"
#define NS_PING     "urn:xmpp:ping"

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* ---- bench-util.c: time, output, options shared by every scenario ---- */

#define BENCH_MAX_PIDS 4

/* A process whose CPU time (and RSS) a phase reports, e.g. "agent" or "server". */
struct bench_pid {
        const char *name;
        int pid;
};

struct bench_opts {
        const char *phase; /* first column of every CSV row */
        const char *host;  /* the XMPP server */
        unsigned port;
        const char *domain;   /* accounts are <user><n>@<domain> */
        const char *user;     /* account name prefix, e.g. "bench" */
        unsigned accounts;    /* how many accounts there are: user1 .. userN */
        const char *password; /* every bench account has the same one */
        const char *ca_file;  /* trust anchor of the server's certificate */
        const char *to;       /* where requests go: the agent's full JID */
        const char *node;     /* the command node */
        unsigned concurrency; /* connections, each with one request in flight */
        uint64_t count;       /* measured requests (0: measure for duration_s) */
        uint64_t warmup;      /* requests before measuring, when counting */
        double duration_s;    /* measured window, without count */
        double warmup_s;      /* unmeasured lead-in, with duration_s */
        unsigned probe;       /* sessions: reply commands sent before and during */
        const char *probe_node;
        const char *bus_address; /* dbus-bare */
        const char *program;     /* spawn-bare */
        const char *log_file;    /* startup: the agent's output */
        char **argv;             /* startup: the agent's command line */
        struct bench_pid pids[BENCH_MAX_PIDS];
        size_t n_pids;
        bool verbose;
};

uint64_t bench_now_ns(void);
/* One CSV row "phase,metric,value" on stdout. */
void bench_emit(const struct bench_opts *o, const char *metric, const char *fmt, ...)
    _printf_(3, 4);
/* A timestamped line on stderr with --verbose: where a phase spends its time. */
void bench_trace(const struct bench_opts *o, const char *fmt, ...) _printf_(2, 3);
void bench_warn(const char *fmt, ...) _printf_(1, 2);

/* ---- bench-stats.c: latency samples and process accounting ---- */

struct bench_samples {
        uint64_t *v; /* nanoseconds */
        size_t n, cap;
};

int bench_samples_add(struct bench_samples *s, uint64_t ns);
void bench_samples_done(struct bench_samples *s);
/* Emits <prefix>_n, _min_ms, _mean_ms, _p50_ms, _p90_ms, _p99_ms and _max_ms. Sorts s. */
void bench_samples_emit(const struct bench_opts *o, const char *prefix, struct bench_samples *s);

/* CPU time consumed so far, in ns: se.sum_exec_runtime from /proc/PID/sched when the kernel
 * has it (nanosecond resolution), else utime+stime from /proc/PID/stat (clock ticks). */
int bench_proc_cpu_ns(int pid, uint64_t *ret, bool *ret_precise);
/* Memory of a process in KiB: VmRSS counts every page mapped, pages of shared libraries too;
 * private is the part no other process maps (Private_Clean + Private_Dirty), anon its
 * anonymous part (RssAnon: heap, stack, libraries' written data); Pss shares each page
 * among the processes mapping it. */
struct bench_memory {
        uint64_t rss, private, anon, pss;
};
/* From /proc/PID/status and /proc/PID/smaps_rollup. */
int bench_proc_memory_kib(int pid, struct bench_memory *ret);

/* CPU of the watched processes (and of the bench itself) over a window. */
struct bench_cpu_window {
        uint64_t start_ns, end_ns;
        uint64_t cpu0[BENCH_MAX_PIDS + 1], cpu1[BENCH_MAX_PIDS + 1];
        bool precise;
};

void bench_cpu_window_start(const struct bench_opts *o, struct bench_cpu_window *w);
void bench_cpu_window_end(const struct bench_opts *o, struct bench_cpu_window *w);
/* Emits wall_s, <name>_cpu_ms, <name>_cpu_pct and, when jobs > 0, <name>_cpu_us_per_cmd. */
void bench_cpu_window_emit(const struct bench_opts *o, const struct bench_cpu_window *w,
                           uint64_t jobs);

/* ---- bench-xmpp.c: client connections sharing one context ---- */

struct bench_conn;
struct bench_pool;

/* An answer to the request in flight on c; rtt_ns is from queueing to receiving it. */
typedef void (*bench_reply_fn)(struct bench_conn *c, xmpp_stanza_t *iq, uint64_t rtt_ns);
typedef void (*bench_presence_fn)(struct bench_pool *p, xmpp_stanza_t *presence);

struct bench_conn {
        struct bench_pool *pool;
        xmpp_conn_t *conn;
        unsigned index;
        char jid[256];
        bool online, failed;

        /* The one request in flight. */
        char id[64];
        unsigned seq;
        uint64_t sent_ns;
        bool waiting;
        bench_reply_fn on_reply;
        xmpp_stanza_t *last_reply; /* bench_call() */
        uint64_t last_rtt_ns;

        void *data; /* the scenario's */
};

struct bench_pool {
        const struct bench_opts *opts;
        xmpp_ctx_t *ctx;
        struct bench_conn *conns;
        size_t n;
        size_t n_online, n_failed;
        bool send_presence; /* initial presence at login: to receive the agent's */
        bool closing;       /* disconnects are expected */
        char id_prefix[32]; /* of every request id: unique to this pool */
        bench_presence_fn on_presence;
        void *data;
};

/* n connections as <user><i % accounts + 1>@<domain>/r<i>; presence: send initial presence. */
int bench_pool_new(const struct bench_opts *o, size_t n, bool presence, struct bench_pool **ret);
/* Logs every connection in; fails unless all are online within timeout_s. */
int bench_pool_connect(struct bench_pool *p, double timeout_s);
void bench_pool_run(struct bench_pool *p, unsigned long timeout_ms);
struct bench_pool *bench_pool_free(struct bench_pool *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bench_pool *, bench_pool_free)

/* Queues <iq type=type to=to id=...>body</iq> on c; fn gets the answer. */
int bench_send(struct bench_conn *c, const char *type, const char *to, const char *body,
               bench_reply_fn fn);
/* The same, then waits: *ret_reply is the answer (release it). -ETIMEDOUT after timeout_s. */
int bench_call(struct bench_conn *c, const char *type, const char *to, const char *body,
               double timeout_s, xmpp_stanza_t **ret_reply);

/* <command/> of an iq result, with the status wanted (NULL: any), or NULL. */
xmpp_stanza_t *bench_command_of(xmpp_stanza_t *iq, const char *status);
/* Prints the stanza on stderr, for the first few unexpected answers. */
void bench_dump_unexpected(const char *what, xmpp_stanza_t *st);

/* ---- Scenarios: each returns 0, or 1 when requests failed, or a negative errno ---- */

int scenario_load(struct bench_opts *o, const char *kind);
int scenario_sessions(struct bench_opts *o);
int scenario_startup(struct bench_opts *o);
int scenario_dbus_bare(struct bench_opts *o);
int scenario_spawn_bare(struct bench_opts *o, bool use_fork);

/* The body of the multi-stage command's stage (0: execute, 1: the form, 2: the confirmation). */
int bench_form_stage_body(const struct bench_opts *o, unsigned stage, const char *sid, char *buf,
                          size_t size);
