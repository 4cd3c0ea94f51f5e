/* SPDX-License-Identifier: MIT */
#include "child-call.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_call {
        sd_event *event;
        int fd;
        sd_event_source *io, *child, *timer, *reaped;
        char buf[CHILD_CALL_OUTPUT_MAX + 1];
        size_t len;
        bool eof, exited, failed;
        bool canceled; /* freed by its owner: waits for its child, then frees itself */
        child_call_done_t cb;
        void *userdata;
};

__attribute__((noreturn)) static void child_main(struct child_call *c, child_call_fn_t fn,
                                                 const void *arg, int fd, pid_t parent)
{
        sigset_t all;

        /* The parent's copy: a memory checker following the fork (valgrind) would report it
         * lost when the child exits. */
        free(c);

        /* Dies with the agent (even if it went before this line), holds none of its descriptors
         * (e.g. the XMPP socket), and blocks none of the signals the agent blocks. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(2);
        sigemptyset(&all);
        (void)sigprocmask(SIG_SETMASK, &all, NULL);
        if (fd != 3 && dup2(fd, 3) < 0)
                _exit(2);
        (void)close_range(4, ~0U, 0);
        _exit(fn(arg, 3) < 0 ? 1 : 0);
}

/* Kills the child; the loop reaps it once it is gone (on_child_exit). */
static void kill_child(struct child_call *c)
{
        if (c->child && !c->exited)
                (void)sd_event_source_send_child_signal(c->child, SIGKILL, NULL, 0);
}

static void destroy(struct child_call *c)
{
        /* Owned: a child still running here is killed and waited for, which happens only when
         * the loop is gone (child_call_free()) or the child has exited. */
        c->child = sd_event_source_unref(c->child);
        c->io = sd_event_source_disable_unref(c->io);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->reaped = sd_event_source_disable_unref(c->reaped);
        if (c->fd >= 0)
                close(c->fd);
        sd_event_unref(c->event);
        free(c);
}

struct child_call *child_call_free(struct child_call *c)
{
        int state;

        if (!c)
                return NULL;
        state = sd_event_get_state(c->event);
        if (c->child && !c->exited && state >= 0 && state != SD_EVENT_FINISHED) {
                /* Waiting for the killed child here could hold the loop (one stuck in the
                 * kernel on a hung mount): it is reaped from the loop, and c freed then. */
                kill_child(c);
                c->canceled = true;
                c->cb = NULL;
                c->io = sd_event_source_disable_unref(c->io);
                c->timer = sd_event_source_disable_unref(c->timer);
                return NULL;
        }
        destroy(c);
        return NULL;
}

/* Reports once; the callback may free c. */
static void finish(struct child_call *c, int error)
{
        child_call_done_t cb = c->cb;

        if (!cb)
                return;
        c->cb = NULL;
        c->io = sd_event_source_disable_unref(c->io);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->buf[c->len] = '\0';
        if (error >= 0 && c->failed)
                error = -EIO;
        cb(c, c->buf, c->len, error, c->userdata);
}

static void maybe_finish(struct child_call *c)
{
        if (c->eof && c->exited && !c->child)
                finish(c, 0);
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct child_call *c = userdata;
        ssize_t k;

        for (;;) {
                if (c->len == CHILD_CALL_OUTPUT_MAX) {
                        kill_child(c);
                        finish(c, -EMSGSIZE);
                        return 0;
                }
                k = read(fd, c->buf + c->len, CHILD_CALL_OUTPUT_MAX - c->len);
                if (k > 0) {
                        c->len += (size_t)k;
                        continue;
                }
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                break; /* end of file, or an error: what came is all there is */
        }
        c->eof = true;
        c->io = sd_event_source_disable_unref(c->io);
        maybe_finish(c);
        return 0;
}

static int on_reaped(sd_event_source *s, void *userdata)
{
        struct child_call *c = userdata;

        c->reaped = sd_event_source_disable_unref(c->reaped);
        c->child = sd_event_source_unref(c->child); /* reaped already: nothing is killed */
        if (c->canceled)
                destroy(c);
        else
                maybe_finish(c);
        return 0;
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
        struct child_call *c = userdata;

        c->failed = si->si_code != CLD_EXITED || si->si_status != 0;
        c->exited = true;
        /* sd-event reaps the child once this returns: the rest waits for a fresh dispatch. */
        return sd_event_add_defer(c->event, &c->reaped, on_reaped, c);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct child_call *c = userdata;

        kill_child(c);
        finish(c, -ETIMEDOUT);
        return 0;
}

int child_call_start(sd_event *e, child_call_fn_t fn, const void *arg, usec_t timeout,
                     child_call_done_t cb, void *userdata, struct child_call **ret)
{
        _cleanup_(child_call_freep) struct child_call *c = zalloc(sizeof(*c));
        pid_t pid, parent = getpid();
        int fds[2], k;

        if (!c)
                return -ENOMEM;
        c->fd = -1;
        c->event = sd_event_ref(e);
        c->cb = cb;
        c->userdata = userdata;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        c->fd = fds[0];
        pid = fork();
        if (pid < 0) {
                k = -errno;
                close(fds[1]);
                return k;
        }
        if (pid == 0)
                child_main(TAKE_PTR(c), fn, arg, fds[1], parent);
        close(fds[1]);
        k = sd_event_add_child(e, &c->child, pid, WEXITED, on_child_exit, c);
        if (k < 0) {
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                return k;
        }
        k = sd_event_source_set_child_process_own(c->child, true);
        if (k >= 0 && fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
                k = -errno;
        if (k >= 0)
                k = sd_event_add_io(e, &c->io, c->fd, EPOLLIN, on_output, c);
        if (k >= 0)
                k = sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC, timeout,
                                               10 * USEC_PER_MSEC, on_timeout, c);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(c);
        return 0;
}
