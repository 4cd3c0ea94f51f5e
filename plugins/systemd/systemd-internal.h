/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Internals of the systemd services feature, shared by the files of plugins/systemd/ and
 * their tests:
 *   config.c   the YAML section and the allow-list (pure)
 *   manager.c  the connection to systemd: Subscribe, the cache of allowed units that exist
 *              (for the forms, which are built synchronously), JobRemoved dispatch
 *   listing.c  the allowed units: loaded ones and installed unit files, merged
 *   resolve.c  a unit's object and the name systemd resolves it to (LoadUnit, Id), re-checked
 *   journal.c  the last lines of a unit's journal (sd-journal, bounded)
 *   verb.c     systemd/start|stop|restart|reload: resolve, re-check, act, follow the job
 *   status.c   systemd/status: the table of units, the details of one
 *   systemd.c  the feature descriptor and the commands it adds to the policy
 *
 * Nothing outside the units: globs is ever listed or touched: the forms offer only allowed
 * units that exist, the session accepts only what was offered, the action checks the name
 * again, and the name systemd resolves it to (an alias, a template instance) once more.
 */
#include <systemd/sd-bus.h>

#include "action.h"
#include "dbus.h"
#include "l10n.h"
#include "systemd.h"

#define SYSD_SERVICE    "org.freedesktop.systemd1"
#define SYSD_PATH       "/org/freedesktop/systemd1"
#define SYSD_MANAGER    "org.freedesktop.systemd1.Manager"
#define SYSD_UNIT       "org.freedesktop.systemd1.Unit"
#define SYSD_SERVICE_IF "org.freedesktop.systemd1.Service"

#define SYSD_JOB_TIMEOUT_DEFAULT (90 * USEC_PER_SEC)
#define SYSD_CALL_TIMEOUT        (25 * USEC_PER_SEC)
#define SYSD_JOURNAL_DEFAULT     20
#define SYSD_JOURNAL_MAX         200
#define SYSD_LINE_MAX            300 /* bytes shown of one journal line or remote text */
#define SYSD_UNITS_MAX           500 /* units kept from one listing */

/* ---- Configuration (config.c) ---- */

enum sysd_verb {
        SYSD_VERB_STATUS,
        SYSD_VERB_START,
        SYSD_VERB_STOP,
        SYSD_VERB_RESTART,
        SYSD_VERB_RELOAD,
        _SYSD_VERB_MAX,
};

struct sysd;

/* Where the commands find the running feature: set by start(), cleared by stop(). */
struct sysd_link {
        struct sysd *state;
};

struct sysd_config {
        char *bus;        /* "system" (default), "session" or a D-Bus address */
        char **units;     /* globs of unit names: the allow-list */
        unsigned verbs;   /* one bit per enum sysd_verb */
        unsigned confirm; /* verbs asking for confirmation first */
        usec_t job_timeout;
        unsigned journal_lines; /* 0: never read the journal */
        char *journal_dir;      /* NULL: the local journal (sd_journal_open) */
        struct sysd_link *link;
};

int sysd_config_parse(const struct ynode *n, struct sysd_config **ret, struct diags *d);
struct sysd_config *sysd_config_free(struct sysd_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sysd_config *, sysd_config_free)
const char *sysd_verb_to_string(enum sysd_verb v) _pure_;
/* "Restart", "Start", ...: the method prefix and the label. */
const char *sysd_verb_label(enum sysd_verb v) _pure_;
/* l10n() msgids: the command's name ("Restart a service"), its confirmation ("Restart {unit}?";
 * NULL for status). */
const char *sysd_verb_title(enum sysd_verb v) _pure_;
const char *sysd_verb_question(enum sysd_verb v) _pure_;
bool sysd_config_has_verb(const struct sysd_config *c, enum sysd_verb v) _pure_;
bool sysd_config_confirms(const struct sysd_config *c, enum sysd_verb v) _pure_;
/* Whether the unit name matches one of the units: globs (and is a plausible unit name). */
bool sysd_config_allows_unit(const struct sysd_config *c, const char *name) _pure_;
bool sysd_unit_name_is_valid(const char *name) _pure_;

/* ---- The manager (manager.c) ---- */

/* One row of ListUnits/ListUnitsByPatterns, or a unit file of a unit that is not loaded
 * (load "not-loaded", path NULL). file_state: its unit file's state, NULL without one. */
struct sysd_unit {
        char *name, *description, *load, *active, *sub, *path, *file_state;
};
void sysd_unit_done(struct sysd_unit *u);
void sysd_units_free(struct sysd_unit *v, size_t n);
/* Adds the unit file at path (a row of ListUnitFiles) to units: its state to a unit listed
 * already, or a not-loaded unit; nothing for a name outside the allow-list, a template or an
 * alias. Returns 1 when a unit was added. */
int sysd_units_add_file(const struct sysd_config *cfg, struct sysd_unit **units, size_t *n,
                        const char *path, const char *state);
void sysd_units_sort(struct sysd_unit *v, size_t n);
bool sysd_unit_is_masked(const struct sysd_unit *u) _pure_;
/* Whether the forms of verb offer u: not a masked unit that verb cannot act on. */
bool sysd_unit_offered(const struct sysd_unit *u, enum sysd_verb verb) _pure_;

/* A job followed until JobRemoved arrives for its path (or the caller gives up). */
struct sysd_job_wait {
        char *job_path;
        void (*removed)(struct sysd_job_wait *w, const char *result);
        struct sysd_job_wait *prev, *next;
};

