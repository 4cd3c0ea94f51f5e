/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the plugins/presence/ files and their tests; not part of the feature interface. */
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "i18n.h"
#include "policy.h"
#include "presence.h"

/* ---- values.c: the values probes produce, by name ---- */

/* A probe value: its text as shown in the status and, when numeric, the number compared by
 * expressions (parsed from that same text, so what is shown is what is compared). text NULL:
 * unknown ('?'). */
struct presence_value {
        char *name;
        char *text;
        double num;
        bool has_num;
};

struct presence_values {
        struct presence_value *v;
        size_t n;
};

void presence_values_done(struct presence_values *v);
const struct presence_value *presence_values_get(const struct presence_values *v,
                                                 const char *name) _pure_;
/* Sets name to text (NULL: unknown); the number is parsed from text when it is a number. */
int presence_values_set(struct presence_values *v, const char *name, const char *text);
/* Sets a value whose number is not its text (uptime: "3d 4h" is 273600). */
int presence_values_set_num(struct presence_values *v, const char *name, const char *text,
                            double num);
int presence_values_setf(struct presence_values *v, const char *name, const char *fmt, ...)
    _printf_(3, 4);
/* Copies every value of src into dst (replacing those with the same name). */
int presence_values_merge(struct presence_values *dst, const struct presence_values *src);

/* Whether s is a number of the expression language: -?[0-9]+(\.[0-9]+)? */
bool presence_number_is_valid(const char *s, size_t len) _pure_;
/* The value of a valid number, independently of the locale. */
double presence_number_parse(const char *s, size_t len) _pure_;
/* Length of the value name at the start of s (0 if none): [A-Za-z_][A-Za-z0-9_]* optionally
 * followed by ':' and an absolute path without spaces or any of (){}<>=!. */
size_t presence_name_span(const char *s) _pure_;
/* A key a probe script may print: [A-Za-z_][A-Za-z0-9_]*, at most 64 bytes. */
bool presence_script_key_is_valid(const char *s) _pure_;
/* Position of byte off of s, the text of scalar node n: exact for one-line scalars (skipping
 * an opening quote; escapes in double quotes shift it), else the node's own position. Columns
 * count characters as libyaml does. */
void presence_scalar_pos(const struct ynode *n, const char *s, size_t off, unsigned *ret_line,
                         unsigned *ret_col);

/* ---- expr.c: the "when:" language ---- */

enum presence_expr_kind {
        PRESENCE_EXPR_NUMBER,
        PRESENCE_EXPR_NAME,
        PRESENCE_EXPR_CMP,
        PRESENCE_EXPR_AND,
        PRESENCE_EXPR_OR,
        PRESENCE_EXPR_NOT,
};

enum presence_cmp { PRESENCE_LT, PRESENCE_LE, PRESENCE_GT, PRESENCE_GE, PRESENCE_EQ, PRESENCE_NE };

struct presence_expr {
        enum presence_expr_kind kind;
        enum presence_cmp op; /* PRESENCE_EXPR_CMP */
        double number;        /* PRESENCE_EXPR_NUMBER */
        char *text;           /* PRESENCE_EXPR_NAME: the name; NUMBER: the literal as written */
        size_t offset;        /* where the node starts in the source */
        struct presence_expr *a, *b; /* operands (NOT: a only) */
};

#define PRESENCE_EXPR_MAX_LEN   1024
#define PRESENCE_EXPR_MAX_DEPTH 32

/* Parses a boolean expression. On error returns -EINVAL, *ret_offset is the byte offset of the
 * problem and *ret_msg a static description. Pure. */
int presence_expr_parse(const char *s, struct presence_expr **ret, size_t *ret_offset,
                        const char **ret_msg);
struct presence_expr *presence_expr_free(struct presence_expr *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct presence_expr *, presence_expr_free)
/* Parses the scalar node n, reporting errors at their line and column. */
int presence_expr_from_ynode(const struct ynode *n, struct presence_expr **ret, struct diags *d);

/* Looks a name up: true with its number, false when unknown or not numeric. */
typedef bool (*presence_lookup_t)(const char *name, double *ret, void *userdata);
/* A comparison with an unknown operand is false; and/or/not are plain boolean logic. */
bool presence_expr_eval(const struct presence_expr *e, presence_lookup_t lookup, void *userdata);
bool presence_values_lookup(const char *name, double *ret, void *userdata); /* on presence_values */
/* Calls fn for each name referenced; stops at and returns the first negative result. */
int presence_expr_foreach_name(const struct presence_expr *e,
                               int (*fn)(const struct presence_expr *name_node, void *userdata),
                               void *userdata);
