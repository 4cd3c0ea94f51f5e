/* SPDX-License-Identifier: MIT */
/*
 * The "exec:" action on the loop. Each run is a job that owns its child (a pidfd child source),
 * its stdout/stderr pipes (non-blocking io sources), an optional stdin writer and one timer.
 *
 * A job completes when the child has exited and both pipes are at EOF. At the timeout the
 * whole process group gets SIGTERM, then SIGKILL after kill_grace; once SIGKILL is sent, the
 * job no longer waits for EOF (a process that left the group may hold the pipes forever).
 *
 * Every job stays in one list, owned by the backend, until its child is reaped: a cancelled
 * call or a detached run no longer has a call, but its child is still killed and reaped by the
 * loop, so no zombie remains. shutdown() kills and reaps what is left.
 *
 * Limits: max_concurrent per command (by node), exec_max_concurrent for the whole agent, and
 * fairness: one requester (bare JID) may hold at most half of the global slots, rounded up, so
 * a flood from one account leaves the other half to everyone else. With a global cap of 1 the
 * single slot is shared first come, first served.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "exec.h"
#include "log.h"
#include "plugins.h"

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2) /* Linux 6.9 */
#endif

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

enum job_mode {
        JOB_REPLY,    /* completes its call */
        JOB_DETACHED, /* sends the outcome as a message */
        JOB_CANCELED, /* only reaps */
};

struct exec_stream {
        struct exec_job *job;
        int fd;
        sd_event_source *source;
        char *buf;
        size_t len, cap, limit;
        bool tail; /* keep the last bytes (stderr), not the first (stdout) */
        bool truncated;
};

struct exec_job {
        struct exec_job *prev, *next;
        enum job_mode mode;
        struct action_call *call; /* JOB_REPLY only */
        sd_event *event;

        /* Copies: a detached or canceled job outlives its call and the policy. */
        char *node, *requester, *requester_bare, *lang;
        char *path, *cwd, *audit_argv;
        void (*send_message)(void *agent, const char *to, const char *lang, const char *body);
        void *agent;
        enum exec_output output;
        usec_t timeout, kill_grace, started;

        pid_t pid;
        int pidfd; /* owned by the child source; -1 without pidfd support */
        sd_event_source *child;
        bool exited;
        int exit_code, exit_status; /* si_code, si_status */
        int fd_report;
        bool start_failed;
        struct exec_child_error start_error;

        struct exec_stream out, err;
        int fd_in;
        sd_event_source *in_source;
        char *in_data;
        size_t in_len, in_off;

        sd_event_source *timer;
        bool timed_out, term_sent, kill_sent;
};

static struct exec_job *jobs;
static unsigned global_max = EXEC_DEFAULT_GLOBAL_MAX;

void exec_set_global_max(unsigned n)
{
        global_max = n > 0 ? n : EXEC_DEFAULT_GLOBAL_MAX;
}

unsigned exec_jobs_count(void)
{
        unsigned n = 0;

        for (struct exec_job *j = jobs; j; j = j->next)
                n++;
        return n;
}

static int safe_close(int fd)
{
        if (fd >= 0)
                (void)close(fd);
        return -1;
}

/* --- Job lifetime --- */

static void stream_close(struct exec_stream *s)
{
        s->source = sd_event_source_disable_unref(s->source);
        s->fd = safe_close(s->fd);
}

static void stdin_close(struct exec_job *job)
{
        job->in_source = sd_event_source_disable_unref(job->in_source);
        job->fd_in = safe_close(job->fd_in);
}

static void job_unlink(struct exec_job *job)
{
        if (job->prev)
                job->prev->next = job->next;
        else if (jobs == job)
                jobs = job->next;
        if (job->next)
                job->next->prev = job->prev;
        job->prev = job->next = NULL;
}

static struct exec_job *job_free(struct exec_job *job)
{
        if (!job)
                return NULL;
        job_unlink(job);
        stream_close(&job->out);
        stream_close(&job->err);
        stdin_close(job);
        job->timer = sd_event_source_disable_unref(job->timer);
        job->child = sd_event_source_disable_unref(job->child);
        safe_close(job->fd_report);
        free(job->out.buf);
        free(job->err.buf);
        free(job->in_data);
        free(job->node);
        free(job->requester);
        free(job->requester_bare);
        free(job->lang);
        free(job->path);
        free(job->cwd);
        free(job->audit_argv);
        sd_event_unref(job->event);
        free(job);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exec_job *, job_free)

