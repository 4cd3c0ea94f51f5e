/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The "exec:" action, shared between its files:
 *   exec-config.c  the YAML configuration and its checks;
 *   exec-spawn.c   argv/environment expansion and the child's setup up to execve();
 *   exec-run.c     the job on the loop: limits, pipes, timers, reaping, cancel, shutdown;
 *   exec-output.c  turning what the program printed into notes, a text field or a table.
 */
#include <sys/types.h>

#include "action.h"
#include "l10n.h"
#include "template.h"

#define EXEC_DEFAULT_PATH       "/usr/local/bin:/usr/bin:/bin"
#define EXEC_DEFAULT_TIMEOUT    (30 * USEC_PER_SEC)
#define EXEC_DEFAULT_KILL_GRACE (3 * USEC_PER_SEC)
#define EXEC_DEFAULT_MAX_OUTPUT (64 * 1024)
#define EXEC_MAX_MAX_OUTPUT     (16 * 1024 * 1024)
#define EXEC_MAX_TIMEOUT        (7 * 24 * 3600 * USEC_PER_SEC)
#define EXEC_DEFAULT_GLOBAL_MAX 8
#define EXEC_STDERR_TAIL        2048        /* bytes of stderr shown with a failure */
#define EXEC_MAX_FIELD_ENV      (64 * 1024) /* bigger fields are not put in ADHOCD_FIELD_* */
#define EXEC_TRUNCATED_MARKER   "[\xe2\x80\xa6 truncated]"
#define EXEC_MASK               "***"

enum exec_output { EXEC_OUTPUT_NOTE, EXEC_OUTPUT_TEXT, EXEC_OUTPUT_TABLE };

struct exec_env {
        char *name;
        char *value; /* a template */
};

struct exec_config {
        char **argv; /* templates; argv[0] is a literal absolute path */
        usec_t timeout;
        usec_t kill_grace;
        struct exec_env *env;
        size_t n_env;
        char *cwd;
        char *stdin_tpl; /* NULL: stdin is /dev/null */
        enum exec_output output;
        uint64_t max_output;
        unsigned max_concurrent;
        bool detach;
        /* Privileges to drop to in the child (only when the agent runs as root). */
        bool set_ids;
        uid_t uid; /* (uid_t)-1: keep */
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
};

void exec_config_free(struct exec_config *c);
int exec_config_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                      struct diags *d);

/* What the child needs, prepared before fork() so that the child only makes system calls. */
struct exec_spawn {
        char **argv;
        char **envp;
        const char *cwd;
        bool set_ids;
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        int fd_in, fd_out, fd_err; /* become 0, 1, 2 in the child */
        int fd_report;             /* CLOEXEC; receives a struct exec_child_error */
        int max_fd;                /* for the close() fallback without close_range() */
};

enum exec_stage { EXEC_STAGE_SETUP, EXEC_STAGE_CHDIR, EXEC_STAGE_IDS, EXEC_STAGE_EXEC };

/* Written by the child to fd_report when it fails before or in execve(). */
struct exec_child_error {
        int stage; /* enum exec_stage */
        int error; /* errno */
};

/* Expands the argv templates; with mask, values of text-private fields become "***". */
int exec_expand_argv(const struct exec_config *c, const struct template_vars *vars, bool mask,
                     char ***ret);
/* Builds the clean environment of the child. */
int exec_build_env(const struct exec_config *c, const struct template_vars *vars, char ***ret);
/* The ADHOCD_FIELD_<VAR> name of a field; NULL on OOM. */
char *exec_field_env_name(const char *var);
/* Forks the child; returns its pid, or a negative errno when fork() fails. */
pid_t exec_fork(const struct exec_spawn *sp);

/* Outcome of a finished job, for exec-output.c. */
struct exec_outcome {
        const char *path; /* argv[0] */
        const char *out;  /* stdout, the first max_output bytes */
        size_t out_len;
        bool out_truncated;
        const char *err; /* stderr, the last bytes */
        size_t err_len;
        bool err_truncated;
        bool exited; /* si_code: CLD_EXITED */
        int status;  /* exit status or signal number */
        bool timed_out;
        usec_t timeout;
        const struct exec_child_error *start_error; /* NULL: the program started */
        const char *lang;                           /* of the notes (l10n()); NULL: English */
};

/* Replaces invalid UTF-8 and control characters (but \t and \n) by '?' and drops \r, so the
 * text fits in XML; never longer than the input. */
char *exec_text_sanitize(const char *s, size_t len);
/* Builds the result the requester sees. */
int exec_build_result(const struct exec_outcome *o, enum exec_output mode, const char *cwd,
                      struct action_result **ret);
/* Renders a result as a chat message (for detach: true). */
char *exec_result_to_text(const char *node, const struct action_result *r);
/* "exit 3", "signal SIGKILL", "not started (ENOENT)": the status for the audit line. */
char *exec_status_string(const struct exec_outcome *o);
/* The argv for the audit line: each element in double quotes, escaped. */
char *exec_argv_quote(char *const *argv);
/* "30 s", "200 ms". */
char *exec_format_duration(usec_t u);

/* For tests: jobs (running or being reaped) that the backend still tracks. */
unsigned exec_jobs_count(void);
