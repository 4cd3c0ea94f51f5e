/* SPDX-License-Identifier: MIT */
/*
 * Preparing and starting the child of an "exec:" action. Everything that allocates (argv, the
 * environment) happens before fork(): between fork() and execve() the child only makes system
 * calls, which keeps it safe whatever state the agent's allocator or locks were in.
 */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "exec.h"

/* Secret values become "***", one per value, so "{x...}" keeps its number of arguments. */
static int mask_values(const struct form_values *src, struct form_values *ret)
{
        for (size_t i = 0; src && i < src->n; i++) {
                _cleanup_strv_free_ char **l = NULL;
                const struct form_value *v = &src->v[i];
                int r;

                if (!v->secret) {
                        r = form_values_set(ret, v->var, v->values, false);
                        if (r < 0)
                                return r;
                        continue;
                }
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                for (size_t k = 0; v->values && v->values[k]; k++)
                        if (strv_extend(&l, EXEC_MASK) < 0)
                                return -ENOMEM;
                r = form_values_set(ret, v->var, l, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

int exec_expand_argv(const struct exec_config *c, const struct template_vars *vars, bool mask,
                     char ***ret)
{
        _cleanup_(form_values_done) struct form_values masked = {0};
        _cleanup_strv_free_ char **argv = NULL;
        struct template_vars v = *vars;
        int r;

        if (mask) {
                r = mask_values(vars->values, &masked);
                if (r < 0)
                        return r;
                v.values = &masked;
        }
        /* argv[0] is literal (checked at parse time): it is never expanded. */
        r = strv_extend(&argv, c->argv[0]);
        for (size_t i = 1; r >= 0 && c->argv[i]; i++)
                r = template_expand_argv(c->argv[i], &v, &argv);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

char *exec_field_env_name(const char *var)
{
        char *s;

        if (asprintf(&s, "ADHOCD_FIELD_%s", var) < 0)
                return NULL;
        for (char *p = s + strlen("ADHOCD_FIELD_"); *p; p++) {
                if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 'a' + 'A');
                else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                        *p = '_';
        }
        return s;
}

static bool env_has(char *const *env, const char *name)
{
        size_t len = strlen(name);

        STRV_FOREACH (e, (char **)env)
                if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
                        return true;
        return false;
}

static int env_add(char ***env, const char *name, const char *value)
{
        char *s;

        if (asprintf(&s, "%s=%s", name, strempty(value)) < 0)
                return -ENOMEM;
        return strv_consume(env, s);
}

/* Several values are passed one per line, as a text-multi field holds them. A value too big
 * for the environment (the kernel refuses strings over 128 KiB with E2BIG) is left out rather
 * than failing the run: such input belongs on stdin. */
static int env_add_field(char ***env, const struct form_value *v)
{
        _cleanup_free_ char *name = exec_field_env_name(v->var), *value = NULL;
        size_t len = 0;

        if (!name)
                return -ENOMEM;
        if (env_has(*env, name))
                return 0;
        for (size_t i = 0; v->values && v->values[i]; i++)
                len += strlen(v->values[i]) + 1;
        if (len > EXEC_MAX_FIELD_ENV)
                return 0;
        value = zalloc(len + 1);
        if (!value)
                return -ENOMEM;
        for (size_t i = 0; v->values && v->values[i]; i++) {
                if (i > 0)
                        strcat(value, "\n");
                strcat(value, v->values[i]);
        }
        return env_add(env, name, value);
}

int exec_build_env(const struct exec_config *c, const struct template_vars *vars, char ***ret)
{
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
        bool has_path = false;
        int r = 0;

        if (!env)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_env; i++)
                has_path = has_path || streq(c->env[i].name, "PATH");
        if (!has_path)
                r = env_add(&env, "PATH", EXEC_DEFAULT_PATH);
        for (size_t i = 0; r >= 0 && i < c->n_env; i++) {
                _cleanup_free_ char *value = NULL;

                r = template_expand(c->env[i].value, vars, &value);
                if (r >= 0)
                        r = env_add(&env, c->env[i].name, value);
        }
        if (r >= 0)
                r = env_add(&env, "ADHOCD_REQUESTER", vars->from_bare);
        if (r >= 0)
                r = env_add(&env, "ADHOCD_REQUESTER_FULL", vars->from);
        if (r >= 0)
                r = env_add(&env, "ADHOCD_NODE", vars->node);
        if (r >= 0 && vars->lang)
                r = env_add(&env, "ADHOCD_LANG", vars->lang);
        for (size_t i = 0; r >= 0 && vars->values && i < vars->values->n; i++)
                r = env_add_field(&env, &vars->values->v[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

/* --- The child, between fork() and execve(): system calls only. --- */

_Noreturn static void child_fail(const struct exec_spawn *sp, enum exec_stage stage, int error)
{
        struct exec_child_error e = {.stage = stage, .error = error};

        (void)!write(sp->fd_report, &e, sizeof(e));
        _exit(127);
}

/* The agent blocks SIGTERM/SIGINT/SIGHUP/SIGCHLD for sd-event and ignores SIGPIPE; the
 * program must start with defaults. Dispositions first, so pending signals act by default. */
static void child_reset_signals(void)
{
        struct sigaction sa = {.sa_handler = SIG_DFL};
        sigset_t none;

        for (int sig = 1; sig < _NSIG; sig++)
                (void)sigaction(sig, &sa, NULL); /* fails harmlessly for KILL, STOP, libc's own */
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_close_fds(const struct exec_spawn *sp)
{
        int r = 0;

        /* fd_report stays open until execve() closes it (CLOEXEC). */
        if (sp->fd_report > 3)
                r = close_range(3, (unsigned)sp->fd_report - 1, 0);
        if (r >= 0)
                r = close_range((unsigned)sp->fd_report + 1, ~0U, 0);
        if (r >= 0)
                return;
        /* Kernels before 5.9. */
        for (int fd = 3; fd < sp->max_fd; fd++)
                if (fd != sp->fd_report)
                        (void)close(fd);
}

static void child_drop_privileges(const struct exec_spawn *sp)
{
        /* Groups first: once the uid is dropped, they could no longer be changed. */
        if (setgroups(sp->n_groups, sp->groups) < 0)
                child_fail(sp, EXEC_STAGE_IDS, errno);
        if (setgid(sp->gid) < 0)
                child_fail(sp, EXEC_STAGE_IDS, errno);
        if (sp->uid != (uid_t)-1 && setuid(sp->uid) < 0)
                child_fail(sp, EXEC_STAGE_IDS, errno);
}

_Noreturn static void child_exec(const struct exec_spawn *sp)
{
        child_reset_signals();
        /* Its own session and process group: a timeout kills the whole group. */
        if (setsid() < 0)
                child_fail(sp, EXEC_STAGE_SETUP, errno);
        if (dup2(sp->fd_in, 0) < 0 || dup2(sp->fd_out, 1) < 0 || dup2(sp->fd_err, 2) < 0)
                child_fail(sp, EXEC_STAGE_SETUP, errno);
        child_close_fds(sp);
        if (chdir(sp->cwd) < 0)
                child_fail(sp, EXEC_STAGE_CHDIR, errno);
        if (sp->set_ids)
                child_drop_privileges(sp);
        execve(sp->argv[0], sp->argv, sp->envp);
        child_fail(sp, EXEC_STAGE_EXEC, errno);
}

pid_t exec_fork(const struct exec_spawn *sp)
{
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_exec(sp);
        return pid;
}
