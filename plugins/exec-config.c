/* SPDX-License-Identifier: MIT */
/*
 * The configuration of the "exec:" action:
 *
 *   exec:
 *     argv: [/usr/local/bin/backup, --target, "{target}", "{paths...}"]
 *     timeout: 30s          kill_grace: 3s
 *     env: {LANG: C.UTF-8}  cwd: /            stdin: "{notes}"
 *     output: note          max_output: 64KiB  max_concurrent: 1
 *     detach: false         user: backup       group: backup
 *
 * Besides syntax, parsing looks at the system in two places, because a policy that cannot work
 * must be refused by --check-config: argv[0] must be an executable file, and user:/group: are
 * resolved to ids (and the user's supplementary groups) once, here.
 */
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"

static const char *const exec_keys[] = {
    "argv",       "timeout",        "kill_grace", "env",  "cwd",   "stdin", "output",
    "max_output", "max_concurrent", "detach",     "user", "group", NULL,
};

void exec_config_free(struct exec_config *c)
{
        if (!c)
                return;
        strv_free(c->argv);
        for (size_t i = 0; i < c->n_env; i++) {
                free(c->env[i].name);
                free(c->env[i].value);
        }
        free(c->env);
        free(c->cwd);
        free(c->stdin_tpl);
        free(c->groups);
        free(c);
}

/* argv[0] is what runs: a literal absolute path to an executable regular file. */
static int check_program(const struct ynode *n, const char *path, struct diags *d)
{
        struct stat st;

        if (strpbrk(path, "{}"))
                return ynode_error(n, d, "argv[0] must be a literal path, without templates");
        if (path[0] != '/')
                return ynode_error(
                    n, d, "argv[0] '%s' must be an absolute path (there is no PATH search)", path);
        if (stat(path, &st) < 0)
                return ynode_error(n, d, "argv[0] '%s' cannot be executed: %s", path,
                                   strerror(errno));
        if (!S_ISREG(st.st_mode))
                return ynode_error(n, d, "argv[0] '%s' is not a regular file", path);
        if (access(path, X_OK) < 0)
                return ynode_error(n, d, "argv[0] '%s' is not executable: %s", path,
                                   strerror(errno));
        return 0;
}

static int parse_argv(const struct ynode *exec, const struct form *form, struct exec_config *c,
                      struct diags *d)
{
        const struct ynode *n = ynode_get(exec, "argv");
        int r = 0;

        if (!n)
                return ynode_error(exec, d, "exec: needs argv (the program and its arguments)");
        if (ynode_expect(n, YNODE_SEQ, d) < 0)
                return -EINVAL;
        if (n->n == 0)
                return ynode_error(n, d, "argv must not be empty");
        for (size_t i = 0; i < n->n; i++) {
                char *s = NULL;

                if (ynode_string(n->items[i], &s, d) < 0) {
                        r = diag_merge_error(r, -EINVAL);
                        continue;
                }
                if (strv_consume(&c->argv, s) < 0)
                        return -ENOMEM;
                if (i == 0)
                        r = diag_merge_error(r, check_program(n->items[i], s, d));
                else
                        r = diag_merge_error(r, template_check(s, form, true, n->items[i], d));
        }
        return r;
}

