/* SPDX-License-Identifier: MIT */
/*
 * Start-up time, with the server already running: the bench logs in as a contact subscribed
 * to the agent's presence, starts the agent itself (the command line after "--"), and takes
 * the time from just before fork() to
 *   - the agent's available presence (it is online: connected, authenticated, roster read),
 *   - the answer to a reply command sent as soon as that presence arrives.
 * The agent is then stopped with SIGTERM, and the round repeats --count times.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define ROUND_TIMEOUT_S 60

struct startup {
        const struct bench_opts *o;
        char agent_bare[256];
        char online_jid[512]; /* set by the first available presence of the agent */
};

static void on_presence(struct bench_pool *p, xmpp_stanza_t *st)
{
        struct startup *s = p->data;
        const char *from = xmpp_stanza_get_from(st);
        size_t n = strlen(s->agent_bare);

        if (!from || xmpp_stanza_get_type(st) || strncmp(from, s->agent_bare, n) != 0 ||
            from[n] != '/' || s->online_jid[0])
                return;
        snprintf(s->online_jid, sizeof(s->online_jid), "%s", from);
}

/* The agent, in a new process that dies with the bench. */
static pid_t spawn_agent(const struct bench_opts *o)
{
        int fd = open(o->log_file ? o->log_file : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        pid_t pid;

        if (fd < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close(fd);
                return -errno;
        }
        if (pid == 0) {
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                (void)dup2(fd, STDOUT_FILENO);
                (void)dup2(fd, STDERR_FILENO);
                execv(o->argv[0], o->argv);
                _exit(127);
        }
        close(fd);
        return pid;
}

/* SIGTERM, then waits for the exit while the connection keeps being served. */
static int stop_agent(struct bench_pool *p, pid_t pid)
{
        uint64_t deadline = bench_now_ns() + 15 * NSEC_PER_SEC;
        int status;

        (void)kill(pid, SIGTERM);
        while (waitpid(pid, &status, WNOHANG) == 0) {
                if (bench_now_ns() > deadline) {
                        (void)kill(pid, SIGKILL);
                        (void)waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
                bench_pool_run(p, 10);
        }
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int one_round(struct bench_opts *o, struct bench_pool *p, struct startup *s,
                     struct bench_samples *presence, struct bench_samples *answer)
{
        uint64_t t0, deadline, t_online;
        xmpp_stanza_t *reply = NULL;
        char body[512];
        pid_t pid, exited = 0;
        int r;

        s->online_jid[0] = 0;
        t0 = bench_now_ns();
        deadline = t0 + ROUND_TIMEOUT_S * NSEC_PER_SEC;
        pid = spawn_agent(o);
        if (pid < 0)
                return bench_warn("cannot start %s: %s", o->argv[0], strerror((int)-pid)), (int)pid;
        while (!s->online_jid[0] && bench_now_ns() < deadline &&
               (exited = waitpid(pid, NULL, WNOHANG)) == 0)
                bench_pool_run(p, 1);
        if (!s->online_jid[0]) {
                if (exited == 0)
                        (void)stop_agent(p, pid);
                return bench_warn("the agent did not come online (see %s)", strempty(o->log_file)),
                       -ETIMEDOUT;
        }
        t_online = bench_now_ns();
        snprintf(body, sizeof(body), "<command xmlns='%s' node='%s' action='execute'/>",
                 NS_COMMANDS, o->node);
        r = bench_call(&p->conns[0], "set", s->online_jid, body, ROUND_TIMEOUT_S, &reply);
        if (r >= 0 && !bench_command_of(reply, "completed")) {
                bench_dump_unexpected("the first command", reply);
                r = -EPROTO;
        }
        if (r >= 0) {
                (void)bench_samples_add(presence, t_online - t0);
                (void)bench_samples_add(answer, bench_now_ns() - t0);
                bench_trace(o, "online after %.1f ms, first answer after %.1f ms",
                            (double)(t_online - t0) / NSEC_PER_MSEC,
                            (double)(bench_now_ns() - t0) / NSEC_PER_MSEC);
        }
        if (reply)
                xmpp_stanza_release(reply);
        if (stop_agent(p, pid) < 0)
                bench_warn("the agent did not exit cleanly after SIGTERM");
        return r;
}

int scenario_startup(struct bench_opts *o)
{
        _cleanup_(bench_pool_freep) struct bench_pool *pool = NULL;
        struct bench_samples presence = {0}, answer = {0};
        struct startup s = {.o = o};
        uint64_t errors = 0;
        int r;

        if (!o->argv || !o->argv[0] || !o->node || !o->to)
                return bench_warn("startup needs --to AGENT-BARE-JID, --node and -- COMMAND..."),
                       -EINVAL;
        snprintf(s.agent_bare, sizeof(s.agent_bare), "%s", o->to);
        r = bench_pool_new(o, 1, true, &pool);
        if (r < 0)
                return r;
        pool->data = &s;
        pool->on_presence = on_presence;
        r = bench_pool_connect(pool, 60);
        if (r < 0)
                return r;
        /* Whatever presence the server still had to deliver comes now, not in a round. */
        for (uint64_t end = bench_now_ns() + NSEC_PER_SEC / 2; bench_now_ns() < end;)
                bench_pool_run(pool, 10);
        for (uint64_t i = 0; i < (o->count ? o->count : 5); i++) {
                r = one_round(o, pool, &s, &presence, &answer);
                if (r < 0)
                        errors++;
                if (r == -ETIMEDOUT)
                        break;
        }
        bench_emit(o, "errors", "%llu", (unsigned long long)errors);
        bench_samples_emit(o, "online", &presence);
        bench_samples_emit(o, "first_answer", &answer);
        bench_samples_done(&presence);
        bench_samples_done(&answer);
        return errors > 0 ? 1 : 0;
}
