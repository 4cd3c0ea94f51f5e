/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Internals of the "dbus:" action, shared by plugins/dbus*.c and their tests:
 *   dbus-config.c      the YAML syntax (documented there) and its checks
 *   dbus-signature.c   D-Bus type signatures
 *   dbus-convert.c     form values -> message arguments
 *   dbus-introspect.c  introspection XML -> methods and properties
 *   dbus-result.c      replies and errors -> notes and result form
 *   dbus-bus.c         shared connections, reconnection, watchers, introspection cache
 *   dbus.c             the backend (struct action_ops) tying them together
 */
#include <systemd/sd-bus.h>

#include "action.h"
#include "l10n.h"
#include "template.h"

/* ---- Signatures (dbus-signature.c) ---- */

#define DBUS_SIGNATURE_MAX 255
#define DBUS_NESTING_MAX   32

/* Basic (non-container) type codes, 'h' included. */
bool dbus_type_is_basic(char c) _pure_;
/* Length of the single complete type at the start of sig; -EINVAL when malformed. */
int dbus_type_length(const char *sig, size_t *ret);
/* Validates a whole signature and counts its complete types. On -EINVAL, *ret_error (a static
 * msgid, for l10n()) says why; types holding a file descriptor ('h') are refused with -EPERM. */
int dbus_signature_check(const char *sig, size_t *ret_n, const char **ret_error);
/* True when the complete type t (of length len) holds a file descriptor somewhere. */
bool dbus_type_has_fd(const char *t, size_t len) _pure_;

/* ---- Configuration (dbus-config.c) ---- */

/* An argument as written in the policy; its meaning depends on the D-Bus type it is given. */
enum dbus_arg_kind {
        DBUS_ARG_TEMPLATE, /* a scalar: a template */
        DBUS_ARG_LIST,     /* a sequence: an array's elements or a struct's members */
        DBUS_ARG_MAP,      /* a map: a dict, or {type, value} for a variant */
};

struct dbus_arg {
        enum dbus_arg_kind kind;
        char *text;             /* TEMPLATE */
        char **keys;            /* MAP: literal keys, parallel to items */
        struct dbus_arg *items; /* LIST: items; MAP: values */
        size_t n_items;
};

enum dbus_call_kind { DBUS_CALL_METHOD, DBUS_CALL_GET_PROPERTY, DBUS_CALL_SET_PROPERTY };

#define DBUS_TIMEOUT_DEFAULT (25 * USEC_PER_SEC)

struct dbus_config {
        char *bus; /* "session", "system" or a D-Bus address */
        char *destination;
        char *path;
        char *interface;
        enum dbus_call_kind kind;
        char *member; /* the method or the property */
        char
            *signature; /* method: input signature; set_property: property type; NULL: introspect */
        struct dbus_arg *args; /* method: the arguments; set_property: one, the value */
        size_t n_args;
        char **columns; /* labels of the table's columns, may be NULL */
        usec_t timeout;
        /* The command's form, owned by the command like this configuration: gives the labels
         * that conversion errors name. May be NULL. */
        const struct form *form;
};

int dbus_config_parse(const struct ynode *n, const struct form *form, struct dbus_config **ret,
                      struct diags *d);
struct dbus_config *dbus_config_free(struct dbus_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dbus_config *, dbus_config_free)
void dbus_arg_done(struct dbus_arg *a);
/* Keys shared with dbus_expose:. A name key (destination, path, ...) is required; section names
 * the YAML key in messages. bus: defaults to "session", timeout: to DBUS_TIMEOUT_DEFAULT. */
typedef int (*dbus_name_check_t)(const char *);
int dbus_parse_name(const struct ynode *map, const char *section, const char *key,
                    dbus_name_check_t check, const char *what, char **ret, struct diags *d);
/* bus: session, system or an address; dflt ("session" or "system") when absent. */
int dbus_parse_bus(const struct ynode *map, const char *dflt, char **ret, struct diags *d);
int dbus_parse_timeout(const struct ynode *map, usec_t *ret, struct diags *d);
/* "the session bus", "the system bus" or "the bus at ADDRESS", in lang, for messages. */
const char *dbus_bus_describe(const char *spec, const char *lang, char *buf, size_t size);

/* ---- Conversion of form values (dbus-convert.c) ---- */

/* A basic D-Bus value, as sd_bus_message_read_basic() and append_basic() take it. */
union dbus_basic {
        uint8_t y;
        int b;
        int16_t n;
        uint16_t q;
        int32_t i;
        uint32_t u;
        int64_t x;
        uint64_t t;
        double d;
        const char *s; /* s, o, g: borrowed (from the text, or the message) */
        int h;         /* a unix fd, only ever read from a message */
};

/* Parses text as a value of basic type (not 'h'). On -EINVAL/-ERANGE, *ret_reason (allocated,
 * in lang) completes "'text' ...", e.g. "is above the maximum 255". */
int dbus_basic_parse(char type, const char *text, const char *lang, union dbus_basic *ret,
                     char **ret_reason);

/* What conversion needs besides the message. */
struct dbus_convert {
        const struct template_vars *vars;
        const struct form *form; /* for labels; may be NULL */
        const char *lang;
        /* Set on -EINVAL (a value does not fit) and -EPROTO (the policy's arguments do not
         * fit the D-Bus type): an allocated message naming the field. */
        char *error;
};

/* Appends one value per complete type of signature, from args (n_args must match). Returns
 * -EINVAL when a submitted value does not fit, -EPROTO when the policy does not fit the
 * signature (c->error says which and why), other negative errno on failure. */
int dbus_append_args(sd_bus_message *m, const char *signature, const struct dbus_arg *args,
                     size_t n_args, struct dbus_convert *c);