static int job_new(const struct action_call *call, const struct exec_config *c,
                   struct exec_job **ret)
{
        _cleanup_(job_freep) struct exec_job *job = zalloc(sizeof(*job));

        if (!job)
                return -ENOMEM;
        job->fd_report = job->fd_in = job->out.fd = job->err.fd = job->pidfd = -1;
        job->mode = JOB_REPLY;
        job->event = sd_event_ref(call->event);
        job->node = strdup(strempty(call->node));
        job->requester = strdup(strempty(call->requester));
        job->requester_bare =
            strdup(call->requester_bare ? call->requester_bare : strempty(call->requester));
        job->lang = strdup_or_null(call->lang);
        job->path = strdup(c->argv[0]);
        job->cwd = strdup(c->cwd);
        if (!job->node || !job->requester || !job->requester_bare || (call->lang && !job->lang) ||
            !job->path || !job->cwd)
                return -ENOMEM;
        job->send_message = call->send_message;
        job->agent = call->agent;
        job->output = c->output;
        job->timeout = c->timeout;
        job->kill_grace = c->kill_grace;
        job->out = (struct exec_stream){.job = job, .fd = -1, .limit = c->max_output};
        /* Only stderr's tail is ever shown; a little more lets it start at a line. */
        job->err = (struct exec_stream){
            .job = job,
            .fd = -1,
            .limit = MIN(c->max_output, (uint64_t)EXEC_STDERR_TAIL * 2),
            .tail = true,
        };
        *ret = TAKE_PTR(job);
        return 0;
}

/* The direct child always (it may not have called setsid() yet), then its process group. With
 * PIDFD_SIGNAL_PROCESS_GROUP the group is named by the pidfd's struct pid, so this stays
 * right after the child is reaped and its number reused; older kernels fall back to kill(). */
static void job_signal(struct exec_job *job, int sig)
{
        if (job->pidfd >= 0) {
                if (!job->exited)
                        (void)pidfd_send_signal(job->pidfd, sig, NULL, 0);
                if (pidfd_send_signal(job->pidfd, sig, NULL, PIDFD_SIGNAL_PROCESS_GROUP) >= 0 ||
                    errno != EINVAL)
                        return;
        } else if (!job->exited) {
                (void)kill(job->pid, sig);
        }
        (void)kill(-job->pid, sig);
}

/* --- Output --- */

static char scratch[64 * 1024]; /* one thread: where discarded output goes */

static void stream_keep_tail(struct exec_stream *s, const char *data, size_t n)
{
        if (n >= s->limit) {
                memcpy(s->buf, data + n - s->limit, s->limit);
                s->truncated = s->truncated || s->len > 0 || n > s->limit;
                s->len = s->limit;
                return;
        }
        if (s->len + n > s->limit) {
                size_t drop = s->len + n - s->limit;

                memmove(s->buf, s->buf + drop, s->len - drop);
                s->len -= drop;
                s->truncated = true;
        }
        memcpy(s->buf + s->len, data, n);
        s->len += n;
}

/* Makes room in the head buffer, growing it up to limit. */
static int stream_grow(struct exec_stream *s)
{
        size_t cap;
        char *b;

        if (s->len < s->cap)
                return 0;
        cap = MIN(MAX(s->cap * 2, (size_t)16384), s->limit);
        b = realloc(s->buf, cap);
        if (!b)
                return -ENOMEM;
        s->buf = b;
        s->cap = cap;
        return 0;
}

/* One read. Returns 1 at EOF (or on an error, treated alike), 0 after reading, -EAGAIN when the
 * pipe is empty. */