/* Environment names the shell would accept, and not ours. */
static bool env_name_is_valid(const char *s)
{
        if (!s || !(*s == '_' || (*s >= 'A' && *s <= 'Z')))
                return false;
        for (; *s; s++)
                if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

static int parse_env_entry(const struct ynode *key, const struct ynode *value,
                           const struct form *form, struct exec_config *c, struct diags *d)
{
        const char *name = key->scalar;
        struct exec_env *e;
        char *v = NULL;
        int r;

        if (!env_name_is_valid(name))
                return ynode_error(key, d, "invalid environment variable name '%s' (A-Z, 0-9, _)",
                                   name);
        if (strncmp(name, "ADHOCD_", 7) == 0)
                return ynode_error(key, d, "'%s': names starting with ADHOCD_ are set by the agent",
                                   name);
        if (ynode_string(value, &v, d) < 0)
                return -EINVAL;
        r = template_check(v, form, false, value, d);
        e = array_grow((void **)&c->env, &c->n_env, sizeof(*c->env));
        if (!e) {
                free(v);
                return -ENOMEM;
        }
        e->value = v;
        e->name = strdup(name);
        if (!e->name)
                return -ENOMEM;
        return r;
}

static int parse_env(const struct ynode *exec, const struct form *form, struct exec_config *c,
                     struct diags *d)
{
        const struct ynode *n = ynode_get(exec, "env");
        int r = 0;

        if (!n)
                return 0;
        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        for (size_t i = 0; i < n->n; i++)
                r = diag_merge_error(r, parse_env_entry(n->keys[i], n->items[i], form, c, d));
        return r;
}

static int parse_output(const struct ynode *n, struct exec_config *c, struct diags *d)
{
        _cleanup_free_ char *s = NULL;

        if (!n)
                return 0;
        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        if (streq(s, "note"))
                c->output = EXEC_OUTPUT_NOTE;
        else if (streq(s, "text"))
                c->output = EXEC_OUTPUT_TEXT;
        else if (streq(s, "table"))
                c->output = EXEC_OUTPUT_TABLE;
        else
                return ynode_error(n, d, "output must be note, text or table, not '%s'", s);
        return 0;
}

static int parse_limits(const struct ynode *exec, struct exec_config *c, struct diags *d)
{
        const struct ynode *n;
        uint64_t u;
        int r = 0;

        n = ynode_get(exec, "timeout");
        if (n && ynode_duration_between(n, 1, EXEC_MAX_TIMEOUT, &c->timeout, d) < 0)
                r = -EINVAL;
        n = ynode_get(exec, "kill_grace");
        if (n && ynode_duration_between(n, 0, 10 * 60 * USEC_PER_SEC, &c->kill_grace, d) < 0)
                r = -EINVAL;
        n = ynode_get(exec, "max_output");
        if (n && ynode_size(n, &c->max_output, d) < 0)
                r = -EINVAL;
        else if (n && (c->max_output == 0 || c->max_output > EXEC_MAX_MAX_OUTPUT))
                r = ynode_error(n, d, "max_output must be between 1 byte and 16MiB");
        n = ynode_get(exec, "max_concurrent");
        if (n && ynode_uint(n, 1, 1024, &u, d) < 0)
                r = -EINVAL;
        else if (n)
                c->max_concurrent = (unsigned)u;
        n = ynode_get(exec, "detach");
        if (n && ynode_bool(n, &c->detach, d) < 0)
                r = -EINVAL;
        return r;
}

static int parse_cwd_stdin(const struct ynode *exec, const struct form *form, struct exec_config *c,
                           struct diags *d)
{
        const struct ynode *n;
        int r = 0;

        n = ynode_get(exec, "cwd");
        if (n) {
                free(c->cwd);
                c->cwd = NULL;
                if (ynode_string(n, &c->cwd, d) < 0)
                        r = -EINVAL;
                else if (c->cwd[0] != '/')
                        r = ynode_error(n, d, "cwd '%s' must be an absolute path", c->cwd);
        }
        n = ynode_get(exec, "stdin");
        if (n) {
                if (ynode_string(n, &c->stdin_tpl, d) < 0)
                        r = -EINVAL;
                else
                        r = diag_merge_error(r, template_check(c->stdin_tpl, form, false, n, d));
        }
        return r;
}

/* A name or a number. */
static int resolve_user(const struct ynode *n, struct passwd **ret_pw, uid_t *ret_uid,
                        struct diags *d)
{
        _cleanup_free_ char *s = NULL;
        uint64_t u;

        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        errno = 0;
        if (parse_uint64(s, &u) >= 0) {
                if (u >= (uid_t)-1)
                        return ynode_error(n, d, "invalid user id '%s'", s);
                *ret_uid = (uid_t)u;
                *ret_pw = getpwuid(*ret_uid);
                return 0;
        }
        *ret_pw = getpwnam(s);
        if (!*ret_pw)
                return ynode_error(n, d, "unknown user '%s'", s);
        *ret_uid = (*ret_pw)->pw_uid;
        return 0;
}

static int resolve_group(const struct ynode *n, gid_t *ret, struct diags *d)
{
        _cleanup_free_ char *s = NULL;
        struct group *gr;
        uint64_t u;

        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        if (parse_uint64(s, &u) >= 0) {
                if (u >= (gid_t)-1)
                        return ynode_error(n, d, "invalid group id '%s'", s);
                *ret = (gid_t)u;
                return 0;
        }
        gr = getgrnam(s);
        if (!gr)
                return ynode_error(n, d, "unknown group '%s'", s);
        *ret = gr->gr_gid;
        return 0;
}

/* The user's supplementary groups, with gid, as setgroups() wants them. */
static int user_groups(const char *name, gid_t gid, gid_t **ret, size_t *ret_n)
{
        int n = 16;

        for (;;) {
                gid_t *l = reallocarray(NULL, n, sizeof(gid_t));
                int k = n;

                if (!l)
                        return -ENOMEM;
                if (getgrouplist(name, gid, l, &k) >= 0) {
                        *ret = l;
                        *ret_n = (size_t)k;
                        return 0;
                }
                free(l);
                if (k <= n || k > 65536)
                        return -EINVAL;
                n = k;
        }
}

static int parse_ids(const struct ynode *exec, struct exec_config *c, struct diags *d)
{
        const struct ynode *user = ynode_get(exec, "user"), *group = ynode_get(exec, "group");
        struct passwd *pw = NULL;
        bool have_gid = false;
        int r = 0;

        if (!user && geteuid() == 0)
                ynode_warning(exec, d,
                              "the agent runs as root, so this program will too; "
                              "set user: to drop privileges");
        if (!user && !group)
                return 0;
        if (geteuid() != 0)
                return ynode_error(user ? user : group, d,
                                   "user: and group: need the agent to run as root "
                                   "(it runs as uid %u)",
                                   (unsigned)geteuid());
        c->set_ids = true;
        c->uid = (uid_t)-1;
        if (group) {
                r = resolve_group(group, &c->gid, d);
                have_gid = r >= 0;
        }
        if (user && resolve_user(user, &pw, &c->uid, d) < 0)
                return -EINVAL;
        if (r < 0)
                return r;
        if (user && !pw && !have_gid)
                return ynode_error(user, d, "user %u has no passwd entry: set group: too",
                                   (unsigned)c->uid);
        if (!have_gid && pw)
                c->gid = pw->pw_gid;
        /* Without a passwd entry (or without user:), the only group is gid. */
        if (pw && user_groups(pw->pw_name, c->gid, &c->groups, &c->n_groups) < 0)
                return ynode_error(user, d, "cannot list the groups of user '%s'", pw->pw_name);
        return 0;
}

/* Two fields whose names differ only in case or punctuation share ADHOCD_FIELD_<VAR>. */
static int check_field_env_names(const struct ynode *exec, const struct form *form, struct diags *d)
{
        for (size_t i = 0; form && i < form->n_fields; i++)
                for (size_t j = i + 1; form->fields[i].var && j < form->n_fields; j++) {
                        _cleanup_free_ char *a = NULL, *b = NULL;

                        if (!form->fields[j].var)
                                continue;
                        a = exec_field_env_name(form->fields[i].var);
                        b = exec_field_env_name(form->fields[j].var);
                        if (!a || !b)
                                return -ENOMEM;
                        if (streq(a, b))
                                ynode_warning(exec, d,
                                              "fields '%s' and '%s' are both passed as %s; the "
                                              "program only sees the first",
                                              form->fields[i].var, form->fields[j].var, a);
                }
        return 0;
}

int exec_config_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                      struct diags *d)
{
        struct exec_config *c;
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (struct exec_config){
            .timeout = EXEC_DEFAULT_TIMEOUT,
            .kill_grace = EXEC_DEFAULT_KILL_GRACE,
            .output = EXEC_OUTPUT_NOTE,
            .max_output = EXEC_DEFAULT_MAX_OUTPUT,
            .max_concurrent = 1,
            .cwd = strdup("/"),
        };
        r = c->cwd ? 0 : -ENOMEM;
        r = diag_merge_error(r, ynode_check_keys(n, exec_keys, d));
        r = diag_merge_error(r, parse_argv(n, form, c, d));
        r = diag_merge_error(r, parse_env(n, form, c, d));
        r = diag_merge_error(r, parse_cwd_stdin(n, form, c, d));
        r = diag_merge_error(r, parse_output(ynode_get(n, "output"), c, d));
        r = diag_merge_error(r, parse_limits(n, c, d));
        r = diag_merge_error(r, parse_ids(n, c, d));
        r = diag_merge_error(r, check_field_env_names(n, form, d));
        if (r < 0) {
                exec_config_free(c);
                return r;
        }
        *ret_cfg = c;
        return 0;
}
