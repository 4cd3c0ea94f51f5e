/* SPDX-License-Identifier: MIT */
/*
 * The systemd section. Loading is pure: nothing connects to a bus here.
 *
 *   plugins:
 *     systemd:
 *       allow: {groups: [admins]}      # who may use the commands (an access list or a map)
 *       bus: system                     # system (the default) | session | a D-Bus address
 *       units: ["nginx.service", "app-*.service"]   # the allow-list: globs of unit names
 *       verbs: [status, start, stop, restart, reload]
 *       confirm: [stop, restart]        # verbs asking "Restart nginx.service?" first
 *       job_timeout: 90s                # how long a job is followed
 *       journal_lines: 20               # shown with a failure and in the details; 0: never
 *       journal_dir: /path              # a journal directory instead of the local journal
 */
#include <fnmatch.h>

#include "systemd-internal.h"

static const char *const section_keys[] = {"allow",         "bus",         "units",
                                           "verbs",         "confirm",     "job_timeout",
                                           "journal_lines", "journal_dir", NULL};

static const char *const verb_names[_SYSD_VERB_MAX] = {
    [SYSD_VERB_STATUS] = "status",   [SYSD_VERB_START] = "start",   [SYSD_VERB_STOP] = "stop",
    [SYSD_VERB_RESTART] = "restart", [SYSD_VERB_RELOAD] = "reload",
};

/* Also the D-Bus method names ("RestartUnit"): translated only where shown. */
static const char *const verb_labels[_SYSD_VERB_MAX] = {
    [SYSD_VERB_STATUS] = N_("Status"), [SYSD_VERB_START] = N_("Start"),
    [SYSD_VERB_STOP] = N_("Stop"),     [SYSD_VERB_RESTART] = N_("Restart"),
    [SYSD_VERB_RELOAD] = N_("Reload"),
};

static const char *const verb_titles[_SYSD_VERB_MAX] = {
    [SYSD_VERB_STATUS] = N_("Service status"),   [SYSD_VERB_START] = N_("Start a service"),
    [SYSD_VERB_STOP] = N_("Stop a service"),     [SYSD_VERB_RESTART] = N_("Restart a service"),
    [SYSD_VERB_RELOAD] = N_("Reload a service"),
};

/* {unit}: the unit chosen in the form stage, as offered (an allowed name). */
static const char *const verb_questions[_SYSD_VERB_MAX] = {
    [SYSD_VERB_START] = N_("Start {unit}?"),
    [SYSD_VERB_STOP] = N_("Stop {unit}?"),
    [SYSD_VERB_RESTART] = N_("Restart {unit}?"),
    [SYSD_VERB_RELOAD] = N_("Reload {unit}?"),
};

const char *sysd_verb_to_string(enum sysd_verb v)
{
        return v < _SYSD_VERB_MAX ? verb_names[v] : NULL;
}

const char *sysd_verb_label(enum sysd_verb v)
{
        return v < _SYSD_VERB_MAX ? verb_labels[v] : NULL;
}

const char *sysd_verb_title(enum sysd_verb v)
{
        return v < _SYSD_VERB_MAX ? verb_titles[v] : NULL;
}

const char *sysd_verb_question(enum sysd_verb v)
{
        return v < _SYSD_VERB_MAX ? verb_questions[v] : NULL;
}

bool sysd_config_has_verb(const struct sysd_config *c, enum sysd_verb v)
{
        return v < _SYSD_VERB_MAX && (c->verbs & (1u << v));
}

bool sysd_config_confirms(const struct sysd_config *c, enum sysd_verb v)
{
        return v < _SYSD_VERB_MAX && (c->confirm & (1u << v));
}

#define UNIT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@"

bool sysd_unit_name_is_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        /* systemd's rule: at most 255 bytes of [A-Za-z0-9:-_.\@], a '.' and a suffix. */
        return n > 0 && n <= 255 && strspn(name, UNIT_CHARS) == n && strchr(name, '.') &&
               name[0] != '.';
}

bool sysd_config_allows_unit(const struct sysd_config *c, const char *name)
{
        if (!sysd_unit_name_is_valid(name))
                return false;
        STRV_FOREACH (g, c->units)
                if (fnmatch(*g, name, FNM_NOESCAPE) == 0)
                        return true;
        return false;
}