/* Fully parenthesised canonical form; parsing it gives the same tree. */
int presence_expr_format(const struct presence_expr *e, char **ret);

/* ---- status.c: status templates ---- */

/* "{name}" is replaced by the value's text, or '?' when unknown; "{{" and "}}" are braces.
 * Calls fn with each name (not NUL-terminated: name, len) and its offset; fn returns <0 to
 * reject. Syntax errors return -EINVAL with *ret_offset and *ret_msg set. Pure. */
int presence_status_parse(const char *tpl,
                          int (*fn)(const char *name, size_t len, size_t offset, void *userdata),
                          void *userdata, size_t *ret_offset, const char **ret_msg);
int presence_status_render(const char *tpl, const struct presence_values *v, char **ret);
/* Renders each language of tpl into ret (same languages, same order). */
int presence_status_render_i18n(const struct i18n *tpl, const struct presence_values *v,
                                struct i18n *ret);
bool presence_i18n_equal(const struct i18n *a, const struct i18n *b) _pure_;
int presence_i18n_copy(const struct i18n *src, struct i18n *ret);

/* ---- config.c ---- */

enum presence_show {
        PRESENCE_AVAILABLE,
        PRESENCE_CHAT,
        PRESENCE_AWAY,
        PRESENCE_XA,
        PRESENCE_DND,
        _PRESENCE_SHOW_MAX,
};

/* "available", "chat", ... */
const char *presence_show_name(enum presence_show s) _pure_;
/* NULL for available, else the <show/> value. */
const char *presence_show_xmpp(enum presence_show s) _pure_;
/* Accepts the names above; NULL and "" mean available. -EINVAL otherwise. */
int presence_show_from_string(const char *s, enum presence_show *ret);
/* Available and chat are the normal states: leaving them alerts, coming back recovers. */
bool presence_show_is_normal(enum presence_show s) _pure_;

enum presence_probe_kind {
        PRESENCE_PROBE_LOAD,
        PRESENCE_PROBE_MEMORY,
        PRESENCE_PROBE_DISK,
        PRESENCE_PROBE_UPTIME,
        PRESENCE_PROBE_FAILED_UNITS,
};

struct presence_probe {
        enum presence_probe_kind kind;
        char *path;  /* PRESENCE_PROBE_DISK */
        char *label; /* as configured: "load", "disk:/home" */
};

struct presence_rule {
        struct presence_expr *when;
        char *source; /* the expression as written, for alerts */
        enum presence_show show;
};

struct presence_config {
        usec_t interval;
        usec_t min_update;
        struct i18n status; /* templates */
        struct presence_probe *probes;
        size_t n_probes;
        char **script_argv; /* NULL: no script */
        usec_t script_timeout;
        struct presence_rule *rules;
        size_t n_rules;
        bool alerts;
        struct access alerts_to; /* resolved by presence_config_link() */
        unsigned max_per_hour;
        bool has_control;
        struct access control; /* resolved by presence_config_link() */
        char *root;            /* of /proc */
};

int presence_config_parse(const struct ynode *n, struct presence_config **ret, struct diags *d);
struct presence_config *presence_config_free(struct presence_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct presence_config *, presence_config_free)
/* Whether some configured probe (or the script) can provide the value name. */
bool presence_config_provides(const struct presence_config *c, const char *name) _pure_;
/* Resolves alerts.to and control (n is the section c was parsed from) now that the policy
 * knows every access list; errors are reported at their nodes. */
int presence_config_link(struct presence_config *c, const struct ynode *n,
                         struct command_sink *sink);

/* ---- probes.c: built-in probes ---- */

/* Each sets its values (unknown on failure) and returns 0 or a negative errno; root is the
 * directory holding proc/. */
int presence_probe_load(const char *root, struct presence_values *v);
int presence_probe_memory(const char *root, struct presence_values *v);
int presence_probe_uptime(const char *root, struct presence_values *v);
struct presence_disk_usage {
        uint64_t blocks, bfree, bavail, frsize; /* as statvfs() gives them */
};
/* Sets disk_used_pct:PATH and disk_free_gb:PATH from u, or unknown when error < 0. Pure. */
int presence_disk_set(const char *path, int error, const struct presence_disk_usage *u,
                      struct presence_values *v);
