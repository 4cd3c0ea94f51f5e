/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Shared by the exec: tests: loading a form and an exec: block from YAML, and driving the
 * backend directly on an sd-event loop with a hand-built action_call (no XMPP).
 */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "exec.h"
#include "plugins.h"
#include "tests.h"

struct fixture {
        struct ynode *root;
        struct form *form;
        void *cfg;
        struct diags d;
};

_unused_ static void fixture_done(struct fixture *f)
{
        if (f->cfg)
                exec_action.free_cfg(f->cfg);
        form_free(f->form);
        ynode_free(f->root);
        diags_done(&f->d);
        *f = (struct fixture){0};
}

/* Parses "form: ...\nexec: ..." (form optional). Returns the parse result. */
_printf_(2, 3) _unused_ static int fixture_load(struct fixture *f, const char *fmt, ...)
{
        _cleanup_free_ char *yaml = NULL;
        const struct ynode *fn;
        va_list ap;
        int r;

        *f = (struct fixture){0};
        va_start(ap, fmt);
        r = vasprintf(&yaml, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = ynode_parse(yaml, strlen(yaml), "test.yaml", &f->root, &f->d);
        if (r < 0)
                return r;
        fn = ynode_get(f->root, "form");
        if (fn) {
                r = form_from_ynode(fn, &f->form, &f->d);
                if (r < 0)
                        return r;
        }
        return exec_action.parse(ynode_get(f->root, "exec"), f->form, &f->cfg, &f->d);
}

_unused_ static bool diags_contain(const struct diags *d, enum diag_level level, const char *needle)
{
        for (size_t i = 0; i < d->n; i++)
                if (d->v[i].level == level && strstr(d->v[i].msg, needle))
                        return true;
        return false;
}

_unused_ static void diags_dump(const struct diags *d)
{
        diags_print(d, stderr);
}

/* One call of the backend, as the engine would make it. */
struct run {
        struct action_call call;
        struct form_values values;
        struct action_result *res;
        bool done;
        unsigned n_complete;
};

_unused_ static void run_on_complete(struct action_call *call, struct action_result *res)
{
        struct run *r = call->engine_data;

        action_result_free(r->res);
        r->res = res;
        r->done = true;
        r->n_complete++;
}

/* Messages sent by detached jobs. */
_unused_ static struct {
        char *to, *lang, *body;
        unsigned n;
} sent;

_unused_ static void test_send_message(void *agent, const char *to, const char *lang,
                                       const char *body)
{
        free(sent.to);
        free(sent.lang);
        free(sent.body);
        sent.to = strdup_or_null(to);
        sent.lang = strdup_or_null(lang);
        sent.body = strdup_or_null(body);
        sent.n++;
}

_unused_ static void sent_reset(void)
{
        free(sent.to);
        free(sent.lang);
        free(sent.body);
        sent.to = sent.lang = sent.body = NULL;
        sent.n = 0;
}

_unused_ static void run_init(struct run *r, sd_event *e, const struct fixture *f, const char *node,
                              const char *requester_bare, const char *requester)
{
        *r = (struct run){0};
        r->call = (struct action_call){
            .event = e,
            .node = node,
            .requester = requester,
            .requester_bare = requester_bare,
            .lang = "en",
            .values = &r->values,
            .cfg = f->cfg,
            .send_message = test_send_message,
            .agent = NULL,
            .complete = run_on_complete,
            .engine_data = r,
        };
}

_unused_ static void run_done(struct run *r)
{
        r->res = action_result_free(r->res);
        form_values_done(&r->values);
}

_unused_ static void set_value(struct run *r, const char *var, const char *value, bool secret)
{
        char *v[] = {(char *)value, NULL};

        CHECK_INT(form_values_set(&r->values, var, v, secret), 0);
}

_unused_ static int run_start(struct run *r)
{
        return exec_action.start(&r->call);
}

/* Runs the loop until *flag or a generous deadline (a failed test must not hang). */
_unused_ static bool loop_until(sd_event *e, const bool *flag)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;

        while (!*flag) {
                if (now_usec(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "loop_until: deadline passed\n");
                        tests_failed++;
                        return false;
                }
                if (sd_event_run(e, 100 * USEC_PER_MSEC) < 0) {
                        tests_failed++;
                        return false;
                }
        }
        return true;
}

/* Until every job, canceled ones included, has been reaped. */
_unused_ static void loop_until_no_jobs(sd_event *e)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;

        while (exec_jobs_count() > 0 && now_usec(CLOCK_MONOTONIC) < deadline)
                (void)sd_event_run(e, 100 * USEC_PER_MSEC);
        CHECK_INT(exec_jobs_count(), 0);
}

_unused_ static const char *note_text(const struct run *r, size_t i)
{
        if (!r->res || i >= r->res->n_notes)
                return NULL;
        return r->res->notes[i].text;
}

_unused_ static bool note_is(const struct run *r, size_t i, enum note_type t)
{
        return r->res && i < r->res->n_notes && r->res->notes[i].type == t;
}

_unused_ static bool starts_with(const char *s, const char *prefix)
{
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Entries of /proc/self/fd (the directory's own fd included, so compare counts only). */
_unused_ static unsigned count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* Children of this process still in /proc: zombies or live ones. */
_unused_ static unsigned count_children(void)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char path[300], buf[512], *p;
                FILE *f;
                int ppid;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
                    sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
                        n++;
                fclose(f);
        }
        closedir(d);
        return n;
}

/* A process is gone once it no longer exists or is a zombie (of whoever reaps it). */
_unused_ static bool process_is_gone(pid_t pid)
{
        char path[64], buf[512], *p;
        bool gone = true;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return true;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
                gone = p[2] == 'Z' || p[2] == 'X';
        fclose(f);
        return gone;
}

/* Killed processes take a moment to exit; waits for the outcome, up to a generous bound. */
_unused_ static bool wait_process_gone(pid_t pid)
{
        for (unsigned i = 0; i < 1000; i++) {
                if (process_is_gone(pid))
                        return true;
                usleep(10 * 1000);
        }
        return false;
}