/* A listing of the allowed units (listing.c): the loaded units, then the unit files. */
struct sysd_listing {
        struct sysd *s;
        sd_bus_slot *slot;
        bool fallback;           /* ListUnits/ListUnitFiles: systemd too old for ...ByPatterns */
        bool files;              /* the second call */
        struct sysd_unit *units; /* the loaded units, while the files are listed */
        size_t n_units;
        void (*done)(struct sysd_listing *l, const sd_bus_error *e, struct sysd_unit *units,
                     size_t n);
};

struct sysd {
        const struct sysd_config *cfg;
        sd_event *event;
        struct dbus_bus *bus;
        struct dbus_bus_watch watch;
        sd_bus *sd; /* the open connection; NULL while there is none */
        sd_bus_slot *job_match, *new_match, *removed_match, *reloading_match, *subscribe_slot;
        struct sysd_listing refresh;
        bool refresh_again;
        /* The allowed units that exist, as last listed: what the forms offer. */
        struct sysd_unit *units;
        size_t n_units;
        struct sysd_job_wait *waits;
        /* Jobs removed lately, for a JobRemoved that overtakes the reply naming its job. */
        struct {
                char *path;
                char *result;
        } removed[16];
        size_t removed_next;
        struct sysd_request *requests; /* in flight, failed when the feature stops */
};

int sysd_new(sd_event *event, const struct sysd_config *cfg, struct sysd **ret);
struct sysd *sysd_free(struct sysd *s);
/* A method call to systemd at path; -ENOTCONN while the bus is unavailable. */
int sysd_method_new(struct sysd *s, const char *path, const char *interface, const char *member,
                    sd_bus_message **ret);
int sysd_call(struct sysd *s, sd_bus_message *msg, sd_bus_slot **ret_slot,
              sd_bus_message_handler_t cb, void *userdata);
/* Starts a listing; l->done is called once (not from within this call), with the units
 * sorted by name. */
int sysd_list_units(struct sysd *s, struct sysd_listing *l);
/* Drops the call in flight and what it gathered; done is not called. */
void sysd_listing_cancel(struct sysd_listing *l);
/* Follows job_path (copied); returns 1 and the result at once when it was removed already. */
int sysd_job_wait_add(struct sysd *s, struct sysd_job_wait *w, const char *job_path,
                      const char **ret_result);
void sysd_job_wait_remove(struct sysd *s, struct sysd_job_wait *w);
/* Asks for a fresh listing of the cache (when the forms are shown). */
void sysd_refresh(struct sysd *s);
const struct sysd_unit *sysd_find_unit(const struct sysd *s, const char *name);

/* ---- Requests (verb.c, status.c) ---- */

/* One command in flight; it owns its pending call, its timer and its job wait, and freeing it
 * cancels them all. verb.c and status.c use the parts they need. */
struct sysd_request {
        struct sysd *s;
        struct action_call *call;
        enum sysd_verb verb;
        char *unit;      /* as submitted */
        char *resolved;  /* its Id, as systemd resolved it */
        char *unit_path; /* its object */
        char *job_result;
        sd_bus_slot *slot;
        sd_event_source *timer;
        void (*resolved_cb)(struct sysd_request *req); /* after sysd_request_resolve() */
        struct sysd_job_wait wait;
        struct sysd_listing listing;
        struct sysd_unit *units; /* status: the listing */
        size_t n_units, next_unit;
        char **since; /* status: one per unit, NULL where unknown (n_units of them) */
        struct sysd_request *prev, *next;
};

int sysd_request_new(struct sysd *s, struct action_call *call, enum sysd_verb verb,
                     struct sysd_request **ret);
struct sysd_request *sysd_request_free(struct sysd_request *req);
/* Completes the call with res (consumed) and frees the request. */
void sysd_request_finish(struct sysd_request *req, struct action_result *res);
/* Completes the call with one note; error < 0 makes it a protocol error. */
void sysd_request_finish_note(struct sysd_request *req, int error, enum note_type type,
                              const char *text);
void sysd_call_finish_note(struct action_call *call, int error, enum note_type type,
                           const char *text);
void sysd_request_cancel(struct action_call *call);
/* Ends every request in flight (the feature stops). */
void sysd_requests_abort(struct sysd *s);

/* LoadUnit(req->unit) (which loads a unit that is not loaded yet), then its Id: sets
 * unit_path and resolved, and calls req->resolved_cb once resolved is allow-listed too.
 * Otherwise finishes the request with a note (-EPERM for a name outside units:). */
void sysd_request_resolve(struct sysd_request *req);
void sysd_request_finish_dbus_error(struct sysd_request *req, const sd_bus_error *e);
void sysd_request_finish_down(struct sysd_request *req);

/* The configuration of each command the feature adds (its action_cfg). */
struct sysd_command {
        const struct sysd_config *cfg;
        enum sysd_verb verb;
};

extern const struct action_ops sysd_verb_action;
extern const struct action_ops sysd_status_action;

/* The list-single of the allowed units that exist (verbs and status share it). */
int sysd_units_form(const struct sysd_command *cmd, bool required, const char *lang,
                    struct form **ret);
bool sysd_command_available(const void *cfg);

/* D-Bus errors as notes: AccessDenied and InteractiveAuthorizationRequired explain what the
 * machine's admin must grant. Returns an allocated sentence. */
char *sysd_error_text(const char *unit, enum sysd_verb verb, const sd_bus_error *e,
                      const char *lang);
/* Remote text made safe to show: control characters become U+FFFD, cut at max bytes. */
char *sysd_text_clean(const char *s, size_t max);

/* ---- The journal (journal.c) ---- */

/* The last n lines (oldest first) of the unit's journal, from dir (NULL: the local journal).
 * Blocking file I/O, bounded: at most n entries are read. */
int sysd_journal_tail(const char *dir, const char *unit, unsigned n, char ***ret);