struct sysd_config *sysd_config_free(struct sysd_config *c)
{
        if (!c)
                return NULL;
        free(c->bus);
        strv_free(c->units);
        free(c->journal_dir);
        free(c->link);
        free(c);
        return NULL;
}

static bool glob_is_valid(const char *g)
{
        size_t n = g ? strlen(g) : 0;

        return n > 0 && n <= 255 && strspn(g, UNIT_CHARS "*?[]!") == n;
}

static int parse_units(const struct ynode *section, struct sysd_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(section, "units");
        int r = 0;

        if (!n)
                return ynode_error(section, d,
                                   "systemd: units: is required: the globs of the units that "
                                   "may be listed and touched");
        if (ynode_strv(n, &c->units, d) < 0)
                return -EINVAL;
        if (!c->units[0])
                return ynode_warning(n, d, "units: empty: no unit can be listed or touched");
        STRV_FOREACH (g, c->units)
                if (!glob_is_valid(*g))
                        r = ynode_error(n, d,
                                        "units: '%s' is not a glob of unit-name characters "
                                        "(letters, digits, ':-_.\\@', and * ? [ ])",
                                        *g);
        return r;
}

static int parse_verb_list(const struct ynode *section, const char *key, unsigned *ret,
                           struct diags *d)
{
        const struct ynode *n = ynode_get(section, key);

        if (!n)
                return 0;
        return ynode_name_mask(n, key, "verb", verb_names, ELEMENTSOF(verb_names), ret, d);
}

static int parse_job_timeout(const struct ynode *section, struct sysd_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(section, "job_timeout");

        c->job_timeout = SYSD_JOB_TIMEOUT_DEFAULT;
        if (!n)
                return 0;
        return ynode_duration_between(n, 1, 60 * 60 * USEC_PER_SEC, &c->job_timeout, d);
}

static int parse_journal(const struct ynode *section, struct sysd_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(section, "journal_lines");
        const struct ynode *dir = ynode_get(section, "journal_dir");
        uint64_t v = SYSD_JOURNAL_DEFAULT;

        if (n && ynode_uint(n, 0, SYSD_JOURNAL_MAX, &v, d) < 0)
                return -EINVAL;
        c->journal_lines = (unsigned)v;
        if (!dir)
                return 0;
        if (ynode_string(dir, &c->journal_dir, d) < 0)
                return -EINVAL;
        if (c->journal_dir[0] != '/')
                return ynode_error(dir, d, "journal_dir: must be an absolute path, not '%s'",
                                   c->journal_dir);
        return 0;
}

int sysd_config_parse(const struct ynode *n, struct sysd_config **ret, struct diags *d)
{
        _cleanup_(sysd_config_freep) struct sysd_config *c = NULL;
        const struct ynode *confirm;
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->link = zalloc(sizeof(*c->link));
        if (!c->link)
                return -ENOMEM;
        c->verbs = (1u << _SYSD_VERB_MAX) - 1;
        c->confirm = (1u << SYSD_VERB_STOP) | (1u << SYSD_VERB_RESTART);
        r = ynode_check_keys(n, section_keys, d);
        r = diag_merge_error(r, parse_units(n, c, d));
        r = diag_merge_error(r, parse_verb_list(n, "verbs", &c->verbs, d));
        r = diag_merge_error(r, parse_verb_list(n, "confirm", &c->confirm, d));
        r = diag_merge_error(r, dbus_parse_bus(n, "system", &c->bus, d));
        r = diag_merge_error(r, parse_job_timeout(n, c, d));
        r = diag_merge_error(r, parse_journal(n, c, d));
        confirm = ynode_get(n, "confirm");
        if (r >= 0 && (c->confirm & (1u << SYSD_VERB_STATUS)))
                r = diag_merge_error(
                    r, ynode_error(confirm, d,
                                   "confirm: status only reads: it needs no confirmation"));
        if (r >= 0 && (c->confirm & ~c->verbs) && confirm)
                r = diag_merge_error(
                    r,
                    ynode_warning(confirm, d, "confirm: lists a verb that verbs: does not offer"));
        if (!ynode_get(n, "allow"))
                r = diag_merge_error(r,
                                     ynode_warning(n, d,
                                                   "systemd: no allow: nobody can use the service "
                                                   "commands"));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