static int stream_read(struct exec_stream *s)
{
        ssize_t n;

        if (s->tail && !s->buf) {
                s->buf = malloc(s->limit);
                if (!s->buf)
                        return 1;
        }
        if (!s->tail && s->len < s->limit) {
                if (stream_grow(s) < 0)
                        return 1;
                n = read(s->fd, s->buf + s->len, s->cap - s->len);
                if (n > 0)
                        s->len += (size_t)n;
        } else {
                /* Past the limit the pipe is still drained, so the child never blocks on it. */
                n = read(s->fd, scratch, sizeof(scratch));
                if (n > 0 && s->tail)
                        stream_keep_tail(s, scratch, (size_t)n);
                else if (n > 0)
                        s->truncated = true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return -EAGAIN;
        return n <= 0;
}

/* Takes what is already in the pipe, without waiting for EOF. */
static void stream_drain(struct exec_stream *s)
{
        /* Bounded: a writer outside the group may still be writing. */
        for (unsigned i = 0; s->fd >= 0 && i < 64; i++)
                if (stream_read(s) != 0)
                        break;
        stream_close(s);
}

static void job_maybe_finish(struct exec_job *job);

static int on_stream(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        struct exec_stream *s = userdata;
        struct exec_job *job = s->job;

        if (stream_read(s) <= 0)
                return 0;
        stream_close(s);
        job_maybe_finish(job);
        return 0;
}

static void stdin_write(struct exec_job *job)
{
        ssize_t n;

        while (job->in_off < job->in_len) {
                n = write(job->fd_in, job->in_data + job->in_off, job->in_len - job->in_off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0)
                        break; /* EPIPE: the program does not read its input */
                job->in_off += (size_t)n;
        }
        stdin_close(job);
}

static int on_stdin(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        stdin_write(userdata);
        return 0;
}

/* --- Completion --- */

static void job_outcome(const struct exec_job *job, struct exec_outcome *o)
{
        *o = (struct exec_outcome){
            .path = job->path,
            .out = job->out.buf ? job->out.buf : "",
            .out_len = job->out.len,
            .out_truncated = job->out.truncated,
            .err = job->err.buf ? job->err.buf : "",
            .err_len = job->err.len,
            .err_truncated = job->err.truncated,
            .exited = job->exit_code == CLD_EXITED,
            .status = job->exit_status,
            .timed_out = job->timed_out,
            .timeout = job->timeout,
            .start_error = job->start_failed ? &job->start_error : NULL,
            .lang = job->lang,
        };
}

static const char *job_audit_outcome(const struct exec_job *job, const struct exec_outcome *o,
                                     bool aborted)
{
        if (aborted)
                return "aborted";
        if (job->mode == JOB_CANCELED)
                return "canceled";
        if (o->start_error)
                return "failed";
        if (o->timed_out)
                return "timeout";
        return o->exited && o->status == 0 ? "completed" : "failed";
}

static void job_audit(const struct exec_job *job, const struct exec_outcome *o, bool aborted)
{
        _cleanup_free_ char *status = exec_status_string(o), *detail = NULL;

        if (asprintf(&detail, "%s; argv: %s", status ? status : "?", strempty(job->audit_argv)) < 0)
                detail = NULL;
        audit_log(&(struct audit_event){
            .requester = job->requester,
            .node = job->node,
            .stage = "exec",
            .outcome = job_audit_outcome(job, o, aborted),
            .duration = now_usec(CLOCK_MONOTONIC) - job->started,
            .detail = detail,
        });
}

static void job_send_outcome(struct exec_job *job, const struct action_result *res)
{
        _cleanup_free_ char *text = NULL;

        if (!job->send_message)
                return;
        if (res)
                text = exec_result_to_text(job->node, res);
        else if (asprintf(&text, l10n(job->lang, "[%s] The outcome is lost: out of memory."),
                          job->node) < 0)
                text = NULL;
        if (text)
                job->send_message(job->agent, job->requester, job->lang, text);
}

static void job_finish(struct exec_job *job)
{
        struct action_result *res = NULL;
        struct action_call *call = job->mode == JOB_REPLY ? job->call : NULL;
        struct exec_outcome o;

        job_outcome(job, &o);
        job_audit(job, &o, false);
        if (job->mode != JOB_CANCELED && exec_build_result(&o, job->output, job->cwd, &res) < 0)
                res = NULL; /* the engine answers internal-server-error */
        if (job->mode == JOB_DETACHED)
                job_send_outcome(job, res);
        if (call)
                call->userdata = NULL;
        job_free(job);
        /* Last: the engine may free the call. */
        if (call)
                action_call_complete(call, TAKE_PTR(res));
        action_result_free(res);
}

/* Done when the child has exited and its output is closed, or once SIGKILL went out. */
static void job_maybe_finish(struct exec_job *job)
{
        if (!job->exited)
                return;
        if (!job->kill_sent && (job->out.fd >= 0 || job->err.fd >= 0))
                return;
        stream_drain(&job->out);
        stream_drain(&job->err);
        job_finish(job);
}

static int on_child(sd_event_source *source, const siginfo_t *si, void *userdata)
{
        struct exec_job *job = userdata;
        struct exec_child_error e;

        /* sd-event reaps the child when this returns. */
        job->exited = true;
        job->exit_code = si->si_code;
        job->exit_status = si->si_status;
        /* Written before the child's _exit(), so it is there now or never. */
        if (job->fd_report >= 0 && read(job->fd_report, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
                job->start_failed = true;
                job->start_error = e;
        }
        job->fd_report = safe_close(job->fd_report);
        stdin_close(job);
        job_maybe_finish(job);
        return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct exec_job *job = userdata;

        if (!job->term_sent) {
                job->timed_out = job->term_sent = true;
                job_signal(job, SIGTERM);
                if (sd_event_source_set_time_relative(source, job->kill_grace) >= 0 &&
                    sd_event_source_set_enabled(source, SD_EVENT_ONESHOT) >= 0)
                        return 0;
        }
        job->kill_sent = true;
        job_signal(job, SIGKILL);
        job_maybe_finish(job);
        return 0;
}

/* --- Start --- */

/* Pipes and /dev/null land above 2, where the child's dup2() cannot clobber them. */
static int fd_above_stdio(int fd)
{
        int n;

        if (fd < 0 || fd > 2)
                return fd;
        n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        n = n < 0 ? -errno : n;
        close(fd);
        return n;
}

static int make_pipe(int fds[2], int nonblock_end)
{
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        fds[0] = fd_above_stdio(fds[0]);
        fds[1] = fd_above_stdio(fds[1]);
        if (fds[0] < 0 || fds[1] < 0) {
                int r = fds[0] < 0 ? fds[0] : fds[1];

                fds[0] = safe_close(fds[0]);
                fds[1] = safe_close(fds[1]);
                return r;
        }
        if (fcntl(fds[nonblock_end], F_SETFL, O_NONBLOCK) < 0) {
                int r = -errno;

                fds[0] = safe_close(fds[0]);
                fds[1] = safe_close(fds[1]);
                return r;
        }
        return 0;
}

/* The child ends of the pipes, closed in the parent once the child has them. */
struct child_fds {
        int in, out, err, report;
};

static void child_fds_close(struct child_fds *f)
{
        f->in = safe_close(f->in);
        f->out = safe_close(f->out);
        f->err = safe_close(f->err);
        f->report = safe_close(f->report);
}

static int job_open_pipes(struct exec_job *job, struct child_fds *cf)
{
        int p[2], r;

        if (job->in_data) {
                r = make_pipe(p, 1);
                if (r < 0)
                        return r;
                cf->in = p[0];
                job->fd_in = p[1];
        } else {
                cf->in = fd_above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
                if (cf->in < 0)
                        return cf->in == -1 ? -errno : cf->in;
        }
        r = make_pipe(p, 0);
        if (r < 0)
                return r;
        job->out.fd = p[0];
        cf->out = p[1];
        r = make_pipe(p, 0);
        if (r < 0)
                return r;
        job->err.fd = p[0];
        cf->err = p[1];
        r = make_pipe(p, 0);
        if (r < 0)
                return r;
        job->fd_report = p[0];
        cf->report = p[1];
        return 0;
}

/* sd-event needs SIGCHLD blocked to watch children; the agent's main() blocks it too. */
static void block_sigchld(void)
{
        sigset_t m;

        sigemptyset(&m);
        sigaddset(&m, SIGCHLD);
        (void)sigprocmask(SIG_BLOCK, &m, NULL);
}

static int max_fd(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
            rl.rlim_cur > 65536)
                return 65536;
        return (int)rl.rlim_cur;
}

/* Called right after fork(): from here on the child must be reaped whatever fails. */
static int job_watch_child(struct exec_job *job)
{
        int r;

        /* With WEXITED alone, sd-event watches a pidfd (and owns it) where the kernel has them. */
        r = sd_event_add_child(job->event, &job->child, job->pid, WEXITED, on_child, job);
        if (r >= 0) {
                int fd = sd_event_source_get_child_pidfd(job->child);

                job->pidfd = fd >= 0 ? fd : -1;
                return 0;
        }
        /* Cannot watch it: kill it and reap it now (bounded: SIGKILL cannot be caught). */
        (void)kill(-job->pid, SIGKILL);
        (void)kill(job->pid, SIGKILL);
        (void)waitpid(job->pid, NULL, 0);
        job->exited = true;
        return r;
}

static int job_add_sources(struct exec_job *job)
{
        int r;

        r = sd_event_add_io(job->event, &job->out.source, job->out.fd, EPOLLIN, on_stream,
                            &job->out);
        if (r >= 0)
                r = sd_event_add_io(job->event, &job->err.source, job->err.fd, EPOLLIN, on_stream,
                                    &job->err);
        if (r >= 0 && job->fd_in >= 0)
                r = sd_event_add_io(job->event, &job->in_source, job->fd_in, EPOLLOUT, on_stdin,
                                    job);
        if (r >= 0)
                r = sd_event_add_time_relative(job->event, &job->timer, CLOCK_MONOTONIC,
                                               job->timeout, 1, on_timer, job);
        return r;
}

static int job_prepare(struct exec_job *job, const struct exec_config *c,
                       const struct template_vars *vars, char ***ret_argv, char ***ret_envp)
{
        _cleanup_strv_free_ char **masked = NULL;
        int r;

        r = exec_expand_argv(c, vars, false, ret_argv);
        if (r >= 0)
                r = exec_expand_argv(c, vars, true, &masked);
        if (r >= 0) {
                job->audit_argv = exec_argv_quote(masked);
                r = job->audit_argv ? 0 : -ENOMEM;
        }
        if (r >= 0)
                r = exec_build_env(c, vars, ret_envp);
        if (r >= 0 && c->stdin_tpl) {
                r = template_expand(c->stdin_tpl, vars, &job->in_data);
                job->in_len = job->in_data ? strlen(job->in_data) : 0;
        }
        return r;
}

static int job_spawn(struct exec_job *job, const struct exec_config *c,
                     const struct template_vars *vars)
{
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        struct child_fds cf = {-1, -1, -1, -1};
        pid_t pid;
        int r;

        r = job_prepare(job, c, vars, &argv, &envp);
        if (r >= 0)
                r = job_open_pipes(job, &cf);
        if (r < 0) {
                child_fds_close(&cf);
                return r;
        }
        /* Whatever fits in the pipe is written now, while we still hold its read end. */
        if (job->fd_in >= 0)
                stdin_write(job);
        block_sigchld();
        job->started = now_usec(CLOCK_MONOTONIC);
        pid = exec_fork(&(const struct exec_spawn){
            .argv = argv,
            .envp = envp,
            .cwd = c->cwd,
            .set_ids = c->set_ids,
            .uid = c->uid,
            .gid = c->gid,
            .groups = c->groups,
            .n_groups = c->n_groups,
            .fd_in = cf.in,
            .fd_out = cf.out,
            .fd_err = cf.err,
            .fd_report = cf.report,
            .max_fd = max_fd(),
        });
        child_fds_close(&cf);
        if (pid < 0)
                return log_error_errno((int)pid, "exec: cannot fork for %s: %m", job->path);
        job->pid = pid;
        r = job_watch_child(job);
        if (r >= 0)
                r = job_add_sources(job);
        return r;
}

/* Returns 1 with a refusal when a limit is reached. */
static int check_limits(const struct action_call *call, const struct exec_config *c,
                        struct action_result **ret)
{
        const char *bare = call->requester_bare ? call->requester_bare : strempty(call->requester);
        unsigned n_node = 0, n_requester = 0, n_all = 0, share = (global_max + 1) / 2;
        _cleanup_(action_result_freep) struct action_result *res = NULL;
        int r;

        for (struct exec_job *j = jobs; j; j = j->next) {
                n_all++;
                n_node += streq(j->node, strempty(call->node));
                n_requester += streq(j->requester_bare, bare);
        }
        if (n_node < c->max_concurrent && n_requester < share && n_all < global_max)
                return 0;
        res = action_result_new();
        if (!res)
                return -ENOMEM;
        res->error = -EBUSY;
        if (n_node >= c->max_concurrent)
                r = action_result_add_note(res, NOTE_ERROR,
                                           l10n(call->lang, "This command is already running (at "
                                                            "most %u at a time); try again later."),
                                           c->max_concurrent);
        else if (n_requester >= share)
                r = action_result_add_note(
                    res, NOTE_ERROR,
                    l10n(call->lang, "You already run %u programs, your share of the %u allowed at "
                                     "once; try again when one has finished."),
                    n_requester, global_max);
        else
                r = action_result_add_note(
                    res, NOTE_ERROR,
                    l10n(call->lang,
                         "Too many programs are running (%u at most); try again later."),
                    global_max);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(res);
        return 1;
}

static int complete_started(struct action_call *call)
{
        struct action_result *res = action_result_new();

        if (!res)
                return -ENOMEM;
        if (action_result_add_note(
                res, NOTE_INFO, "%s",
                l10n(call->lang, "Started; the outcome will be sent as a message.")) < 0) {
                action_result_free(res);
                return -ENOMEM;
        }
        action_call_complete(call, res);
        return 0;
}

static void job_cancel(struct exec_job *job);

static int exec_start(struct action_call *call)
{
        const struct exec_config *c = call->cfg;
        _cleanup_(job_freep) struct exec_job *job = NULL;
        struct action_result *refusal = NULL;
        const struct template_vars vars = action_call_vars(call);
        struct exec_job *j;
        int r;

        r = check_limits(call, c, &refusal);
        if (r < 0)
                return r;
        if (r > 0) {
                log_info("exec: %s for %s refused: %s", strempty(call->node),
                         strempty(call->requester), refusal->notes[0].text);
                action_call_complete(call, refusal);
                return 0;
        }
        r = job_new(call, c, &job);
        if (r < 0)
                return r;
        r = job_spawn(job, c, &vars);
        if (r < 0 && !job->pid)
                return r;
        j = TAKE_PTR(job);
        j->next = jobs;
        if (jobs)
                jobs->prev = j;
        jobs = j;
        if (r < 0) {
                /* Started but not watched completely: kill it, the child source reaps it. */
                job_cancel(j);
                return r;
        }
        if (!c->detach) {
                j->call = call;
                call->userdata = j;
                return 0;
        }
        j->mode = JOB_DETACHED;
        r = complete_started(call);
        if (r < 0)
                job_cancel(j);
        return r;
}

/* --- Cancel and shutdown --- */

static void job_cancel(struct exec_job *job)
{
        if (job->call)
                job->call->userdata = NULL;
        job->call = NULL;
        job->mode = JOB_CANCELED;
        job->kill_sent = true;
        job_signal(job, SIGKILL);
        stream_close(&job->out);
        stream_close(&job->err);
        stdin_close(job);
        job->timer = sd_event_source_disable_unref(job->timer);
        job_maybe_finish(job);
}

static void exec_cancel(struct action_call *call)
{
        struct exec_job *job = call->userdata;

        if (job)
                job_cancel(job);
}

/* The loop is ending: kill what is left and reap it here. This waits, but only for processes
 * that were just sent SIGKILL. Detached requesters are told. */
static void exec_shutdown(void)
{
        while (jobs) {
                struct exec_job *job = jobs;
                struct exec_outcome o;
                siginfo_t si = {0};

                job->kill_sent = true;
                job_signal(job, SIGKILL);
                if (!job->exited && waitid(P_PID, (id_t)job->pid, &si, WEXITED) >= 0) {
                        job->exit_code = si.si_code;
                        job->exit_status = si.si_status;
                }
                job->exited = true;
                job_outcome(job, &o);
                job_audit(job, &o, true);
                if (job->mode == JOB_DETACHED && job->send_message) {
                        char *text;

                        if (asprintf(&text,
                                     l10n(job->lang, "[%s] Interrupted: the agent is stopping."),
                                     job->node) >= 0) {
                                job->send_message(job->agent, job->requester, job->lang, text);
                                free(text);
                        }
                }
                if (job->call)
                        job->call->userdata = NULL;
                job_free(job);
        }
}

static void exec_free_cfg(void *cfg)
{
        exec_config_free(cfg);
}

const struct action_ops exec_action = {
    .key = "exec",
    .parse = exec_config_parse,
    .free_cfg = exec_free_cfg,
    .start = exec_start,
    .cancel = exec_cancel,
    .shutdown = exec_shutdown,
};
