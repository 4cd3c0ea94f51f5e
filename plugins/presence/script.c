/* SPDX-License-Identifier: MIT */
/*
 * The probe script: presence.probes.script {argv, timeout}. It runs as a child of the loop,
 * never waited for synchronously: sd_event_add_child() for its exit, non-blocking pipes for
 * its stdout and stderr, a timer that kills its whole process group. It gets a clean
 * environment, stdin from /dev/null, "/" as working directory and no fd above 2. Its stdout
 * is KEY=VALUE lines; anything else fails the whole run (its values become unknown).
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "presence-internal.h"

#define OUT_MAX         (64 * 1024)
#define ERR_MAX         512
#define VALUE_MAX       256
#define SCRIPT_MAX_KEYS 128

struct presence_script {
        sd_event *event;
        pid_t pid;
        bool exited;
        siginfo_t si;
        sd_event_source *child, *out_io, *err_io, *timer, *finish;
        int out_fd, err_fd;
        char *out;
        size_t out_len;
        char err[ERR_MAX + 1];
        size_t err_len;
        usec_t timeout;
        bool timed_out, overflow;
        presence_script_done_t done;
        void *userdata;
};

int presence_script_parse_output(const char *out, size_t len, struct presence_values *v,
                                 unsigned *ret_line)
{
        _cleanup_free_ char *copy = NULL;
        char *line, *next;
        unsigned n = 0;

        if (memchr(out, '\0', len)) {
                *ret_line = 0;
                return -EINVAL;
        }
        copy = strndup(out, len);
        if (!copy)
                return -ENOMEM;
        for (line = copy; line; line = next) {
                char *eq, *end;
                int r;

                n++;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                end = line + strlen(line);
                if (end > line && end[-1] == '\r')
                        *--end = '\0';
                if (line[strspn(line, " \t")] == '\0')
                        continue;
                eq = strchr(line, '=');
                if (!eq || v->n >= SCRIPT_MAX_KEYS)
                        goto bad;
                *eq = '\0';
                if (!presence_script_key_is_valid(line) || strlen(eq + 1) > VALUE_MAX ||
                    !utf8_is_clean(eq + 1, false))
                        goto bad;
                r = presence_values_set(v, line, eq + 1);
                if (r < 0)
                        return r;
        }
        return 0;
bad:
        *ret_line = n;
        return -EINVAL;
}

static void close_pipe(sd_event_source **src, int *fd)
{
        *src = sd_event_source_disable_unref(*src);
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

struct presence_script *presence_script_free(struct presence_script *s)
{
        if (!s)
                return NULL;
        /* The whole group: the script's own children too. The child source (owning the
         * process) then kills and reaps the script itself. */
        if (!s->exited && s->pid > 0)
                (void)kill(-s->pid, SIGKILL);
        sd_event_source_disable_unref(s->child);
        sd_event_source_disable_unref(s->timer);
        sd_event_source_disable_unref(s->finish);
        close_pipe(&s->out_io, &s->out_fd);
        close_pipe(&s->err_io, &s->err_fd);
        sd_event_unref(s->event);
        free(s->out);
        free(s);
        return NULL;
}

static void first_line(char *s)
{
        s[strcspn(s, "\n")] = '\0';
}

static int on_finish(sd_event_source *src, void *userdata)
{
        struct presence_script *s = userdata;
        struct presence_values v = {0};
        _cleanup_free_ char *error = NULL;
        unsigned line = 0;
        int r = 0;

        s->err[s->err_len] = '\0';
        first_line(s->err);
        if (s->timed_out)
                r = asprintf(&error, "timed out after %.1fs", (double)s->timeout / USEC_PER_SEC);
        else if (s->overflow)
                r = asprintf(&error, "printed more than %u bytes", OUT_MAX);
        else if (s->si.si_code == CLD_EXITED && s->si.si_status != 0)
                r = asprintf(&error, "exited with status %d%s%s", s->si.si_status,
                             *s->err ? ": " : "", s->err);
        else if (s->si.si_code != CLD_EXITED)
                r = asprintf(&error, "killed by signal %s", strsignal(s->si.si_status));
        else if ((r = presence_script_parse_output(s->out, s->out_len, &v, &line)) == -EINVAL)
                r = line ? asprintf(&error, "output line %u is not KEY=VALUE", line)
                         : asprintf(&error, "output holds a NUL byte");
        if (r < 0 || error)
                presence_values_done(&v);
        /* May free s: nothing below touches it. */
        s->done(s, &v, error ? error : r < 0 ? "out of memory" : NULL, s->userdata);
        presence_values_done(&v);
        return 0;
}

static void read_some(struct presence_script *s, int fd, bool *ret_eof)
{
        char buf[4096];

        *ret_eof = false;
        for (;;) {
                ssize_t k = read(fd, buf, sizeof(buf));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        *ret_eof = k == 0 || errno != EAGAIN;
                        return;
                }
                if (fd == s->err_fd) {
                        size_t keep =
                            (size_t)k < ERR_MAX - s->err_len ? (size_t)k : ERR_MAX - s->err_len;
                        memcpy(s->err + s->err_len, buf, keep);
                        s->err_len += keep;
                        continue;
                }
                if (s->out_len + (size_t)k > OUT_MAX) {
                        /* Stop it now rather than buffer without end. */
                        s->overflow = true;
                        if (!s->exited)
                                (void)kill(-s->pid, SIGKILL);
                        *ret_eof = true;
                        return;
                }
                memcpy(s->out + s->out_len, buf, (size_t)k);
                s->out_len += (size_t)k;
        }
}