/* Appends one value of the single complete type, labelled subject in errors. */
int dbus_append_value(sd_bus_message *m, const char *type, const struct dbus_arg *arg,
                      const char *subject, struct dbus_convert *c);

/* ---- Introspection (dbus-introspect.c) ---- */

#define DBUS_INTROSPECTION_MAX (4 * 1024 * 1024)

struct dbus_imethod {
        char *name;
        char *in_signature;
        char *out_signature;
        char **in_names;  /* one per input argument, "" when unnamed */
        char **out_names; /* one per output argument, "" when unnamed */
};

struct dbus_iproperty {
        char *name;
        char *type;
        bool readable, writable;
};

struct dbus_iinterface {
        char *name;
        struct dbus_imethod *methods;
        size_t n_methods;
        struct dbus_iproperty *properties;
        size_t n_properties;
};

struct dbus_introspection {
        struct dbus_iinterface *interfaces;
        size_t n_interfaces;
};

/* Parses org.freedesktop.DBus.Introspectable's XML. -EINVAL when it is not introspection data. */
int dbus_introspection_parse(const char *xml, struct dbus_introspection **ret);
struct dbus_introspection *dbus_introspection_free(struct dbus_introspection *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dbus_introspection *, dbus_introspection_free)
const struct dbus_iinterface *dbus_introspection_find_interface(const struct dbus_introspection *i,
                                                                const char *name);
const struct dbus_imethod *dbus_introspection_find_method(const struct dbus_introspection *i,
                                                          const char *interface, const char *name);
const struct dbus_iproperty *dbus_introspection_find_property(const struct dbus_introspection *i,
                                                              const char *interface,
                                                              const char *name);

/* ---- Results (dbus-result.c) ---- */

#define DBUS_RESULT_MAX_ITEMS 1000 /* rows, elements and entries shown from one reply */
#define DBUS_RESULT_MAX_TEXT  4096 /* bytes of one shown value */

/* Turns a method return into result fields (and at most one table) in res->form. names gives
 * labels for the reply's values ("" or missing: a default, in lang), columns the table's
 * labels. A truncated reply adds a warning note in lang. */
int dbus_result_from_reply(sd_bus_message *reply, char *const *names, char *const *columns,
                           const char *lang, struct action_result *res);
/* Adds the error note for a D-Bus error: a sentence in lang for well-known errors, then
 * name: message as D-Bus gave them. */
int dbus_result_add_error(struct action_result *res, const struct dbus_config *c, const char *lang,
                          const char *name, const char *message);
/* Adds the "bus unavailable" note in lang. */
int dbus_result_add_unavailable(struct action_result *res, const struct dbus_config *c,
                                const char *lang);

/* ---- Calls (dbus.c) ---- */

/* Starts a call of c, like the dbus: action with c as its configuration; the call owns c from
 * now on, even on failure (dbus_expose builds one configuration per call). */
int dbus_call_start(struct action_call *call, struct dbus_config *c);
/* Cancels a call started by dbus_call_start() or the dbus: action. */
void dbus_call_cancel(struct action_call *call);

/* ---- Connections (dbus-bus.c) ---- */

struct dbus_bus;
struct dbus_intro_entry;
struct dbus_waiter;

/* Called once when the introspection data is known, or failed (intro NULL, error_name and
 * error_message set). intro is valid during the call only. */
typedef void (*dbus_waiter_cb_t)(struct dbus_waiter *w, const struct dbus_introspection *intro,
                                 const char *error_name, const char *error_message);

/* Embedded in the waiting object; dbus_waiter_cancel() before freeing it. */
struct dbus_waiter {
        dbus_waiter_cb_t cb;
        struct dbus_intro_entry *entry; /* NULL when not waiting */
        struct dbus_waiter *prev, *next;
};

/* The shared connection for spec on event, created (and connecting) on first use. */
int dbus_bus_get(sd_event *event, const char *spec, struct dbus_bus **ret);
struct dbus_bus *dbus_bus_ref(struct dbus_bus *b);
struct dbus_bus *dbus_bus_unref(struct dbus_bus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dbus_bus *, dbus_bus_unref)
/* The live connection, or NULL while (re)connecting: "bus unavailable". */
sd_bus *dbus_bus_get_sd(struct dbus_bus *b);
/* Introspects destination's path, once per name owner; a new Introspect call waits at most
 * timeout. Returns 1 with *ret set when cached (valid until control returns to the loop), 0
 * when w will be called, < 0 on failure. */
int dbus_bus_introspect(struct dbus_bus *b, const char *destination, const char *path,
                        usec_t timeout, struct dbus_waiter *w,
                        const struct dbus_introspection **ret);
void dbus_waiter_cancel(struct dbus_waiter *w);
/* Follows a connection: opened() when it opens (at once from dbus_bus_watch_add() when it is
 * open already, and after each reconnection), lost() when it drops or closes; the watcher then
 * releases its slots on that sd_bus. The watcher keeps a reference to the bus while added. */
struct dbus_bus_watch {
        void (*opened)(struct dbus_bus_watch *w, sd_bus *bus);
        void (*lost)(struct dbus_bus_watch *w);
        struct dbus_bus *bus; /* NULL when not added */
        struct dbus_bus_watch *prev, *next;
};
void dbus_bus_watch_add(struct dbus_bus *b, struct dbus_bus_watch *w);
void dbus_bus_watch_remove(struct dbus_bus_watch *w);
/* How many times cached data was dropped because a name's owner changed (for tests). */
unsigned dbus_bus_owner_changes(const struct dbus_bus *b) _pure_;
/* Closes every connection (the agent stops); objects still referenced stay, disconnected. */
void dbus_buses_shutdown(void);