/* Runs one of the synchronous probes (not disk, not failed_units). */
int presence_probe_run(const struct presence_probe *p, const char *root, struct presence_values *v);
/* failed_units: opens *bus on first use (system bus, attached to event) and calls systemd's
 * ListUnitsFiltered(["failed"]) asynchronously; cb gets the reply. */
int presence_probe_failed_units_start(sd_bus **bus, sd_event *event, usec_t timeout,
                                      sd_bus_message_handler_t cb, void *userdata,
                                      sd_bus_slot **ret_slot);
/* Reads the reply into failed_units (unknown on error); returns 0 or a negative errno. */
int presence_probe_failed_units_finish(sd_bus_message *reply, struct presence_values *v);

/* ---- disks.c: disk probes, measured in a child (statvfs() blocks on a hung mount) ---- */

/* Runs in the child (agent/child-call.c): one line per disk probe of the configuration cfg,
 * "INDEX ERRNO BLOCKS BFREE BAVAIL FRSIZE", in the order of the probes. */
int presence_disks_measure(const void *cfg, int fd);
/* Sets every disk probe's values from the child's output; error < 0 when the child did not
 * finish (timeout...): the probes it did not report are unknown with that error. results
 * (one per probe of c) gets each disk probe's outcome. Pure. */
int presence_disks_read(const struct presence_config *c, const char *output, size_t len, int error,
                        struct presence_values *v, int *results);

/* ---- script.c: the probe script ---- */

struct presence_script;
/* Called once with the values (empty on failure) and NULL or why it failed. */
typedef void (*presence_script_done_t)(struct presence_script *s, const struct presence_values *v,
                                       const char *error, void *userdata);
/* Starts argv with a clean environment, no fds above 2, stdin from /dev/null, in its own
 * process group (killed after timeout). */
int presence_script_start(sd_event *event, char *const *argv, usec_t timeout,
                          presence_script_done_t done, void *userdata,
                          struct presence_script **ret);
/* Kills the process group (if still running) and frees; done is not called. */
struct presence_script *presence_script_free(struct presence_script *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct presence_script *, presence_script_free)
/* Parses the output: KEY=VALUE lines (blank lines ignored). On a bad line returns -EINVAL with
 * *ret_line its 1-based number. Pure. */
int presence_script_parse_output(const char *out, size_t len, struct presence_values *v,
                                 unsigned *ret_line);

/* ---- monitor.c: the state machine ---- */

struct presence_monitor;

int presence_monitor_new(const struct presence_config *cfg, const struct feature_host *host,
                         const char *hostname, struct presence_monitor **ret);
struct presence_monitor *presence_monitor_free(struct presence_monitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct presence_monitor *, presence_monitor_free)
/* New probe results at time now: computes show and status, publishes when due and alerts. */
int presence_monitor_step(struct presence_monitor *m, const struct presence_values *v, usec_t now);
/* The agent is (again) online: publishes the current state whatever was sent before. */
void presence_monitor_online(struct presence_monitor *m, usec_t now);
/* until: USEC_INFINITY until cleared. */
int presence_monitor_set_manual(struct presence_monitor *m, enum presence_show show,
                                const char *text, usec_t until, usec_t now);
void presence_monitor_clear_manual(struct presence_monitor *m, usec_t now);
/* When the manual status ends (USEC_INFINITY: none pending); clears it when past. */
usec_t presence_monitor_manual_check(struct presence_monitor *m, usec_t now);
int presence_monitor_describe(const struct presence_monitor *m, usec_t now, const char *lang,
                              char **ret);

/* The pure decision: whether a state must be published now. */
struct presence_published {
        bool valid; /* something was published since the agent went online */
        enum presence_show show;
        const struct i18n *status;
        usec_t time;
};
bool presence_publish_is_due(const struct presence_published *last, enum presence_show show,
                             const struct i18n *status, usec_t now, usec_t min_update) _pure_;

/* ---- control.c: remote status control, the presence/set-status command ---- */

#define PRESENCE_CONTROL_NODE "presence/set-status"

/* The action of the generated command; not in builtin_actions[], so never written in YAML. */
extern const struct action_ops presence_control_action;
/* Adds presence/set-status for c->control (resolved), reporting problems at where. */
int presence_control_add_command(const struct presence_config *c, const struct ynode *where,
                                 struct command_sink *sink);
/* The running feature's state, which the action uses: set by start(), cleared by stop() (only
 * if it is still that state). NULL while none runs, which hides the command. */
void presence_control_attach(void *state);
void presence_control_detach(void *state);