static void drain(struct presence_script *s, int fd)
{
        bool eof;

        if (fd < 0)
                return;
        read_some(s, fd, &eof);
        if (!eof)
                return;
        if (fd == s->out_fd)
                close_pipe(&s->out_io, &s->out_fd);
        else
                close_pipe(&s->err_io, &s->err_fd);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        drain(userdata, fd);
        return 0;
}

static int on_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
        struct presence_script *s = userdata;

        s->timed_out = true;
        if (!s->exited)
                (void)kill(-s->pid, SIGKILL);
        return 0;
}

static int on_child_exit(sd_event_source *src, const siginfo_t *si, void *userdata)
{
        struct presence_script *s = userdata;

        s->exited = true;
        s->si = *si;
        /* All it wrote is in the pipes now: read it, then kill what it left behind in its
         * group. Its pid, a zombie until this returns, keeps the group id from being reused. */
        drain(s, s->out_fd);
        drain(s, s->err_fd);
        (void)kill(-s->pid, SIGKILL);
        /* What stragglers wrote after the script's end is not its output. */
        close_pipe(&s->out_io, &s->out_fd);
        close_pipe(&s->err_io, &s->err_fd);
        s->timer = sd_event_source_disable_unref(s->timer);
        /* Report once sd-event has reaped the child, from a fresh dispatch: the callback may
         * free everything. */
        return sd_event_add_defer(s->event, &s->finish, on_finish, s);
}

static int spawn(char *const *argv, int out_fd, int err_fd, pid_t *ret)
{
        static char *const envp[] = {
            (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            (char *)"LC_ALL=C",
            NULL,
        };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int r;

        sigemptyset(&none);
        sigfillset(&all);
        r = posix_spawn_file_actions_init(&fa);
        if (r)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        if (!(r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
            !(r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1)) &&
            !(r = posix_spawn_file_actions_adddup2(&fa, err_fd, 2)) &&
            !(r = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) &&
            !(r = posix_spawn_file_actions_addchdir_np(&fa, "/")) &&
            /* Its own group, so that a timeout kills its children too; the signals the
             * daemon blocks (SIGCHLD, SIGTERM...) or ignores (SIGPIPE) back to normal. */
            !(r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                      POSIX_SPAWN_SETSIGDEF)) &&
            !(r = posix_spawnattr_setpgroup(&attr, 0)) &&
            !(r = posix_spawnattr_setsigmask(&attr, &none)) &&
            !(r = posix_spawnattr_setsigdefault(&attr, &all)))
                r = posix_spawn(ret, argv[0], &fa, &attr, argv, envp);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}

static int make_pipe(int fds[2])
{
        /* Only our end is non-blocking: the script writes with ordinary blocking writes. */
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
                int r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        return 0;
}

static int watch(struct presence_script *s, usec_t timeout)
{
        int r;

        r = sd_event_add_child(s->event, &s->child, s->pid, WEXITED, on_child_exit, s);
        if (r < 0)
                return r;
        /* Freeing the source kills and reaps the script. */
        r = sd_event_source_set_child_process_own(s->child, true);
        if (r >= 0)
                r = sd_event_add_io(s->event, &s->out_io, s->out_fd, EPOLLIN, on_io, s);
        if (r >= 0)
                r = sd_event_add_io(s->event, &s->err_io, s->err_fd, EPOLLIN, on_io, s);
        if (r >= 0)
                r = sd_event_add_time_relative(s->event, &s->timer, CLOCK_MONOTONIC, timeout, 0,
                                               on_timeout, s);
        return r;
}

int presence_script_start(sd_event *event, char *const *argv, usec_t timeout,
                          presence_script_done_t done, void *userdata, struct presence_script **ret)
{
        _cleanup_(presence_script_freep) struct presence_script *s = NULL;
        int out[2], err[2], r;

        s = zalloc(sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->out_fd = s->err_fd = -1;
        s->event = sd_event_ref(event);
        s->done = done;
        s->userdata = userdata;
        s->timeout = timeout;
        s->out = malloc(OUT_MAX);
        if (!s->out)
                return -ENOMEM;
        r = make_pipe(out);
        if (r < 0)
                return r;
        r = make_pipe(err);
        if (r < 0) {
                close(out[0]);
                close(out[1]);
                return r;
        }
        s->out_fd = out[0];
        s->err_fd = err[0];
        r = spawn(argv, out[1], err[1], &s->pid);
        close(out[1]);
        close(err[1]);
        if (r < 0)
                return r;
        r = watch(s, timeout);
        if (r < 0 && !s->child) {
                /* Not watched (SIGCHLD not blocked?): the only way left to reap it. */
                (void)kill(-s->pid, SIGKILL);
                (void)waitpid(s->pid, NULL, 0);
                s->exited = true;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}
