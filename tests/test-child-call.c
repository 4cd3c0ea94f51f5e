/* SPDX-License-Identifier: MIT */
/* Work done in a forked child: its answer, its failures, a child that hangs while the loop goes
 * on, one that writes too much, and calls canceled or freed from their own callback. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-call.h"
#include "tests.h"

static sd_event *event;

struct outcome {
        bool done;
        int error;
        char output[CHILD_CALL_OUTPUT_MAX + 1];
        size_t len;
};

static void on_done(struct child_call *c, const char *output, size_t len, int error, void *userdata)
{
        struct outcome *o = userdata;

        CHECK(!o->done); /* once */
        CHECK(output[len] == '\0');
        o->done = true;
        o->error = error;
        o->len = len;
        memcpy(o->output, output, len + 1);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        unsigned *ticks = userdata;

        (*ticks)++;
        (void)sd_event_source_set_time_relative(s, 20 * USEC_PER_MSEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* No child of this process is left, running or unreaped (WNOWAIT: reaping is sd-event's). */
static bool no_children(void)
{
        siginfo_t si = {0};

        return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

static bool run_until(bool (*pred)(const void *), const void *arg)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;

        while (!pred(arg) && now_usec(CLOCK_MONOTONIC) < deadline)
                CHECK(sd_event_run(event, 20 * USEC_PER_MSEC) >= 0);
        return pred(arg);
}

static bool children_gone(const void *arg)
{
        return no_children();
}

static bool is_done(const void *arg)
{
        return ((const struct outcome *)arg)->done;
}

static bool is_null(const void *arg)
{
        return *(void *const *)arg == NULL;
}

/* Runs fn(arg) in a child to its end; *ret_ticks counts 20 ms timer ticks seen meanwhile. */
static struct outcome run(child_call_fn_t fn, const void *arg, usec_t timeout, unsigned *ret_ticks)
{
        _cleanup_(child_call_freep) struct child_call *c = NULL;
        sd_event_source *tick = NULL;
        struct outcome o = {0};
        unsigned ticks = 0;

        CHECK(sd_event_add_time_relative(event, &tick, CLOCK_MONOTONIC, 20 * USEC_PER_MSEC, 1,
                                         on_tick, &ticks) >= 0);
        CHECK_INT(child_call_start(event, fn, arg, timeout, on_done, &o, &c), 0);
        CHECK(!o.done); /* never from within the call */
        CHECK(run_until(is_done, &o));
        sd_event_source_disable_unref(tick);
        if (ret_ticks)
                *ret_ticks = ticks;
        return o;
}

static int writes_arg(const void *arg, int fd)
{
        return dprintf(fd, "%s", (const char *)arg) < 0 ? -EIO : 0;
}

static int writes_then_fails(const void *arg, int fd)
{
        (void)dprintf(fd, "partial");
        return -ENOENT;
}

static int dies(const void *arg, int fd)
{
        (void)dprintf(fd, "before");
        raise(SIGKILL);
        return 0;
}

static int hangs(const void *arg, int fd)
{
        sleep(30); /* a DNS server that never answers, a hung NFS mount */
        return 0;
}

static int floods(const void *arg, int fd)
{
        for (int i = 0; i < 1000; i++)
                if (dprintf(fd, "0123456789abcdef\n") < 0)
                        return -EIO;
        return 0;
}

static void test_answers(void)
{
        char arg[64];
        struct outcome o;
        unsigned ticks = 0;

        /* The child sees the caller's memory as it was at the call. */
        snprintf(arg, sizeof(arg), "from %d", (int)getpid());
        o = run(writes_arg, arg, 10 * USEC_PER_SEC, NULL);
        CHECK_INT(o.error, 0);
        CHECK_STREQ(o.output, arg);
        CHECK(no_children());

        o = run(writes_arg, "", 10 * USEC_PER_SEC, NULL);
        CHECK_INT(o.error, 0);
        CHECK_INT(o.len, 0);

        /* A failure, or a child killed: -EIO, with what it wrote. */
        o = run(writes_then_fails, NULL, 10 * USEC_PER_SEC, NULL);
        CHECK_INT(o.error, -EIO);
        CHECK_STREQ(o.output, "partial");
        o = run(dies, NULL, 10 * USEC_PER_SEC, NULL);
        CHECK_INT(o.error, -EIO);
        CHECK_STREQ(o.output, "before");
        CHECK(no_children());

        /* A child that hangs: the loop goes on meanwhile, and the child is killed at the
         * timeout, then reaped by the loop. */
        o = run(hangs, NULL, 300 * USEC_PER_MSEC, &ticks);
        CHECK_INT(o.error, -ETIMEDOUT);
        CHECK(ticks >= 3); /* a blocked loop would see one at most */
        CHECK(run_until(children_gone, NULL));

        /* Too much: cut, killed. */
        o = run(floods, NULL, 10 * USEC_PER_SEC, NULL);
        CHECK_INT(o.error, -EMSGSIZE);
        CHECK_INT(o.len, CHILD_CALL_OUTPUT_MAX);
        CHECK(run_until(children_gone, NULL));
}

static void on_done_free(struct child_call *c, const char *output, size_t len, int error,
                         void *userdata)
{
        struct child_call **owner = userdata;

        CHECK(*owner == c && error == 0 && streq(output, "bye"));
        *owner = child_call_free(c);
}

static void test_cancel(void)
{
        struct child_call *c = NULL;
        struct outcome o = {0};

        /* Canceled while it runs: killed, reaped by the loop later, never reported. */
        CHECK_INT(child_call_start(event, hangs, NULL, 10 * USEC_PER_SEC, on_done, &o, &c), 0);
        CHECK(sd_event_run(event, 50 * USEC_PER_MSEC) >= 0);
        CHECK(!no_children());
        child_call_free(c);
        CHECK(run_until(children_gone, NULL));
        CHECK(!o.done);

        /* Freed from within its own callback. */
        c = NULL;
        CHECK_INT(
            child_call_start(event, writes_arg, "bye", 10 * USEC_PER_SEC, on_done_free, &c, &c), 0);
        CHECK(run_until(is_null, &c));
        CHECK(no_children());
}

int main(void)
{
        tests_block_sigchld();
        CHECK(sd_event_default(&event) >= 0);

        test_answers();
        test_cancel();

        /* Nothing left behind: every child source is gone with its call. */
        for (int i = 0; i < 5; i++)
                CHECK(sd_event_run(event, 0) >= 0);
        sd_event_unref(event);
        return TESTS_RESULT();
}
